"""tests/integration/test_photographer_store.py again, on PostgreSQL (tests/database/conftest.py)."""

from tests.integration.test_photographer_store import *  # noqa: F403
