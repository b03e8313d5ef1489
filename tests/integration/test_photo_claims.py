"""Work spread per photo (issue 15): leases on pending photos, on the real database and services.

Runs on SQLite here and on PostgreSQL in tests/database/test_pg_photo_claims.py. The fake
colour-square engine stands in for the models; the real-process SIGKILL test is
tests/database/test_worker_killed_mid_photo.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from eventface.db.repositories import ClaimLostError
from eventface.domain.models import Box, DetectedFace, Event, TaskStatus
from eventface.errors import SourceUnavailableError
from eventface.faces.images import PhotoImage
from eventface.faces.pool import InlineAnalyzer
from eventface.runtime import Runtime
from eventface.services import ingest
from eventface.services.ingest import EngineInfo, Lease
from eventface.sources.base import SourcePhoto, SourceUpdate
from eventface.sources.local_folder import LocalFolderSource
from tests.conftest import WritePhoto
from tests.fakes.face_engine import ColourSquareEngine
from tests.integration.fake_indexing import create_event, faces_by_photo, photo_states

PHOTOS = 6
SHORT_LEASE = Lease(seconds=1.0, poll_s=0.1)
BARRIER_TIMEOUT_S = 20


@pytest.fixture
def folder(tmp_path: Path, write_photo: WritePhoto) -> Path:
    for i in range(PHOTOS):
        write_photo(tmp_path / "photos" / f"p{i}.jpg", [("red", (10, 10), 40), ("blue", (80, 50), 40)])
    return tmp_path / "photos"


def plan(rt: Runtime, event: Event) -> str:
    """What `run_indexing` does before it indexes: the photos pending, a running task."""
    listing = LocalFolderSource(Path(event.source_uri)).list_photos()
    with rt.transactions() as uow:
        ingest.apply_update(uow, event.id, SourceUpdate(cursor="", photos=list(listing), complete=True))
        task = uow.tasks.create(event.id)
        uow.tasks.start(task.task_id, total=len(uow.photos.pending(event.id)))
    return task.task_id


def join(rt: Runtime, task_id: str, event: Event, engine: ColourSquareEngine) -> ingest.IndexReport:
    return ingest.continue_indexing(
        rt.transactions,
        task_id,
        LocalFolderSource(Path(event.source_uri)),
        InlineAnalyzer(engine, rt.settings.max_image_pixels),
        EngineInfo(engine.name, engine.model),
        lease=SHORT_LEASE,
    )


def test_two_claims_take_different_photos_and_a_live_lease_keeps_a_photo(
    runtime: Runtime, folder: Path
) -> None:
    event = create_event(runtime, folder)
    plan(runtime, event)
    now = datetime.now(UTC)
    with runtime.transactions() as uow:
        first = uow.claims.claim(event.id, "a" * 32, now, 60, limit=4)
        second = uow.claims.claim(event.id, "b" * 32, now, 60, limit=4)
        third = uow.claims.claim(event.id, "c" * 32, now, 60, limit=4)
    assert len(first) == 4 and len(second) == 2 and third == []
    assert not set(first) & set(second)
    later = now + timedelta(seconds=61)  # the leases ran out: the photos are anyone's again
    with runtime.transactions() as uow:
        retaken = uow.claims.claim(event.id, "c" * 32, later, 60, limit=PHOTOS)
        assert sorted(retaken) == sorted(first + second)
        assert not uow.claims.settle(first[0], "a" * 32)  # its first owner's result no longer counts
        assert uow.claims.settle(first[0], "c" * 32)


def test_a_run_takes_photos_with_their_rows_and_none_once_its_task_has_ended(
    runtime: Runtime, folder: Path
) -> None:
    event = create_event(runtime, folder)
    task_id = plan(runtime, event)
    now = datetime.now(UTC)
    with runtime.transactions() as uow:
        taken = uow.claims.take(event.id, task_id, "a" * 32, now, 60, limit=2)
        others = uow.claims.claim(event.id, "b" * 32, now, 60, limit=PHOTOS)
        uow.tasks.finish(task_id, TaskStatus.INTERRUPTED, "a newer run took over")
    with runtime.transactions() as uow:
        assert (
            uow.claims.take(event.id, task_id, "c" * 32, now + timedelta(seconds=61), 60, limit=PHOTOS) == []
        )
    states = photo_states(runtime, event)
    assert [(p.id, p.name, p.event_id) for p in taken] == sorted(
        (states[name].id, name, event.id) for name in states if states[name].id not in others
    )
    assert len(taken) == 2 and all(p.source_file_id == p.name for p in taken)


def test_a_result_is_stored_only_while_its_worker_holds_the_photo(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)
    plan(runtime, event)
    now = datetime.now(UTC)
    with runtime.transactions() as uow:
        (photo_id,) = uow.claims.claim(event.id, "a" * 32, now, 1, limit=1)
    with runtime.transactions() as uow:  # the lease ran out and another worker took the photo
        assert uow.claims.claim(event.id, "b" * 32, now + timedelta(seconds=2), 60, limit=1) == [photo_id]
    face = DetectedFace(box=Box(1, 1, 9, 9), score=0.9, embedding=np.ones(4, np.float32), sharpness=50.0)
    stored = {"engine": "fake", "model": "m", "content_hash": "h", "width": 10, "height": 10}
    with pytest.raises(ClaimLostError), runtime.transactions() as uow:
        uow.photos.save_faces(photo_id, [face], **stored, held_by="a" * 32)  # type: ignore[arg-type]
    with pytest.raises(ClaimLostError), runtime.transactions() as uow:
        uow.photos.save_failure(photo_id, "too late", held_by="a" * 32)
    assert {s.id: s.status for s in photo_states(runtime, event).values()}[photo_id] == "pending"
    assert faces_by_photo(runtime, event) == {}

    with runtime.transactions() as uow:
        (face_id,) = uow.photos.save_faces(photo_id, [face], **stored, held_by="b" * 32)  # type: ignore[arg-type]
        assert not uow.claims.settle(photo_id, "b" * 32)  # stored: the lease ended with it
    assert face_id > 0


def test_a_photo_whose_worker_died_is_taken_over_when_its_lease_ends_and_stored_once(
    runtime: Runtime, folder: Path
) -> None:
    engine = ColourSquareEngine()
    event = create_event(runtime, folder)
    task_id = plan(runtime, event)
    with runtime.transactions() as uow:  # a worker claims a photo, then dies
        (orphan,) = uow.claims.claim(event.id, "dead" * 8, datetime.now(UTC), SHORT_LEASE.seconds)

    report = join(runtime, task_id, event, engine)

    assert (report.indexed, report.faces) == (PHOTOS, 2 * PHOTOS)  # the orphan too, after its lease
    assert engine.photos_seen == PHOTOS
    with runtime.transactions() as uow:
        task = uow.tasks.get(task_id)
        assert (task.status, task.done, task.total, task.faces) == (
            TaskStatus.DONE,
            PHOTOS,
            PHOTOS,
            2 * PHOTOS,
        )
        assert not uow.claims.settle(orphan, "dead" * 8)  # the dead worker's late result would be dropped
    assert {s.status for s in photo_states(runtime, event).values()} == {"indexed"}
    assert {name: len(faces) for name, faces in faces_by_photo(runtime, event).items()} == {
        f"p{i}.jpg": 2 for i in range(PHOTOS)
    }


class OvertakenEngine(ColourSquareEngine):
    """While the run analyses its first photo, that photo's lease is lost: another worker takes
    it (as if this one had stalled past its lease) and gives it back, unanalysed."""

    def __init__(self, rt: Runtime, event: Event) -> None:
        super().__init__()
        self.rt, self.event = rt, event

    def find_faces(self, image: PhotoImage) -> list:  # type: ignore[type-arg]
        if self.photos_seen == 0:
            after_the_lease = datetime.now(UTC) + timedelta(hours=1)
            with self.rt.transactions() as uow:  # the run's photo: the lowest id, its lease over by then
                assert len(uow.claims.claim(self.event.id, "thief" * 6, after_the_lease, 60)) == 1
            with self.rt.transactions() as uow:
                uow.claims.release("thief" * 6)
        return super().find_faces(image)


def test_a_run_that_lost_its_photo_drops_its_result_and_the_photo_is_indexed_once(
    runtime: Runtime, folder: Path
) -> None:
    event = create_event(runtime, folder)
    task_id = plan(runtime, event)
    engine = OvertakenEngine(runtime, event)

    report = join(runtime, task_id, event, engine)

    assert engine.photos_seen == PHOTOS + 1  # the lost photo analysed again, its first result dropped
    assert (report.indexed, report.faces) == (PHOTOS, 2 * PHOTOS)
    with runtime.transactions() as uow:
        task = uow.tasks.get(task_id)
        assert (task.status, task.done, task.faces) == (TaskStatus.DONE, PHOTOS, 2 * PHOTOS)
    assert {name: len(faces) for name, faces in faces_by_photo(runtime, event).items()} == {
        f"p{i}.jpg": 2 for i in range(PHOTOS)
    }


class MeetingEngine(ColourSquareEngine):
    """Holds each thread's first photo until another thread is inside a photo too: proves that two
    runs work on one event at the same time, without timing luck."""

    def __init__(self) -> None:
        super().__init__()
        self.barrier = threading.Barrier(2, timeout=BARRIER_TIMEOUT_S)
        self.met: set[int] = set()
        self.lock = threading.Lock()

    def find_faces(self, image: PhotoImage) -> list:  # type: ignore[type-arg]
        if threading.get_ident() not in self.met:
            self.barrier.wait()
            with self.lock:
                self.met.add(threading.get_ident())
        with self.lock:
            return super().find_faces(image)


def test_two_runs_share_one_event_photo_by_photo(runtime: Runtime, folder: Path) -> None:
    engine = MeetingEngine()
    event = create_event(runtime, folder)
    task_id = plan(runtime, event)
    reports: list[ingest.IndexReport] = []

    def run() -> None:
        analyzer = InlineAnalyzer(engine, runtime.settings.max_image_pixels, lock=threading.Lock())
        reports.append(
            ingest.continue_indexing(
                runtime.transactions,
                task_id,
                LocalFolderSource(folder),
                analyzer,
                EngineInfo(engine.name, engine.model),
                lease=SHORT_LEASE,
            )
        )

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(reports) == 2 and all(r.indexed >= 1 for r in reports)
    assert sum(r.indexed for r in reports) == PHOTOS  # each photo indexed by exactly one run
    with runtime.transactions() as uow:
        assert uow.tasks.get(task_id).status is TaskStatus.DONE
    assert sum(len(f) for f in faces_by_photo(runtime, event).values()) == 2 * PHOTOS


def test_a_task_whose_workers_all_died_is_resumed_by_one_caller(runtime: Runtime, folder: Path) -> None:
    event = create_event(runtime, folder)
    task_id = plan(runtime, event)
    start = datetime.now(UTC)
    with runtime.transactions() as uow:
        uow.claims.touch_task(task_id, start)
        uow.claims.claim(event.id, "dead" * 8, start, 60)
    lease = Lease(seconds=60)
    with runtime.transactions() as uow:  # alive: a heartbeat and a lease that has not run out
        assert ingest.stalled_tasks(uow, start + timedelta(seconds=30), lease) == []
    later = start + timedelta(seconds=61)
    with runtime.transactions() as uow:
        assert ingest.stalled_tasks(uow, later, lease) == [task_id]
    with runtime.transactions() as uow:  # another worker looking at the same moment starts nothing
        assert ingest.stalled_tasks(uow, later, lease) == []


def test_a_worker_that_cannot_see_the_folder_fails_its_job_and_removes_nothing(
    runtime: Runtime, folder: Path
) -> None:
    engine = ColourSquareEngine()
    event = create_event(runtime, folder)
    task_id = plan(runtime, event)
    hidden = folder.rename(folder.with_name("not-mounted-here"))  # as on a machine without the mount

    with pytest.raises(SourceUnavailableError, match="photo folder not found"):
        join(runtime, task_id, event, engine)

    assert {s.status for s in photo_states(runtime, event).values()} == {"pending"}
    with runtime.transactions() as uow:
        assert uow.tasks.get(task_id).status is TaskStatus.RUNNING  # other workers go on with it
        assert uow.claims.outlook(event.id, datetime.now(UTC)).next_expiry is None  # claims given back
    hidden.rename(folder)
    assert join(runtime, task_id, event, engine).indexed == PHOTOS


class UnmountedAfterListing(LocalFolderSource):
    """The folder is listed, then goes away (unmounted) before its photos are read."""

    def list_photos(self) -> Iterator[SourcePhoto]:
        listed = list(super().list_photos())
        self.root.rename(self.root.with_name("unmounted"))
        return iter(listed)


def test_a_folder_lost_after_listing_fails_the_task_with_the_reason(runtime: Runtime, folder: Path) -> None:
    engine = ColourSquareEngine()
    event = create_event(runtime, folder)
    with runtime.transactions() as uow:
        task = ingest.create_task(uow, str(event.id))

    with pytest.raises(SourceUnavailableError):
        ingest.run_indexing(
            runtime.transactions,
            task.task_id,
            UnmountedAfterListing(folder),
            InlineAnalyzer(engine, runtime.settings.max_image_pixels),
            EngineInfo(engine.name, engine.model),
        )

    with runtime.transactions() as uow:
        failed = uow.tasks.get(task.task_id)
    assert failed.status is TaskStatus.FAILED
    assert failed.error is not None and "photo folder not found" in failed.error
    assert {s.status for s in photo_states(runtime, event).values()} == {"pending"}
