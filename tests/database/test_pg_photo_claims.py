"""tests/integration/test_photo_claims.py again, on PostgreSQL (tests/database/conftest.py)."""

from tests.integration.test_photo_claims import *  # noqa: F403
