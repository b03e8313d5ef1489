"""tests/integration/test_drive_changes.py again, on PostgreSQL (tests/database/conftest.py)."""

from tests.integration.test_drive_changes import *  # noqa: F403
