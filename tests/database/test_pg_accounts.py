"""tests/integration/test_accounts.py again, on PostgreSQL (tests/database/conftest.py)."""

from tests.integration.test_accounts import *  # noqa: F403
