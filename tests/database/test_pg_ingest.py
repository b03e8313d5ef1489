"""tests/integration/test_ingest.py again, on PostgreSQL (tests/database/conftest.py)."""

from tests.integration.test_ingest import *  # noqa: F403
