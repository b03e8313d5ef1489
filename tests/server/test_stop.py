"""Stopping eventface mid-index leaves no process behind (issue 13), and the run resumes.

Real `eventface web` (two worker processes, the default engine) and `eventface index`, each in a
session of its own, on the developer face set. Each is stopped as a user would: SIGTERM to the
whole process group (systemd, Docker), SIGKILL (the OOM killer), Ctrl+C (SIGINT to the terminal's
process group). Then nothing of the session may remain: not the server, not a worker, not
multiprocessing's resource tracker; and a new start finishes the run with every photo indexed
exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import copy_face_files
from tests.harness.console import EVENTFACE, run_eventface
from tests.harness.console import create_event as create_event_with_cli
from tests.harness.processes import alive_in, wait_until_none_left
from tests.harness.server import Server, Servers, create_photographer, query, server_env, wait_for
from tests.server.test_restart import create_event, latest_task, photo_statuses

WORKERS_ENV = {"EVENTFACE_WORKERS": "2"}  # a pool of worker processes, as on any multi-core machine
STOP_DEADLINE_S = 10  # the bound, from the signal to the last process gone
RUN_DEADLINE_S = 300  # a whole run of the event on a busy shared machine


def face_set_photos(faces_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(faces_dir)) for p in faces_dir.glob("*/**/*.jpg"))


def assert_each_photo_indexed_once(db: Path, event_id: int, photos: int) -> None:
    assert photo_statuses(db, event_id) == {"indexed": photos}
    # no photo indexed twice: its face rows match its count, and no box is stored twice
    mismatched = query(
        db,
        "SELECT p.name, p.face_count, count(f.id) FROM photos p LEFT JOIN faces f ON f.photo_id = p.id"
        " WHERE p.event_id = ? GROUP BY p.id HAVING count(f.id) != p.face_count",
        event_id,
    )
    assert mismatched == []
    duplicated = query(
        db,
        'SELECT f.photo_id, f."left", f.top, count(*) FROM faces f JOIN photos p ON p.id = f.photo_id'
        ' WHERE p.event_id = ? GROUP BY f.photo_id, f."left", f.top, f."right", f.bottom HAVING count(*) > 1',
        event_id,
    )
    assert duplicated == []


def assert_thumbnails_made_while_indexing(data_dir: Path, event_id: int, photos: int) -> None:
    for side in (480, 1600):  # runtime.THUMBNAIL_PX, PREVIEW_PX
        made = list((data_dir / "thumbnails" / str(side) / str(event_id)).glob("*/*.jpg"))
        assert len(made) == photos, f"{len(made)} of {photos} photos have a {side} px rendition"


def running_task(server: Server, api: httpx.Client, event_id: int, min_done: int = 0) -> dict[str, Any]:
    task: dict[str, Any] = wait_for(
        f"a running index task with at least {min_done} photos done",
        lambda: latest_task(api, event_id),
        lambda t: t["status"] == "running" and t["done"] >= min_done,
        RUN_DEADLINE_S,
        server,
        interval_s=0.05,
    )
    return task


def stop_group_and_check(servers: Servers, server: Server, db: Path, event_id: int, photos: int) -> None:
    """SIGTERM to the server's process group: it exits in time, leaves nothing, keeps what it committed."""
    signalled = time.monotonic()
    servers.stop(server, STOP_DEADLINE_S, group=True)
    wait_until_none_left(
        server.process.pid, STOP_DEADLINE_S - (time.monotonic() - signalled), "after SIGTERM to the group"
    )
    statuses = photo_statuses(db, event_id)
    assert sum(statuses.values()) == photos
    assert statuses.get("pending", 0) > 0, f"the run was over before the stop: {statuses}"
    assert query(db, "SELECT count(*) FROM index_tasks WHERE status = 'running'") == [(1,)]


@pytest.mark.slow
def test_stopping_the_server_mid_index_leaves_no_process_and_the_run_resumes(
    tmp_path: Path, faces_dir: Path, servers: Servers
) -> None:
    names = face_set_photos(faces_dir)
    folder = copy_face_files(faces_dir, tmp_path / "photos", names)
    data_dir = tmp_path / "data"
    token = create_photographer(data_dir)

    # 1. SIGTERM to the group with the run under way: both workers have their models loaded and
    # are busy (a time into the run was the test's first trigger: indexing got fast enough to
    # finish all the photos in it)
    server = servers.start(data_dir, WORKERS_ENV)
    with server.client(token) as api:
        event_id = create_event(api, folder)
        assert api.post(f"/api/event/{event_id}/index").status_code == 202
        running_task(server, api, event_id, min_done=2)
    stop_group_and_check(servers, server, server.db_path, event_id, len(names))

    # 2. the next start resumes the run on its own; SIGTERM to the group once it has done a photo
    server = servers.start(data_dir, WORKERS_ENV)
    with server.client(token) as api:
        resumed = running_task(server, api, event_id)
        running_task(server, api, event_id, min_done=1)
    stop_group_and_check(servers, server, server.db_path, event_id, len(names))

    # 3. SIGKILL: no shutdown code runs; the workers and the resource tracker die with the server
    server = servers.start(data_dir, WORKERS_ENV)
    with server.client(token) as api:
        killed = running_task(server, api, event_id, min_done=1)
    servers.kill(server)
    wait_until_none_left(server.process.pid, STOP_DEADLINE_S, "after SIGKILL")
    assert killed["task_id"] != resumed["task_id"]

    # 4. the last start finishes the run
    server = servers.start(data_dir, WORKERS_ENV)
    with server.client(token) as api:
        done = wait_for(
            "the resumed run to finish",
            lambda: latest_task(api, event_id),
            lambda t: t["task_id"] != killed["task_id"] and t["status"] in {"done", "failed"},
            RUN_DEADLINE_S,
            server,
        )
    servers.stop(server, STOP_DEADLINE_S, group=True)
    wait_until_none_left(server.process.pid, STOP_DEADLINE_S, "after the last stop")

    assert done["status"] == "done" and done["failed"] == 0, done
    db = server.db_path
    assert_each_photo_indexed_once(db, event_id, len(names))
    assert query(db, "SELECT count(*) FROM index_tasks WHERE status IN ('queued', 'running')") == [(0,)]
    assert_thumbnails_made_while_indexing(data_dir, event_id, len(names))


CLI_PHOTOS = 12


@pytest.mark.slow
def test_ctrl_c_stops_eventface_index_leaving_no_process_and_a_rerun_finishes(
    tmp_path: Path, faces_dir: Path
) -> None:
    names = face_set_photos(faces_dir)[:CLI_PHOTOS]
    folder = copy_face_files(faces_dir, tmp_path / "photos", names)
    data_dir = tmp_path / "data"
    env = server_env({**WORKERS_ENV, "EVENTFACE_PHOTO_ROOTS": str(tmp_path)})
    event_id = int(create_event_with_cli(folder, data_dir, env, tmp_path))
    db = data_dir / "eventface.db"

    log = (tmp_path / "index.log").open("wb")
    index = subprocess.Popen(
        [str(EVENTFACE), "index", str(event_id), "--data-dir", str(data_dir)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
        start_new_session=True,  # its own terminal's process group, as a shell makes for a command
    )
    try:
        wait_for(
            "a photo indexed",
            lambda: (index.poll(), photo_statuses(db, event_id).get("indexed", 0)),
            lambda state: state[0] is not None or state[1] >= 1,
            RUN_DEADLINE_S,
        )
        assert index.poll() is None, (tmp_path / "index.log").read_text()
        workers = [p for p in alive_in(index.pid) if "spawn_main" in p.command]
        assert len(workers) == 2, "\n".join(map(str, alive_in(index.pid)))
        signalled = time.monotonic()
        os.killpg(index.pid, signal.SIGINT)  # Ctrl+C
        code = index.wait(STOP_DEADLINE_S)
        wait_until_none_left(index.pid, STOP_DEADLINE_S - (time.monotonic() - signalled), "after Ctrl+C")
    finally:
        if index.poll() is None:
            index.kill()
            index.wait()
        log.close()
    output = (tmp_path / "index.log").read_text()
    assert code == 130, output
    assert "run it again" in output, output
    statuses = photo_statuses(db, event_id)
    assert statuses.get("pending", 0) > 0, f"the run was over before Ctrl+C: {statuses}"
    interrupted = ("interrupted", "stopped: KeyboardInterrupt")
    assert query(db, "SELECT status, error FROM index_tasks") == [interrupted]

    rerun = run_eventface("index", str(event_id), data_dir=data_dir, env=env, cwd=tmp_path).stdout

    assert f"indexed {statuses['pending']} with" in rerun, rerun
    assert_each_photo_indexed_once(db, event_id, len(names))
    assert_thumbnails_made_while_indexing(data_dir, event_id, len(names))
