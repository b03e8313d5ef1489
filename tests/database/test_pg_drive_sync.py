"""tests/integration/test_drive_sync.py again, on PostgreSQL (tests/database/conftest.py)."""

from tests.integration.test_drive_sync import *  # noqa: F403
