"""tests/integration/test_jobs.py again, on PostgreSQL (tests/database/conftest.py)."""

from tests.integration.test_jobs import *  # noqa: F403
