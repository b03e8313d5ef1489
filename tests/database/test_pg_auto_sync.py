"""tests/integration/test_auto_sync.py again, on PostgreSQL (tests/database/conftest.py)."""

from tests.integration.test_auto_sync import *  # noqa: F403
