"""Restarts of the real server: the auto-sync schedule and an interrupted indexing run survive them.

The original system kept its auto-sync schedule in memory and lost it on every restart.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import copy_face_files
from tests.harness.server import Server, Servers, create_photographer, query, wait_for

FIRST_PHOTOS = ["people/obama/1.jpg", "people/biden/1.jpg"]
THIRD_PHOTO = "people/kit_harington/1.jpg"
FOURTH_PHOTO = "people/rose_leslie/1.jpg"
INTERVAL_MINUTES = 0.5
FIRST_SYNC_DEADLINE_S = 60
# the scheduler passes every 30 s, so a sync due while the server was down runs within ~60 s
SYNC_AFTER_RESTART_DEADLINE_S = 90
QUIET_AFTER_DISABLE_S = 40  # one interval (30 s) and a margin: no sync may start in that time

INDEX_PHOTOS = [
    "groups/dlib_2008_001009.jpg",
    "groups/dlib_2008_002079.jpg",
    "groups/dlib_2009_004587.jpg",
    "groups/fr_kit_with_rose.jpg",
    "groups/fr_obama_and_biden.jpg",
    "groups/fr_two_people.jpg",
    "groups/insightface_t1.jpg",
    "people/alex_lacamoire/2.jpg",
    "people/biden/2.jpg",
    "people/kit_harington/1.jpg",
    "people/kit_harington/3.jpg",
    "people/obama/1.jpg",
    "people/obama/2.jpg",
    "people/obama/4.jpg",
    "people/rose_leslie/2.jpg",
]
INDEXED_BEFORE_KILL = 3
INDEX_DEADLINE_S = 180


def timestamp(value: str | None) -> datetime:
    assert value is not None
    return datetime.fromisoformat(value)


def get_json(api: httpx.Client, path: str) -> dict[str, Any]:
    response = api.get(path)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    return body


def sync_status(api: httpx.Client, event_id: int) -> dict[str, Any]:
    return get_json(api, f"/api/event/{event_id}/auto-sync/status")


def create_event(api: httpx.Client, folder: Path) -> int:
    response = api.post("/api/events", json={"name": "Wedding", "folder": str(folder)})
    assert response.status_code == 201, response.text
    event_id: int = response.json()["id"]
    return event_id


def create_event_with_auto_sync(api: httpx.Client, folder: Path) -> int:
    event_id = create_event(api, folder)
    enabled = api.post(f"/api/event/{event_id}/auto-sync/enable", json={"interval_minutes": INTERVAL_MINUTES})
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["interval_minutes"] == INTERVAL_MINUTES
    return event_id


@pytest.mark.slow
def test_auto_sync_schedule_survives_a_restart_and_disabling_it_sticks(
    tmp_path: Path, faces_dir: Path, servers: Servers
) -> None:
    folder = copy_face_files(faces_dir, tmp_path / "photos", FIRST_PHOTOS)
    data_dir = tmp_path / "data"
    token = create_photographer(data_dir)

    server = servers.start(data_dir)
    with server.client(token) as api:
        event_id = create_event_with_auto_sync(api, folder)
        first = wait_for(
            "the first auto-sync",
            lambda: sync_status(api, event_id),
            lambda s: s["last_sync_at"] is not None and s["photos_total"] == 2 and not s["running"],
            FIRST_SYNC_DEADLINE_S,
            server,
        )
    assert first["last_error"] is None
    assert first["faces_total"] >= 2
    # right after a sync: the next one (30 s on) cannot be running when the server stops
    servers.stop(server)

    copy_face_files(faces_dir, folder, [THIRD_PHOTO])
    server = servers.start(data_dir)
    with server.client(token) as api:
        after_restart = sync_status(api, event_id)
        assert after_restart["enabled"] is True
        assert after_restart["interval_minutes"] == INTERVAL_MINUTES
        second = wait_for(
            "an auto-sync after the restart that finds the third photo",
            lambda: sync_status(api, event_id),
            lambda s: s["photos_total"] == 3 and not s["running"],
            SYNC_AFTER_RESTART_DEADLINE_S,
            server,
        )
        assert timestamp(second["last_sync_at"]) > timestamp(first["last_sync_at"])
        assert second["last_error"] is None
        assert second["faces_total"] > first["faces_total"]

        disabled = api.post(f"/api/event/{event_id}/auto-sync/disable")
        assert disabled.status_code == 200, disabled.text
        # a sync that had already started may finish, but it must not be the one that sees photo 4
        settled = wait_for(
            "auto-sync to be off and idle",
            lambda: sync_status(api, event_id),
            lambda s: not s["enabled"] and not s["running"],
            SYNC_AFTER_RESTART_DEADLINE_S,
            server,
        )
        assert settled["next_sync_at"] is None
        copy_face_files(faces_dir, folder, [FOURTH_PHOTO])

        # the one bounded wait: for a whole interval and more, no sync may run
        polls = 0
        quiet_until = time.monotonic() + QUIET_AFTER_DISABLE_S
        while time.monotonic() < quiet_until:
            assert server.running, server.output_tail()
            now = sync_status(api, event_id)
            assert now["enabled"] is False, now
            assert not now["running"], f"a sync started after auto-sync was disabled: {now}"
            assert now["photos_total"] == 3, f"a sync ran after auto-sync was disabled: {now}"
            assert now["last_sync_at"] == settled["last_sync_at"], now
            polls += 1
            time.sleep(1)
        assert polls >= QUIET_AFTER_DISABLE_S // 2
    servers.stop(server)


def photo_statuses(db: Path, event_id: int) -> dict[str, int]:
    rows = query(db, "SELECT status, count(*) FROM photos WHERE event_id = ? GROUP BY status", event_id)
    return {status: count for status, count in rows}


def faces_by_photo(db: Path, event_id: int) -> dict[str, list[tuple[int, ...]]]:
    boxes: dict[str, list[tuple[int, ...]]] = {
        name: [] for (name,) in query(db, "SELECT name FROM photos WHERE event_id = ?", event_id)
    }
    for name, *box in query(
        db,
        'SELECT p.name, f."left", f.top, f."right", f.bottom FROM faces f'
        " JOIN photos p ON p.id = f.photo_id WHERE p.event_id = ?",
        event_id,
    ):
        boxes[name].append(tuple(box))
    return {name: sorted(b) for name, b in boxes.items()}


def latest_task(api: httpx.Client, event_id: int) -> dict[str, Any]:
    return get_json(api, f"/api/event/{event_id}/task")


def index_to_completion(
    server: Server, api: httpx.Client, event_id: int, other_than: str | None = None
) -> dict[str, Any]:
    """Waits for the event's latest run (not `other_than`) to end, and returns it."""
    task: dict[str, Any] = wait_for(
        "the indexing run to finish",
        lambda: latest_task(api, event_id),
        lambda t: t["task_id"] != other_than and t["status"] in {"done", "failed"},
        INDEX_DEADLINE_S,
        server,
    )
    return task


@pytest.mark.slow
def test_an_indexing_run_killed_midway_resumes_after_a_restart(
    tmp_path: Path, faces_dir: Path, servers: Servers
) -> None:
    folder = copy_face_files(faces_dir, tmp_path / "photos", INDEX_PHOTOS)
    data_dir = tmp_path / "data"
    token = create_photographer(data_dir)

    server = servers.start(data_dir)
    with server.client(token) as api:
        event_id = create_event(api, folder)
        started = api.post(f"/api/event/{event_id}/index")
        assert started.status_code == 202, started.text
        killed_task_id = started.json()["task_id"]
        wait_for(
            f"{INDEXED_BEFORE_KILL} photos indexed",
            lambda: latest_task(api, event_id),
            lambda t: t["status"] == "running" and t["done"] >= INDEXED_BEFORE_KILL,
            INDEX_DEADLINE_S,
            server,
            interval_s=0.02,
        )
    servers.kill(server)

    at_kill = photo_statuses(server.db_path, event_id)
    indexed_at_kill = at_kill.get("indexed", 0)
    assert sum(at_kill.values()) == len(INDEX_PHOTOS), at_kill
    assert INDEXED_BEFORE_KILL <= indexed_at_kill < len(INDEX_PHOTOS), f"not killed midway: {at_kill}"
    (killed_status,) = query(server.db_path, "SELECT status FROM index_tasks WHERE id = ?", killed_task_id)
    assert killed_status == ("running",)

    # the reference: the same photos indexed once, without interruption, by its own server
    reference_folder = copy_face_files(faces_dir, tmp_path / "reference-photos", INDEX_PHOTOS)
    reference_dir = tmp_path / "reference-data"
    reference_token = create_photographer(reference_dir)
    reference = servers.start(reference_dir)
    with reference.client(reference_token) as api:
        reference_event = create_event(api, reference_folder)
        assert api.post(f"/api/event/{reference_event}/index").status_code == 202
        clean_run = index_to_completion(reference, api, reference_event)
    assert clean_run["status"] == "done", clean_run
    servers.stop(reference)

    # no request: the restarted server resumes the run on its own
    server = servers.start(data_dir)
    with server.client(token) as api:
        resumed = index_to_completion(server, api, event_id, other_than=killed_task_id)
        event = get_json(api, f"/api/event/{event_id}")
    servers.stop(server)

    assert resumed["status"] == "done", resumed
    assert resumed["failed"] == 0, resumed
    # it carried on: only the photos the killed run had not finished were analysed again
    assert resumed["total"] == len(INDEX_PHOTOS) - indexed_at_kill, resumed
    assert resumed["done"] == resumed["total"]
    assert (event["photos"], event["pending"], event["failed"]) == (len(INDEX_PHOTOS), 0, 0), event

    db = server.db_path
    assert photo_statuses(db, event_id) == {"indexed": len(INDEX_PHOTOS)}
    assert query(db, "SELECT id, status FROM index_tasks WHERE status IN ('queued', 'running')") == []
    assert query(db, "SELECT status FROM index_tasks WHERE id = ?", killed_task_id) == [("interrupted",)]
    # no photo indexed twice: its face rows match its count, and no box is stored twice
    assert (
        query(
            db,
            "SELECT p.name, p.face_count, count(f.id) FROM photos p LEFT JOIN faces f ON f.photo_id = p.id"
            " WHERE p.event_id = ? GROUP BY p.id HAVING count(f.id) != p.face_count",
            event_id,
        )
        == []
    )
    resumed_faces = faces_by_photo(db, event_id)
    for name, boxes in resumed_faces.items():
        assert len(boxes) == len(set(boxes)), f"{name} has duplicate faces: {boxes}"
    assert resumed_faces == faces_by_photo(reference.db_path, reference_event)
    assert event["faces"] == clean_run["faces"] == sum(len(b) for b in resumed_faces.values())


@pytest.mark.slow
def test_a_restart_during_an_auto_sync_does_not_stall_the_schedule(
    tmp_path: Path, faces_dir: Path, servers: Servers
) -> None:
    folder = copy_face_files(faces_dir, tmp_path / "photos", INDEX_PHOTOS)
    data_dir = tmp_path / "data"
    token = create_photographer(data_dir)

    server = servers.start(data_dir)
    with server.client(token) as api:
        event_id = create_event_with_auto_sync(api, folder)
        wait_for(
            "the first auto-sync to be under way",
            lambda: (sync_status(api, event_id), api.get(f"/api/event/{event_id}/task").json()),
            lambda st: st[0]["running"] and st[1].get("status") == "running" and st[1]["done"] >= 1,
            FIRST_SYNC_DEADLINE_S,
            server,
            interval_s=0.02,
        )
    servers.stop(server)  # a deploy or a reboot: SIGTERM in the middle of the sync
    assert photo_statuses(server.db_path, event_id).get("pending", 0) > 0, "the sync finished too soon"

    server = servers.start(data_dir)
    with server.client(token) as api:
        synced = wait_for(
            "an auto-sync to complete after the restart",
            lambda: sync_status(api, event_id),
            lambda s: s["last_sync_at"] is not None and not s["running"],
            SYNC_AFTER_RESTART_DEADLINE_S,
            server,
        )
    servers.stop(server)
    assert synced["enabled"] is True
    assert synced["photos_total"] == len(INDEX_PHOTOS)
    assert synced["last_error"] is None
