"""tests/integration/test_search.py again, on PostgreSQL (tests/database/conftest.py)."""

from tests.integration.test_search import *  # noqa: F403
