"""tests/web/test_transactions.py again, on PostgreSQL (tests/database/conftest.py): there a
transaction left open is a connection "idle in transaction", not only a pooled connection."""

from pathlib import Path

import pytest

from tests.conftest import WritePhoto
from tests.web.conftest import MakeWeb, make_web  # noqa: F401 (a fixture)
from tests.web.test_guest_api import Guests, make_guests
from tests.web.test_transactions import *  # noqa: F403


@pytest.fixture
def guests(make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto, database_url: str) -> Guests:  # noqa: F811
    return make_guests(make_web(database_url=database_url), tmp_path, write_photo)


def test_these_run_on_postgresql(guests: Guests) -> None:
    assert guests.web.runtime.db.url.get_backend_name() == "postgresql"
