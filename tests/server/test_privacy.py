"""A guest's selfie goes no further than the request, and no secret reaches the logs (the real server)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import copy_face_files
from tests.harness.server import EMAIL, PASSWORD, Servers, create_photographer, wait_for

EVENT_PHOTOS = [
    "people/obama/1.jpg",
    "people/obama/2.jpg",
    "groups/fr_two_people.jpg",
    "people/kit_harington/1.jpg",
    "people/rose_leslie/1.jpg",
]
OBAMA_PHOTOS = {"people/obama/1.jpg", "people/obama/2.jpg", "groups/fr_two_people.jpg"}
SELFIE = "people/obama/4.jpg"  # another photo of him than any in the event
SELFIE_NAME = "guest-selfie-q7x2k9.jpg"  # what the guest's phone called it
SLICE_BYTES = 64
SLICE_AT = (0.2, 0.35, 0.5, 0.65, 0.8)  # fractions of the file: entropy-coded image data
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
INDEX_DEADLINE_S = 120


def selfie_slices(data: bytes) -> list[bytes]:
    slices = [data[int(len(data) * at) :][:SLICE_BYTES] for at in SLICE_AT]
    assert all(len(s) == SLICE_BYTES for s in slices)
    return slices


def log_in_through_the_form(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as browser:
        page = browser.get("/login")
        assert page.status_code == 200
        match = CSRF_FIELD.search(page.text)
        assert match, "no csrf_token field on /login"
        form = {"csrf_token": match.group(1), "email": EMAIL, "password": PASSWORD, "next": "/events"}
        response = browser.post("/login", data=form)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/events"


@pytest.mark.slow
def test_a_guest_search_leaves_no_trace_of_the_selfie_and_logs_no_secret(
    tmp_path: Path, faces_dir: Path, servers: Servers
) -> None:
    folder = copy_face_files(faces_dir, tmp_path / "photos", EVENT_PHOTOS)
    selfie = (faces_dir / SELFIE).read_bytes()
    data_dir = tmp_path / "data"
    token = create_photographer(data_dir)

    server = servers.start(data_dir)
    log_in_through_the_form(server.base_url)
    with server.client(token) as api:
        created = api.post("/api/events", json={"name": "Inauguration", "folder": str(folder)})
        assert created.status_code == 201, created.text
        event_id, slug = created.json()["id"], created.json()["slug"]
        assert api.post(f"/api/event/{event_id}/index").status_code == 202
        task = wait_for(
            "the event to be indexed",
            lambda: api.get(f"/api/event/{event_id}/task").json(),
            lambda t: t["status"] in {"done", "failed"},
            INDEX_DEADLINE_S,
            server,
        )
        assert (task["status"], task["done"], task["failed"]) == ("done", len(EVENT_PHOTOS), 0), task
        photos = api.get(f"/api/event/{event_id}/photos")
        assert photos.status_code == 200, photos.text
        name_of = {p["id"]: p["name"] for p in photos.json()}

    with httpx.Client(base_url=server.base_url, timeout=60) as guest:
        response = guest.post(
            f"/api/e/{slug}/search",
            files=[("selfies", (SELFIE_NAME, selfie, "image/jpeg"))],
            data={"consent": "true"},
        )
        assert response.status_code == 200, response.text
        result = response.json()
        assert [s["code"] for s in result["selfies"]] == ["ok"], result
        found = {name_of[m["photo_id"]] for m in result["matches"]}
        assert found and found <= OBAMA_PHOTOS, result
        for match in result["matches"]:  # the photo caches are filled the way a guest's browser would
            for url in (match["thumbnail_url"], match["preview_url"]):
                assert guest.get(url).status_code == 200, url
    servers.stop(server)

    # nothing under the data dir holds any part of the selfie (nor the token or the password)
    slices = selfie_slices(selfie)
    secrets = [token.encode(), PASSWORD.encode()]
    files = sorted(p for p in data_dir.rglob("*") if p.is_file())
    names = {p.relative_to(data_dir).as_posix() for p in files}
    assert {"eventface.db", "queue.db", "logs/app.log"} <= names, names
    assert any(name.startswith("thumbnails/") for name in names), names
    for path in files:
        content = path.read_bytes()
        for number, piece in enumerate(slices):
            assert piece not in content, f"{path} holds bytes of the selfie (slice {number})"
        for secret in secrets:
            assert secret not in content, f"{path} holds a secret in plain text"

    app_log = "\n".join(p.read_text() for p in sorted((data_dir / "logs").glob("app.log*")))
    for name, log in {"app.log": app_log, "stderr": server.stderr(), "stdout": server.stdout()}.items():
        assert SELFIE_NAME not in log, f"{name} names the guest's selfie file"
        assert token not in log, f"{name} holds the API token"
        assert PASSWORD not in log, f"{name} holds the password"

    # the slug opens the event: the log shows only its ends
    short = f"{slug[:2]}…{slug[-2:]}"
    request_line = re.compile(
        rf'level=INFO logger=eventface\.web\.app msg="request" request_id=\S+ method=POST'
        rf" path=/api/e/{re.escape(short)}/search status=200 duration_ms=\d+(\.\d+)?$"
    )
    for name, log in {"app.log": app_log, "stderr": server.stderr()}.items():
        assert slug not in log, f"{name} holds the event's slug"
        search_lines = [line for line in log.splitlines() if f"/api/e/{short}/search" in line]
        assert len(search_lines) == 1, f"{name}: {search_lines}"
        assert request_line.search(search_lines[0]), f"{name}: {search_lines[0]}"
