"""The Huey tasks run eagerly (`huey.immediate`) on the real services, a local folder and the fake engine."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from huey import Huey, SqliteHuey

from eventface.domain.models import TaskStatus
from eventface.jobs.queue import make_huey
from eventface.jobs.tasks import Tasks, register_tasks
from eventface.runtime import Runtime
from eventface.services import ingest, sync
from eventface.settings import Settings
from tests.conftest import WritePhoto
from tests.integration.fake_indexing import build_with_fake_engine, create_event, photo_states


@pytest.fixture
def huey(settings: Settings) -> Huey:
    queue = make_huey(settings)
    queue.immediate = True  # tasks run when enqueued, on in-memory storage
    return queue


@pytest.fixture
def tasks(huey: Huey, settings: Settings) -> Iterator[Tasks]:
    registered = register_tasks(huey, settings, build=build_with_fake_engine)
    yield registered
    registered.runtime.close()


@pytest.fixture
def rt(tasks: Tasks) -> Runtime:
    return tasks.runtime.get()


@pytest.fixture
def folder(tmp_path: Path, write_photo: WritePhoto) -> Path:
    write_photo(tmp_path / "photos" / "red.jpg", [("red", (40, 40), 60)])
    return tmp_path / "photos"


def enable(rt: Runtime, event_id: int) -> None:
    with rt.transactions() as uow:
        sync.enable_auto_sync(uow, str(event_id), 0.5, 2.0)


def status(rt: Runtime, event_id: int) -> sync.AutoSyncStatus:
    with rt.transactions() as uow:
        return sync.auto_sync_status(uow, str(event_id))


def test_the_queue_is_sqlite_in_the_data_dir_by_default(settings: Settings) -> None:
    huey = make_huey(settings)

    assert isinstance(huey, SqliteHuey)
    assert huey.storage.filename == str(settings.data_dir / "queue.db")


def test_a_redis_queue_url_selects_redis(tmp_path: Path) -> None:
    pytest.importorskip("redis", reason="the redis client is not installed (scale-out issue)")
    from huey import RedisHuey  # noqa: PLC0415

    huey = make_huey(Settings(data_dir=tmp_path, queue_url="redis://localhost:6379/3"))

    assert isinstance(huey, RedisHuey)


def test_index_task_indexes_the_event(tasks: Tasks, rt: Runtime, folder: Path) -> None:
    event = create_event(rt, folder)
    with rt.transactions() as uow:
        task = ingest.create_task(uow, str(event.id))

    report = tasks.index_event(task.task_id).get()

    assert (report.indexed, report.faces) == (1, 1)
    with rt.transactions() as uow:
        assert uow.tasks.get(task.task_id).status is TaskStatus.DONE


def test_sync_task_indexes_new_photos_and_records_the_sync(
    tasks: Tasks, rt: Runtime, folder: Path, write_photo: WritePhoto
) -> None:
    event = create_event(rt, folder)
    enable(rt, event.id)
    before = datetime.now(UTC)

    assert tasks.sync_event(event.id).get() == "synced"
    write_photo(folder / "pair.jpg", [("red", (20, 30), 50), ("green", (150, 100), 70)])
    enable(rt, event.id)  # due again at once
    assert tasks.sync_event(event.id).get() == "synced"

    assert {name: s.status for name, s in photo_states(rt, event).items()} == {
        "red.jpg": "indexed",
        "pair.jpg": "indexed",
    }
    after = status(rt, event.id)
    assert after.last_sync_at is not None and after.last_sync_at >= before
    assert (after.running, after.last_error, after.photos_total, after.faces_total) == (False, None, 2, 3)
    assert after.next_sync_at is not None and after.next_sync_at > after.last_sync_at


def test_sync_task_records_a_vanished_folder_without_raising(tasks: Tasks, rt: Runtime, folder: Path) -> None:
    event = create_event(rt, folder)
    enable(rt, event.id)
    tasks.sync_event(event.id).get()
    first_sync = status(rt, event.id).last_sync_at
    shutil.rmtree(folder)
    enable(rt, event.id)

    outcome = tasks.sync_event(event.id).get()

    after = status(rt, event.id)
    assert outcome.startswith("failed: ")
    assert after.last_error is not None and str(folder) in after.last_error
    assert (after.running, after.last_sync_at, after.photos_total) == (False, first_sync, 1)
    assert after.enabled  # the next sync tries again


def test_sync_task_skips_an_event_that_is_not_due_and_says_why(
    tasks: Tasks, rt: Runtime, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    event = create_event(rt, folder)
    enable(rt, event.id)
    tasks.sync_event(event.id).get()

    with caplog.at_level(logging.INFO, logger="eventface.jobs.tasks"):
        outcome = tasks.sync_event(event.id).get()

    assert outcome == "skipped: not due yet"
    (record,) = [r for r in caplog.records if r.getMessage() == "sync skipped"]
    assert record.fields == {"event": event.id, "trigger": "schedule", "reason": "not due yet"}  # type: ignore[attr-defined]


def test_sync_task_skips_a_disabled_or_deleted_event(tasks: Tasks, rt: Runtime, folder: Path) -> None:
    event = create_event(rt, folder)

    assert tasks.sync_event(event.id).get() == "skipped: auto-sync is disabled"
    assert tasks.sync_event(12345).get() == "skipped: the event no longer exists"


def test_the_scheduler_enqueues_a_sync_for_each_due_event_only(
    tasks: Tasks, rt: Runtime, folder: Path
) -> None:
    due, off = create_event(rt, folder), create_event(rt, folder)
    enable(rt, due.id)

    assert tasks.enqueue_due_syncs().get() == [due.id]

    assert status(rt, due.id).last_sync_at is not None  # immediate mode ran the enqueued sync
    assert status(rt, off.id).last_sync_at is None
    assert tasks.enqueue_due_syncs().get() == []  # synced: next one is an interval away


def test_channels_are_maintained_by_a_periodic_task_and_syncs_by_the_scheduler(
    huey: Huey, tasks: Tasks
) -> None:
    periodic = {task.name for task in huey.read_periodic(None)}
    # subscribed guests' new photos (issue 14), index runs whose workers all died (issue 15)
    expected = {"maintain_channels_periodic", "notify_subscribers_periodic", "recover_indexing_periodic"}
    assert periodic == expected
    assert tasks.scheduler.next_at is None  # not started: the worker starts it (jobs/worker.py)


def test_a_real_consumer_runs_a_sync_from_the_sqlite_queue(settings: Settings, folder: Path) -> None:
    huey = make_huey(settings)
    tasks = register_tasks(huey, settings, build=build_with_fake_engine)
    rt = tasks.runtime.get()
    event = create_event(rt, folder)
    enable(rt, event.id)
    consumer = huey.create_consumer(workers=2, worker_type="thread", periodic=False)
    consumer.start()
    try:
        outcome = tasks.sync_event(event.id).get(blocking=True, timeout=60)
        assert outcome == "synced"
        assert status(rt, event.id).photos_total == 1
    finally:
        consumer.stop(graceful=True)
        tasks.runtime.close()
    assert (settings.data_dir / "queue.db").is_file()
