"""tests/integration/test_event_centrings.py again, on PostgreSQL (tests/database/conftest.py)."""

from tests.integration.test_event_centrings import *  # noqa: F403
