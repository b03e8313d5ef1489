"""The photographer's JSON API: auth rules, events, indexing progress, the seed-compatible auto-sync API."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from eventface.domain.models import Event
from eventface.services import accounts
from tests.conftest import WritePhoto
from tests.integration.fake_indexing import row_counts
from tests.web.conftest import WEDDING, Photographer, Web

NEW_EVENT = {"name": "Gala", "folder": ""}  # the folder is filled in per test

# (method, path, expected success status); {event} and {task} are filled in per test
EVENT_ENDPOINTS = [
    ("GET", "/api/event/{event}", 200),
    ("GET", "/api/event/{event}/photos", 200),
    ("POST", "/api/event/{event}/index", 202),
    ("GET", "/api/event/{event}/task", 200),
    ("GET", "/api/task/{task}", 200),
    ("POST", "/api/event/{event}/auto-sync/enable", 200),
    ("POST", "/api/event/{event}/auto-sync/disable", 200),
    ("GET", "/api/event/{event}/auto-sync/status", 200),
    ("DELETE", "/api/event/{event}", 200),
]
ACCOUNT_ENDPOINTS = [("GET", "/api/events", 200), ("POST", "/api/events", 201)]


@pytest.fixture
def wedding(web: Web, alice: Photographer, wedding_folder: Path) -> Event:
    return web.event(alice, wedding_folder)


def call(web: Web, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    return web.client.request(method, path, headers=headers or {}, **kwargs)


def body_for(method: str, path: str, folder: Path) -> dict[str, Any]:
    return {"json": {**NEW_EVENT, "folder": str(folder)}} if (method, path) == ("POST", "/api/events") else {}


# --- auth rules ---------------------------------------------------------------------------------


def assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"]


@pytest.mark.parametrize(("method", "template", "ok"), EVENT_ENDPOINTS + ACCOUNT_ENDPOINTS)
def test_every_photographer_endpoint_needs_the_owners_credentials(
    web: Web,
    alice: Photographer,
    bob: Photographer,
    wedding: Event,
    wedding_folder: Path,
    method: str,
    template: str,
    ok: int,
) -> None:
    task_id = web.index(alice, wedding)["task_id"]
    path = template.format(event=wedding.id, task=task_id)
    extra = body_for(method, template, wedding_folder)
    revoked = web.photographer("carol@example.com")
    with web.transaction() as uow:
        accounts.revoke_api_token(uow, revoked.token)

    assert_unauthorized(call(web, method, path, **extra))
    assert_unauthorized(call(web, method, path, {"Authorization": "Bearer ef_not-a-real-token"}, **extra))
    assert_unauthorized(call(web, method, path, {"Authorization": "Basic YWxpY2U6cHc="}, **extra))
    assert_unauthorized(call(web, method, path, revoked.auth, **extra))
    if "{event}" in template or "{task}" in template:
        # another photographer's event (or its task) does not exist for bob
        foreign = call(web, method, path, bob.auth, **extra)
        assert foreign.status_code == 404, foreign.text
    owner = call(web, method, path, alice.auth, **extra)
    assert owner.status_code == ok, owner.text


def test_an_unknown_event_and_an_unknown_task_are_404(web: Web, alice: Photographer) -> None:
    assert call(web, "GET", "/api/event/999", alice.auth).status_code == 404
    assert call(web, "GET", "/api/task/no-such-task", alice.auth).status_code == 404
    assert call(web, "POST", "/api/event/999/auto-sync/enable", alice.auth).status_code == 404


def test_a_session_post_needs_the_csrf_header(web: Web, alice: Photographer, wedding_folder: Path) -> None:
    csrf = web.login(alice.email)
    body = {**NEW_EVENT, "folder": str(wedding_folder)}

    assert web.client.get("/api/events").status_code == 200  # safe methods need no token
    missing = web.client.post("/api/events", json=body)
    wrong = web.client.post("/api/events", json=body, headers={"X-CSRF-Token": "x" + csrf})
    made = web.client.post("/api/events", json=body, headers={"X-CSRF-Token": csrf})

    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert "CSRF" in missing.json()["detail"]
    assert made.status_code == 201, made.text
    assert [e["name"] for e in web.client.get("/api/events").json()] == ["Gala"]  # only one was made


def test_a_session_auto_sync_change_needs_the_csrf_header(
    web: Web, alice: Photographer, wedding: Event
) -> None:
    csrf = web.login(alice.email)
    path = f"/api/event/{wedding.id}/auto-sync/enable"

    refused = web.client.post(path, json={"interval_minutes": 5})
    assert refused.status_code == 403
    assert web.client.get(f"/api/event/{wedding.id}/auto-sync/status").json()["enabled"] is False

    accepted = web.client.post(path, json={"interval_minutes": 5}, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 200, accepted.text
    assert web.client.get(f"/api/event/{wedding.id}/auto-sync/status").json()["enabled"] is True


def test_a_session_does_not_open_another_photographers_event(
    web: Web, alice: Photographer, bob: Photographer, wedding: Event
) -> None:
    web.login(bob.email)

    assert web.client.get(f"/api/event/{wedding.id}").status_code == 404


def test_a_bearer_token_needs_no_csrf_token_even_beside_a_session(
    web: Web, alice: Photographer, wedding_folder: Path
) -> None:
    web.login(alice.email)

    made = web.client.post(
        "/api/events", json={**NEW_EVENT, "folder": str(wedding_folder)}, headers=alice.auth
    )

    assert made.status_code == 201, made.text


# --- events ---------------------------------------------------------------------------------------


def test_creating_an_event(web: Web, alice: Photographer, wedding_folder: Path) -> None:
    response = web.client.post(
        "/api/events",
        json={"name": "  Gala  ", "folder": str(wedding_folder), "date": "2026-06-20"},
        headers=alice.auth,
    )

    assert response.status_code == 201, response.text
    event = response.json()
    assert event["name"] == "Gala"
    assert event["date"] == "2026-06-20"
    assert event["source"] == str(wedding_folder.resolve())
    assert event["slug"] and event["slug"] != str(event["id"])
    assert event["guest_url"] == f"http://testserver/e/{event['slug']}"
    assert (event["photos"], event["faces"], event["pending"], event["failed"]) == (0, 0, 0, 0)
    assert web.client.get(f"/api/event/{event['id']}", headers=alice.auth).json() == event


def test_the_guest_url_uses_the_public_base_url(make_web: Any, tmp_path: Path) -> None:
    web = make_web(public_base_url="https://photos.example.org/")
    alice = web.photographer("alice@example.com")
    (tmp_path / "empty").mkdir()

    response = web.client.post(
        "/api/events", json={"name": "Gala", "folder": str(tmp_path / "empty")}, headers=alice.auth
    )

    assert response.json()["guest_url"] == f"https://photos.example.org/e/{response.json()['slug']}"


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        (
            {"name": "Gala", "folder": "/no/such/folder"},
            "this folder cannot be used: choose a folder inside the server's photo folders",
            "folder_refused",
        ),
        ({"name": "   ", "folder": "{folder}"}, "an event needs a name", "event_name_missing"),
        ({"name": "Gala", "folder": "   "}, "an event needs a photo folder", "folder_missing"),
    ],
)
def test_creating_an_event_with_bad_input_is_422_with_the_reason(
    web: Web, alice: Photographer, wedding_folder: Path, body: dict[str, str], message: str, code: str
) -> None:
    body = {key: value.format(folder=wedding_folder) for key, value in body.items()}

    response = web.client.post("/api/events", json=body, headers=alice.auth)

    assert response.status_code == 422, response.text
    assert response.json() == {"detail": message, "code": code}
    assert web.client.get("/api/events", headers=alice.auth).json() == []


def test_an_empty_folder_is_refused_not_taken_for_the_working_directory(
    web: Web, alice: Photographer
) -> None:
    # Path("") is Path("."): the server's working directory must not become an event's folder
    response = web.client.post("/api/events", json={"name": "Gala", "folder": ""}, headers=alice.auth)

    assert response.status_code == 422, response.text
    assert "folder" in response.text
    assert web.client.get("/api/events", headers=alice.auth).json() == []


def test_a_photographer_lists_only_their_own_events(
    web: Web, alice: Photographer, bob: Photographer, wedding_folder: Path
) -> None:
    web.event(alice, wedding_folder, "Alice's wedding")
    web.event(bob, wedding_folder, "Bob's party")
    web.event(alice, wedding_folder, "Alice's gala")

    alices = web.client.get("/api/events", headers=alice.auth).json()
    bobs = web.client.get("/api/events", headers=bob.auth).json()

    assert sorted(e["name"] for e in alices) == ["Alice's gala", "Alice's wedding"]
    assert [e["name"] for e in bobs] == ["Bob's party"]


def test_the_photo_list_shows_each_photos_state(
    web: Web, alice: Photographer, wedding: Event, wedding_folder: Path
) -> None:
    write_broken_jpeg(wedding_folder / "broken.jpg")
    web.index(alice, wedding)

    photos = web.client.get(f"/api/event/{wedding.id}/photos", headers=alice.auth).json()

    by_name = {p["name"]: p for p in photos}
    assert sorted(by_name) == sorted([*WEDDING, "broken.jpg"])
    assert {n: (p["status"], p["faces"]) for n, p in by_name.items()} == {
        "blue.jpg": ("indexed", 1),
        "broken.jpg": ("failed", 0),
        "pair.jpg": ("indexed", 2),
        "red.jpg": ("indexed", 1),
    }
    assert by_name["broken.jpg"]["error"]
    red_thumb = by_name["red.jpg"]["thumbnail_url"]
    assert red_thumb == f"/api/event/{wedding.id}/photos/{by_name['red.jpg']['id']}/thumb"
    assert web.client.get(red_thumb, headers=alice.auth).status_code == 200
    assert web.client.get(red_thumb).status_code == 401  # the photographer's own, not a guest link
    page = web.client.get(f"/api/event/{wedding.id}/photos?offset=1&limit=2", headers=alice.auth).json()
    assert [p["name"] for p in page] == [p["name"] for p in photos[1:3]]
    # an offset no event reaches is refused, not a 500 (SQLite's integers end at 2**63)
    huge = web.client.get(f"/api/event/{wedding.id}/photos?offset={2**70}", headers=alice.auth)
    assert huge.status_code == 422, huge.text


def test_deleting_an_event_removes_its_faces_and_thumbnails(
    web: Web, alice: Photographer, wedding: Event, wedding_folder: Path
) -> None:
    web.index(alice, wedding)
    photo_id = web.client.get(f"/api/event/{wedding.id}/photos", headers=alice.auth).json()[0]["id"]
    photo_url = f"/api/event/{wedding.id}/photos/{photo_id}"
    for kind in ("thumb", "preview"):
        assert web.client.get(f"{photo_url}/{kind}", headers=alice.auth).status_code == 200
    cached = sorted((web.settings.data_dir / "thumbnails").glob(f"*/{wedding.id}"))
    assert len(cached) == 2 and all(any(d.iterdir()) for d in cached)
    assert row_counts(web.runtime, wedding.id)["faces"] == 4

    response = web.client.delete(f"/api/event/{wedding.id}", headers=alice.auth)

    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Event deleted"}
    assert not any(d.exists() for d in cached)
    assert row_counts(web.runtime, wedding.id) == {"photos": 0, "faces": 0, "tasks": 0}
    assert web.client.get(f"/api/event/{wedding.id}", headers=alice.auth).status_code == 404
    assert web.client.get("/api/events", headers=alice.auth).json() == []
    assert web.client.get(f"{photo_url}/thumb", headers=alice.auth).status_code == 404
    assert sorted(p.name for p in wedding_folder.iterdir()) == sorted(WEDDING)  # the originals stay


# --- indexing -------------------------------------------------------------------------------------


def test_indexing_reports_its_task_and_progress(
    web: Web, alice: Photographer, wedding: Event, wedding_folder: Path
) -> None:
    write_broken_jpeg(wedding_folder / "broken.jpg")
    total = len(WEDDING) + 1

    started = web.client.post(f"/api/event/{wedding.id}/index", headers=alice.auth)

    assert started.status_code == 202, started.text
    task = started.json()
    assert task["event_id"] == wedding.id and task["task_id"]
    assert task["status"] == "queued"  # as committed before its job was enqueued
    by_id = web.client.get(f"/api/task/{task['task_id']}", headers=alice.auth)
    latest = web.client.get(f"/api/event/{wedding.id}/task", headers=alice.auth)
    assert (by_id.status_code, latest.status_code) == (200, 200)
    for report in (by_id.json(), latest.json()):
        assert report["task_id"] == task["task_id"]
        assert report["status"] == "done"
        assert (report["done"], report["total"], report["failed"], report["faces"]) == (total, total, 1, 4)
        assert report["percent"] == 100.0
        assert report["error"] is None
        started_at = datetime.fromisoformat(report["started_at"])
        assert datetime.fromisoformat(report["finished_at"]) >= started_at
    (failure,) = latest.json()["failures"]
    assert failure["name"] == "broken.jpg"
    assert failure["error"]  # the reason, e.g. that it cannot be decoded
    assert isinstance(failure["photo_id"], int)


def test_indexing_again_only_looks_at_changes(
    web: Web, alice: Photographer, wedding: Event, wedding_folder: Path, write_photo: WritePhoto
) -> None:
    web.index(alice, wedding)
    write_photo(wedding_folder / "cyan.jpg", [("cyan", (10, 10), 40)])

    second = web.index(alice, wedding)

    assert (second["done"], second["total"], second["faces"], second["failed"]) == (1, 1, 1, 0)
    latest = web.client.get(f"/api/event/{wedding.id}/task", headers=alice.auth).json()
    assert latest["task_id"] == second["task_id"]
    event = web.client.get(f"/api/event/{wedding.id}", headers=alice.auth).json()
    assert (event["photos"], event["faces"], event["pending"]) == (4, 5, 0)


def test_there_is_no_task_before_the_first_indexing(web: Web, alice: Photographer, wedding: Event) -> None:
    response = web.client.get(f"/api/event/{wedding.id}/task", headers=alice.auth)

    assert response.status_code == 404
    assert response.json()["detail"]
    assert web.client.get("/api/task/0123456789abcdef", headers=alice.auth).status_code == 404


# --- auto-sync (the original system's API) --------------------------------------------------------


def enable(web: Web, who: Photographer, event: Event, **kwargs: Any) -> Any:
    return web.client.post(f"/api/event/{event.id}/auto-sync/enable", headers=who.auth, **kwargs)


def sync_status(web: Web, who: Photographer, event: Event) -> dict[str, Any]:
    response = web.client.get(f"/api/event/{event.id}/auto-sync/status", headers=who.auth)
    assert response.status_code == 200, response.text
    status: dict[str, Any] = response.json()
    return status


def test_auto_sync_status_before_it_is_enabled(web: Web, alice: Photographer, wedding: Event) -> None:
    assert sync_status(web, alice, wedding) == {
        "enabled": False,
        "running": False,
        "interval_minutes": None,
        "last_sync_at": None,
        "next_sync_at": None,
        "last_error": None,
        "photos_total": 0,
        "faces_total": 0,
        "source": "local_folder",
        "reconnect_needed": False,
        "push_notifications": False,
    }


def test_enabling_auto_sync_syncs_at_once(web: Web, alice: Photographer, wedding: Event) -> None:
    response = enable(web, alice, wedding, json={"interval_minutes": 5})

    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Auto-sync enabled", "interval_minutes": 5}
    assert type(response.json()["interval_minutes"]) is int  # 5, not 5.0, as the original answered
    status = sync_status(web, alice, wedding)
    assert type(status["interval_minutes"]) is int
    assert set(status) == {
        "enabled",
        "running",
        "interval_minutes",
        "last_sync_at",
        "next_sync_at",
        "last_error",
        "photos_total",
        "faces_total",
        "source",
        "reconnect_needed",
        "push_notifications",
    }
    assert (status["enabled"], status["running"], status["interval_minutes"]) == (True, False, 5)
    assert (status["last_error"], status["photos_total"], status["faces_total"]) == (None, len(WEDDING), 4)
    last, following = (datetime.fromisoformat(status[k]) for k in ("last_sync_at", "next_sync_at"))
    assert 299 <= (following - last).total_seconds() <= 301


def test_auto_sync_picks_up_new_photos(
    web: Web, alice: Photographer, wedding: Event, wedding_folder: Path, write_photo: WritePhoto
) -> None:
    enable(web, alice, wedding, json={"interval_minutes": 0.5})
    write_photo(wedding_folder / "yellow.jpg", [("yellow", (10, 10), 40)])

    enable(web, alice, wedding, json={"interval_minutes": 0.5})  # enabling again makes it due now

    status = sync_status(web, alice, wedding)
    assert (status["photos_total"], status["faces_total"]) == (len(WEDDING) + 1, 5)


def test_enabling_auto_sync_without_a_body_uses_the_default_interval(
    web: Web, alice: Photographer, wedding: Event
) -> None:
    response = enable(web, alice, wedding)

    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Auto-sync enabled", "interval_minutes": 2}
    assert type(response.json()["interval_minutes"]) is int
    assert sync_status(web, alice, wedding)["interval_minutes"] == 2


def test_an_empty_json_body_also_uses_the_default(web: Web, alice: Photographer, wedding: Event) -> None:
    response = enable(web, alice, wedding, json={})

    assert response.json() == {"message": "Auto-sync enabled", "interval_minutes": 2}


def test_the_default_interval_comes_from_auto_sync_interval(make_web: Any, wedding_folder: Path) -> None:
    web = make_web(auto_sync_interval=10)
    alice = web.photographer("alice@example.com")
    event = web.event(alice, wedding_folder)

    assert enable(web, alice, event).json() == {"message": "Auto-sync enabled", "interval_minutes": 10}


def test_half_a_minute_is_the_shortest_interval(web: Web, alice: Photographer, wedding: Event) -> None:
    response = enable(web, alice, wedding, json={"interval_minutes": 0.5})

    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Auto-sync enabled", "interval_minutes": 0.5}
    assert sync_status(web, alice, wedding)["interval_minutes"] == 0.5


@pytest.mark.parametrize("minutes", [0.4, 61, -1, 0])
def test_an_interval_outside_half_a_minute_to_an_hour_is_422(
    web: Web, alice: Photographer, wedding: Event, minutes: float
) -> None:
    response = enable(web, alice, wedding, json={"interval_minutes": minutes})

    assert response.status_code == 422, response.text
    message = response.json()["detail"]
    assert isinstance(message, str)
    assert "interval_minutes must be between 0.5" in message and "60 minutes" in message
    assert sync_status(web, alice, wedding)["enabled"] is False


def test_a_non_numeric_interval_is_422(web: Web, alice: Photographer, wedding: Event) -> None:
    response = enable(web, alice, wedding, json={"interval_minutes": "often"})

    assert response.status_code == 422
    assert sync_status(web, alice, wedding)["enabled"] is False


def test_disabling_auto_sync(web: Web, alice: Photographer, wedding: Event) -> None:
    enable(web, alice, wedding, json={"interval_minutes": 5})

    response = web.client.post(f"/api/event/{wedding.id}/auto-sync/disable", headers=alice.auth)

    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Auto-sync disabled"}
    status = sync_status(web, alice, wedding)
    assert (status["enabled"], status["next_sync_at"]) == (False, None)
    assert status["interval_minutes"] == 5  # remembered for the next enable
    assert status["last_sync_at"] is not None  # the history stays
    assert status["photos_total"] == len(WEDDING)


def test_a_sync_of_a_vanished_folder_shows_its_error(
    web: Web, alice: Photographer, wedding: Event, wedding_folder: Path
) -> None:
    for photo in wedding_folder.iterdir():
        photo.unlink()
    wedding_folder.rmdir()

    enable(web, alice, wedding, json={"interval_minutes": 1})

    status = sync_status(web, alice, wedding)
    assert status["enabled"] is True and status["running"] is False
    assert status["last_sync_at"] is None
    assert status["last_error"] and str(wedding_folder) in status["last_error"]


# --- OpenAPI --------------------------------------------------------------------------------------


def test_the_api_is_documented(web: Web) -> None:
    schema = web.client.get("/openapi.json").json()

    paths = schema["paths"]
    for path, method in [
        ("/api/event/{event_id}/auto-sync/enable", "post"),
        ("/api/event/{event_id}/auto-sync/disable", "post"),
        ("/api/event/{event_id}/auto-sync/status", "get"),
        ("/api/event/{event_id}/index", "post"),
        ("/api/event/{event_id}/task", "get"),
        ("/api/task/{task_id}", "get"),
        ("/api/events", "post"),
        ("/api/e/{slug}/search", "post"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} is not in the OpenAPI schema"
    assert not any(p.startswith(("/login", "/signup")) for p in paths)  # pages are not API
    search_body = paths["/api/e/{slug}/search"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert set(search_body["schema"]["required"]) == {"selfies", "consent"}


@pytest.mark.parametrize("folder", ["", "   "])
def test_a_blank_folder_is_refused_not_taken_as_the_working_directory(web: Web, folder: str) -> None:
    owner = web.photographer("blank@example.com")
    response = web.client.post("/api/events", json={"name": "Blank", "folder": folder}, headers=owner.auth)
    assert response.status_code == 422
    assert "folder" in response.text


def write_broken_jpeg(path: Path) -> None:
    """A JPEG cut short long ago: a file written in the last seconds without its end marker would
    be taken for one still being copied, and left for the next sync (sources/finished_files.py)."""
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
