"""Indexing driven from a shell across processes: `eventface worker` on PostgreSQL + Redis, `index
--enqueue` printing a task id, `tasks show --json` following it; a stopped worker leaves no process.

Real processes, real servers (tests/harness/services.py), the real face engine on three photos of
the developer face set (skipped with the reason when the set is absent).
"""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import psutil

from tests.harness.console import create_event, eventface_env, run_eventface, start_eventface
from tests.harness.services import PostgresServer, RedisServer

PHOTOS = ["groups/fr_two_people.jpg", "people/biden/2.jpg", "people/kit_harington/1.jpg"]
DONE_DEADLINE_S = 180
STOP_DEADLINE_S = 20
POLL_S = 0.5


def test_a_separate_worker_runs_an_enqueued_index_and_stops_cleanly(
    postgres: PostgresServer, redis_server: RedisServer, faces_dir: Path, tmp_path: Path
) -> None:
    env = eventface_env(
        EVENTFACE_DATABASE_URL=postgres.fresh_database(),
        EVENTFACE_QUEUE_URL=redis_server.fresh_url(),
        EVENTFACE_FACE_ENGINE="sface",
        EVENTFACE_WORKERS="1",
    )
    data_dir, folder = tmp_path / "data", tmp_path / "photos"
    folder.mkdir()
    for rel in PHOTOS:
        shutil.copyfile(faces_dir / rel, folder / rel.replace("/", "_"))
    run_eventface("db", "upgrade", data_dir=data_dir, env=env, cwd=tmp_path)
    event_id = create_event(folder, data_dir, env, tmp_path)

    worker = start_eventface("worker", "--processes", "2", data_dir=data_dir, env=env, cwd=tmp_path)
    try:
        queued = run_eventface("index", event_id, "--enqueue", data_dir=data_dir, env=env, cwd=tmp_path)
        task_id = queued.stdout.strip().splitlines()[-1]
        progress = _wait_for_end(task_id, data_dir, env, tmp_path)
        assert (progress["status"], progress["done"], progress["total"]) == ("done", 3, 3)
        assert progress["faces"] >= 4 and progress["percent"] == 100.0

        family = [worker.pid, *(c.pid for c in psutil.Process(worker.pid).children(recursive=True))]
        assert len(family) >= 2  # the second worker process
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(STOP_DEADLINE_S) == 0
        _, alive = psutil.wait_procs([p for p in map(_process, family) if p], timeout=STOP_DEADLINE_S)
        assert alive == []
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        if worker.stdout:
            worker.stdout.close()


def _wait_for_end(task_id: str, data_dir: Path, env: dict[str, str], cwd: Path) -> dict[str, object]:
    deadline = time.monotonic() + DONE_DEADLINE_S
    while True:
        shown = run_eventface("tasks", "show", task_id, "--json", data_dir=data_dir, env=env, cwd=cwd)
        progress: dict[str, object] = json.loads(shown.stdout)
        if progress["status"] in {"done", "failed"} or time.monotonic() > deadline:
            return progress
        time.sleep(POLL_S)


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None
