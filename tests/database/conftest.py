"""The tests under tests/database/ run on a real PostgreSQL server (tests/harness/services.py).

Modules here re-collect whole test modules of tests/integration/ by importing their tests, so the
assertions that already run on SQLite run on PostgreSQL too: `database_url` below overrides the
root conftest's for every test collected in this directory.
"""

from __future__ import annotations

import pytest

from tests.conftest import database_url_for


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str | None:
    return database_url_for("postgresql", request)
