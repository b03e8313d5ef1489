"""Work spread per photo across real worker processes on PostgreSQL + Redis (issue 15): a worker
SIGKILLed mid-photo loses nothing; its photo is indexed again by another, exactly once.

The workers are real processes running the product's queue, tasks and worker loop
(tests/database/gated_worker.py); only the face engine is the fake one, behind file gates, so
"mid-photo" is a state the test sees, not a moment it guesses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eventface.db.tables import FaceRow, PhotoRow
from eventface.domain.models import TaskStatus
from eventface.jobs.queue import make_huey
from eventface.jobs.tasks import register_tasks
from eventface.runtime import Runtime
from eventface.services import ingest
from eventface.settings import Settings
from tests.conftest import WritePhoto
from tests.harness.services import PostgresServer, RedisServer
from tests.integration.fake_indexing import build_with_fake_engine, create_event

PHOTOS = 8
LEASE_S = 3
DEADLINE_S = 60
POLL_S = 0.05
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scale_out(
    postgres: PostgresServer, redis_server: RedisServer, tmp_path: Path, write_photo: WritePhoto
) -> Iterator[tuple[Settings, dict[str, str], Runtime]]:
    env = {
        "EVENTFACE_DATA_DIR": str(tmp_path / "data"),
        "EVENTFACE_DATABASE_URL": postgres.fresh_database(),
        "EVENTFACE_QUEUE_URL": redis_server.fresh_url(),
        "EVENTFACE_WORKERS": "1",
        "EVENTFACE_INDEX_LEASE_S": str(LEASE_S),
        "GATE_DIR": str(tmp_path / "gates"),
    }
    (tmp_path / "gates").mkdir()
    for i in range(PHOTOS):
        write_photo(tmp_path / "photos" / f"p{i}.jpg", [("red", (10, 10), 40), ("blue", (80, 50), 40)])
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=env["EVENTFACE_DATABASE_URL"],
        queue_url=env["EVENTFACE_QUEUE_URL"],
        workers=1,
        index_lease_s=LEASE_S,
    )
    rt = build_with_fake_engine(settings)
    yield settings, env, rt
    rt.close()


def start_worker(env: dict[str, str], **gates: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.database.gated_worker"],
        env={**os.environ, **env, **gates, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )


def wait_for(condition: Callable[[], bool], what: str, *workers: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        for worker in workers:
            assert worker.poll() is None, f"a worker exited ({worker.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} after {DEADLINE_S} s"
        time.sleep(POLL_S)


def stop(*workers: subprocess.Popen[bytes]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def enqueue_index(settings: Settings, rt: Runtime, event_id: int) -> str:
    tasks = register_tasks(make_huey(settings), settings, build=build_with_fake_engine)
    with rt.transactions() as uow:
        task = ingest.create_task(uow, str(event_id))
    tasks.index_event(task.task_id)
    return task.task_id


def task_status(rt: Runtime, task_id: str) -> TaskStatus:
    with rt.transactions() as uow:
        return uow.tasks.get(task_id).status


def assert_indexed_once(rt: Runtime, event_id: int, task_id: str) -> None:
    with rt.transactions() as uow:
        task = uow.tasks.get(task_id)
        statuses = set(uow.session.scalars(select(PhotoRow.status).where(PhotoRow.event_id == event_id)))
        faces = uow.session.scalar(
            select(func.count()).select_from(FaceRow).where(FaceRow.event_id == event_id)
        )
        duplicated = uow.session.execute(
            select(FaceRow.photo_id)
            .where(FaceRow.event_id == event_id)
            .group_by(FaceRow.photo_id, FaceRow.left, FaceRow.top)
            .having(func.count() > 1)
        ).all()
    assert (task.status, task.done, task.total, task.faces) == (TaskStatus.DONE, PHOTOS, PHOTOS, 2 * PHOTOS)
    assert statuses == {"indexed"}
    assert (faces, duplicated) == (2 * PHOTOS, [])


def test_a_worker_killed_mid_photo_loses_nothing_and_its_photo_is_indexed_once_by_another(
    scale_out: tuple[Settings, dict[str, str], Runtime], tmp_path: Path
) -> None:
    settings, env, rt = scale_out
    gates = tmp_path / "gates"
    event = create_event(rt, tmp_path / "photos")
    # the first worker holds its first photo; the second starts on photos only once it does, so
    # both are inside the one event's run at once, whichever of them took the run off the queue
    doomed = start_worker(env, GATE_HOLD="1")
    survivor = start_worker(env, GATE_WAIT="held")
    try:
        ready = [gates / f"ready-{w.pid}" for w in (doomed, survivor)]
        wait_for(lambda: all(r.exists() for r in ready), "workers ready", doomed, survivor)
        task_id = enqueue_index(settings, rt, event.id)
        wait_for((gates / "held").exists, "photo held mid-analysis", doomed, survivor)
        doomed.send_signal(signal.SIGKILL)
        assert doomed.wait(20) == -signal.SIGKILL

        wait_for(lambda: task_status(rt, task_id) is TaskStatus.DONE, "finished task", survivor)

        assert_indexed_once(rt, event.id, task_id)
        started = {p.name.split("-")[1] for p in gates.glob("started-*")}
        assert started == {str(doomed.pid), str(survivor.pid)}
        # the dead worker got no further than the photo it held: the survivor stored all of them
        assert len(list(gates.glob(f"started-{doomed.pid}-*"))) == 1
    finally:
        stop(doomed, survivor)


def test_a_run_whose_only_worker_was_killed_is_resumed_by_a_worker_started_later(
    scale_out: tuple[Settings, dict[str, str], Runtime], tmp_path: Path
) -> None:
    settings, env, rt = scale_out
    gates = tmp_path / "gates"
    event = create_event(rt, tmp_path / "photos")
    doomed = start_worker(env, GATE_HOLD="1")
    later: subprocess.Popen[bytes] | None = None
    try:
        task_id = enqueue_index(settings, rt, event.id)
        wait_for((gates / "held").exists, "photo held mid-analysis", doomed)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(20)
        # its jobs died with it (Redis hands a job out once); the run is stalled once its
        # heartbeat and its lease are older than the lease time
        wait_for(lambda: stalled(rt, task_id), "stalled run")
        later = start_worker(env)  # looks for stalled runs as it starts, and every minute

        wait_for(lambda: task_status(rt, task_id) is TaskStatus.DONE, "finished task", later)
        assert_indexed_once(rt, event.id, task_id)
    finally:
        stop(doomed, *([later] if later else []))


def stalled(rt: Runtime, task_id: str) -> bool:
    now = datetime.now(UTC)
    with rt.transactions() as uow:
        return task_id in uow.claims.stalled_tasks(now, now - timedelta(seconds=LEASE_S))
