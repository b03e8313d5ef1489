"""The data dir is the owner's alone: every eventface process starts with umask 077, so the
database, the queue, logs, secret.key and thumbnails are 0600 in folders that are 0700."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from tests.conftest import WritePhoto
from tests.server.conftest import EMAIL, PASSWORD, Servers, create_photographer, wait_for

INDEX_DEADLINE_S = 120
THUMB = re.compile(r'<img src="([^"]+/thumb[^"]*)"')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def modes(data_dir: Path) -> dict[str, str]:
    found = {".": oct(stat.S_IMODE(data_dir.stat().st_mode))}
    for path in data_dir.rglob("*"):
        found[path.relative_to(data_dir).as_posix()] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


@pytest.mark.slow
def test_everything_the_server_writes_in_the_data_dir_is_private(
    tmp_path: Path, servers: Servers, write_photo: WritePhoto
) -> None:
    folder = write_photo(tmp_path / "photos" / "party" / "a.jpg", [("red", (40, 40), 60)]).parent
    data_dir = tmp_path / "data"
    token = create_photographer(data_dir)
    server = servers.start(data_dir)
    with server.client(token) as api:
        event = api.post("/api/events", json={"name": "Party", "folder": str(folder)}).json()
        assert api.post(f"/api/event/{event['id']}/index").status_code == 202
        wait_for(
            "the event to be indexed",
            lambda: api.get(f"/api/event/{event['id']}/task").json()["status"],
            lambda status: status in {"done", "failed"},
            INDEX_DEADLINE_S,
            server,
        )
    with server.client() as browser:  # the photographer's page shows the thumbnail: it is made now
        form = {"email": EMAIL, "password": PASSWORD, "next": "/events"}
        csrf = CSRF_FIELD.search(browser.get("/login").text)
        assert csrf is not None
        assert browser.post("/login", data={**form, "csrf_token": csrf.group(1)}).status_code == 303
        thumb = THUMB.search(browser.get(f"/events/{event['id']}").text)
        assert thumb is not None, "no thumbnail on the event page"
        assert browser.get(thumb.group(1)).status_code == 200
    servers.stop(server)

    found = modes(data_dir)
    expected = {name: "0o700" if (data_dir / name).is_dir() else "0o600" for name in found}
    assert found == expected
    written = set(found)
    assert {"eventface.db", "queue.db", "secret.key", "logs/app.log", "photos"} <= written, written
    assert any(name.startswith("thumbnails/") and name.endswith(".jpg") for name in written), written
