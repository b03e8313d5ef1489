"""tests/integration/test_notify_service.py again, on PostgreSQL (tests/database/conftest.py)."""

from tests.integration.test_notify_service import *  # noqa: F403
