"""Indexing an event folder with the real services and database, and the fake colour-square engine."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventface.domain.models import Box, DetectedFace, PhotoStatus, TaskStatus
from eventface.errors import InvalidInputError, SourceUnavailableError
from eventface.runtime import Runtime, build_runtime
from eventface.services import events, ingest
from eventface.settings import Settings
from eventface.sources.base import SourcePhoto
from eventface.sources.local_folder import LocalFolderSource
from tests.conftest import WritePhoto
from tests.fakes.face_engine import ColourSquareEngine
from tests.fakes.photos import Square, encode, picture
from tests.integration.fake_indexing import (
    create_event,
    faces_by_photo,
    index_event,
    photo_states,
    row_counts,
    search_squares,
)

RED_SQUARE = [("red", (40, 40), 60)]


@pytest.fixture
def folder(tmp_path: Path, write_photo: WritePhoto) -> Path:
    """Three photos (one red face, a red and a green face, no face) and two files that are not photos."""
    root = tmp_path / "photos"
    write_photo(root / "red.jpg", RED_SQUARE)
    write_photo(root / "day2" / "pair.jpg", [("red", (20, 30), 50), ("green", (150, 100), 70)])
    write_photo(root / "day2" / "empty.jpg", [])
    (root / "notes.txt").write_text("shot list")
    write_photo(root / ".hidden.jpg", RED_SQUARE)
    return root


@pytest.fixture
def engine() -> ColourSquareEngine:
    return ColourSquareEngine()


def statuses(rt: Runtime, event: events.Event) -> dict[str, str]:
    return {name: state.status for name, state in photo_states(rt, event).items()}


def matched(rt: Runtime, event: events.Event, engine: ColourSquareEngine, selfie: list[Square]) -> set[str]:
    return {m.name for m in search_squares(rt, event, engine, selfie).matches}


def touch_later(path: Path) -> None:
    """Moves the file's modification time on, so its version changes even within one clock tick."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_indexing_a_folder_indexes_every_image_and_skips_other_files(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)

    report = index_event(runtime, event, engine)

    assert (report.sync.added, report.indexed, report.faces, report.failed) == (3, 3, 3, [])
    states = photo_states(runtime, event)
    assert {name: (s.status, s.face_count) for name, s in states.items()} == {
        "red.jpg": ("indexed", 1),
        "day2/pair.jpg": ("indexed", 2),
        "day2/empty.jpg": ("indexed", 0),
    }
    (red_face,) = faces_by_photo(runtime, event)["red.jpg"]
    assert (red_face.left, red_face.top, red_face.right, red_face.bottom) == (40, 40, 100, 100)
    assert (red_face.engine, red_face.model) == (engine.name, engine.model)


def test_second_run_indexes_nothing_and_never_duplicates_faces(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    faces_before = {name: [f.id for f in rows] for name, rows in faces_by_photo(runtime, event).items()}
    seen_before = engine.photos_seen

    report = index_event(runtime, event, engine)

    assert (report.sync.added, report.sync.changed, report.sync.unchanged) == (0, 0, 3)
    assert (report.indexed, report.faces) == (0, 0)
    assert engine.photos_seen == seen_before
    assert {
        name: [f.id for f in rows] for name, rows in faces_by_photo(runtime, event).items()
    } == faces_before
    assert row_counts(runtime, event.id)["faces"] == 3


def test_the_faces_given_to_the_index_while_indexing_are_the_faces_stored(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    # the indexing run hands its own index the faces it stored, not a read-back of them
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    photo_id = photo_states(runtime, event)["day2/pair.jpg"].id
    faces = [
        DetectedFace(
            Box(10 * i, 20 * i, 10 * i + 50, 20 * i + 70 + i),
            0.9,
            [0.1 * i + 0.01 * d for d in range(4)],
            33.5 + i,
        )
        for i in range(3)
    ]
    with runtime.transactions() as uow:
        face_ids = uow.photos.save_faces(
            photo_id, faces, engine=engine.name, model="m", content_hash="h", width=300, height=200
        )
    with runtime.transactions() as uow:
        stored = uow.faces.matrix(event.id, engine.name, photo_id=photo_id)
    given = ingest._matrix(photo_id, face_ids, faces)
    assert stored.face_ids.tolist() == given.face_ids.tolist() == sorted(face_ids)
    assert stored.photo_ids.tolist() == given.photo_ids.tolist() == [photo_id] * 3
    for column in ("embeddings", "heights", "sharpness"):
        assert getattr(stored, column).dtype == getattr(given, column).dtype
        assert getattr(stored, column).tolist() == getattr(given, column).tolist()


def test_modified_photo_is_reindexed_and_its_old_faces_replaced(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine, write_photo: WritePhoto
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    assert matched(runtime, event, engine, RED_SQUARE) == {"day2/pair.jpg", "red.jpg"}

    write_photo(folder / "red.jpg", [("blue", (10, 10), 80), ("yellow", (200, 120), 40)])
    touch_later(folder / "red.jpg")
    report = index_event(runtime, event, engine)

    assert (report.sync.changed, report.sync.unchanged, report.indexed) == (1, 2, 1)
    faces = faces_by_photo(runtime, event)["red.jpg"]
    assert [(f.left, f.top, f.right, f.bottom) for f in faces] == [(10, 10, 90, 90), (200, 120, 240, 160)]
    assert row_counts(runtime, event.id)["faces"] == 4
    # the in-memory index followed the change
    assert matched(runtime, event, engine, RED_SQUARE) == {"day2/pair.jpg"}
    assert matched(runtime, event, engine, [("blue", (0, 0), 50)]) == {"red.jpg"}


def test_deleted_photo_is_marked_removed_and_its_faces_deleted(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    search_squares(runtime, event, engine, RED_SQUARE)  # loads the event into the in-memory index

    (folder / "day2" / "pair.jpg").unlink()
    report = index_event(runtime, event, engine)

    assert (report.sync.removed, report.indexed) == (1, 0)
    pair = photo_states(runtime, event)["day2/pair.jpg"]
    assert (pair.status, pair.face_count) == ("removed", 0)
    assert "day2/pair.jpg" not in faces_by_photo(runtime, event)
    assert row_counts(runtime, event.id)["faces"] == 1
    assert matched(runtime, event, engine, RED_SQUARE) == {"red.jpg"}


def test_a_removed_photo_that_returns_is_indexed_again_under_its_old_id(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine, write_photo: WritePhoto
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    photo_id = photo_states(runtime, event)["red.jpg"].id
    (folder / "red.jpg").unlink()
    index_event(runtime, event, engine)

    write_photo(folder / "red.jpg", RED_SQUARE)
    report = index_event(runtime, event, engine)

    assert (report.sync.added, report.sync.changed, report.indexed) == (0, 1, 1)
    returned = photo_states(runtime, event)["red.jpg"]
    assert (returned.id, returned.status, returned.face_count) == (photo_id, "indexed", 1)


def test_broken_files_are_recorded_failed_while_the_others_index(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    whole = encode(picture((640, 480), RED_SQUARE))
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (folder / "notes.jpg").write_text("not a photo at all")
    (folder / "empty.png").write_bytes(b"")
    for name in ("truncated.jpg", "notes.jpg", "empty.png"):  # written long ago: not still arriving
        os.utime(folder / name, (time.time() - 60, time.time() - 60))
    event = create_event(runtime, folder)

    report = index_event(runtime, event, engine)

    assert report.indexed == 3
    assert sorted(name for name, _ in report.failed) == ["empty.png", "notes.jpg", "truncated.jpg"]
    states = photo_states(runtime, event)
    assert states["truncated.jpg"].status == "failed"
    assert "truncated" in (states["truncated.jpg"].error or "")
    assert states["notes.jpg"].error == "not an image (or an unsupported format)"
    assert states["empty.png"].error
    assert {states[n].status for n in ("red.jpg", "day2/pair.jpg", "day2/empty.jpg")} == {"indexed"}


def test_failed_photo_is_retried_only_once_its_file_changes(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine, write_photo: WritePhoto
) -> None:
    (folder / "broken.jpg").write_text("not a photo")
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)

    assert index_event(runtime, event, engine).failed == []  # unchanged: not tried again
    assert photo_states(runtime, event)["broken.jpg"].status == "failed"

    write_photo(folder / "broken.jpg", [("cyan", (5, 5), 40)])
    touch_later(folder / "broken.jpg")
    report = index_event(runtime, event, engine)

    assert (report.indexed, report.failed) == (1, [])
    fixed = photo_states(runtime, event)["broken.jpg"]
    assert (fixed.status, fixed.face_count, fixed.error) == ("indexed", 1, None)


def test_progress_is_committed_per_photo_and_readable_from_another_connection(
    settings: Settings, runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    (folder / "broken.jpg").write_text("not a photo")
    event = create_event(runtime, folder)
    observer = build_runtime(settings, upgrade_db=False)  # its own engine and connections
    seen: list[tuple[str, int, int, int, int]] = []

    def on_progress(done: int, total: int, failed: int, faces: int) -> None:
        with observer.transactions() as uow:
            task = uow.tasks.latest(event.id)
        assert task is not None
        seen.append((task.status, task.done, task.total, task.failed, task.faces))
        assert (task.done, task.total, task.failed, task.faces) == (done, total, failed, faces)

    try:
        report = index_event(runtime, event, engine, on_progress=on_progress)
        with observer.transactions() as uow:
            final = uow.tasks.get(report.task_id)
    finally:
        observer.close()

    assert [s[0] for s in seen] == ["running"] * 4
    assert [s[1] for s in seen] == [1, 2, 3, 4]
    assert (final.status, final.total, final.done, final.failed, final.faces) == (TaskStatus.DONE, 4, 4, 1, 3)
    assert final.started_at is not None and final.finished_at is not None
    assert final.finished_at >= final.started_at


def test_run_stopped_midway_is_interrupted_and_the_next_run_indexes_only_the_rest(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)

    def stop_after_first(done: int, total: int, failed: int, faces: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index_event(runtime, event, engine, on_progress=stop_after_first)
    with runtime.transactions() as uow:
        stopped = uow.tasks.latest(event.id)
    assert stopped is not None
    assert (stopped.status, stopped.done, stopped.error) == (
        TaskStatus.INTERRUPTED,
        1,
        "stopped: KeyboardInterrupt",
    )
    assert sorted(statuses(runtime, event).values()) == ["indexed", "pending", "pending"]

    report = index_event(runtime, event, engine)

    assert report.indexed == 2
    assert set(statuses(runtime, event).values()) == {"indexed"}
    assert row_counts(runtime, event.id)["faces"] == 3


def test_a_photo_that_vanishes_after_listing_is_marked_removed(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    class VanishingFolder(LocalFolderSource):
        """Lists the folder, then loses one file before it is read (a sync tool moved it)."""

        def list_photos(self) -> Iterator[SourcePhoto]:
            listing = list(super().list_photos())
            (self.root / "red.jpg").unlink()
            return iter(listing)

    event = create_event(runtime, folder)

    report = index_event(runtime, event, engine, source=VanishingFolder(folder))

    assert report.indexed == 2 and report.failed == []
    assert statuses(runtime, event) == {
        "red.jpg": "removed",
        "day2/pair.jpg": "indexed",
        "day2/empty.jpg": "indexed",
    }


def test_missing_folder_fails_the_task_and_removes_nothing(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    folder.rename(folder.with_name("moved"))

    with pytest.raises(SourceUnavailableError):
        index_event(runtime, event, engine)

    with runtime.transactions() as uow:
        task = uow.tasks.latest(event.id)
    assert task is not None
    assert task.status is TaskStatus.FAILED
    assert "photo folder not found" in (task.error or "")
    assert set(statuses(runtime, event).values()) == {"indexed"}
    assert row_counts(runtime, event.id)["faces"] == 3


def test_deleting_an_event_removes_its_photos_faces_and_tasks_only(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    doomed = create_event(runtime, folder)
    kept = create_event(runtime, folder)
    index_event(runtime, doomed, engine)
    index_event(runtime, doomed, engine)
    index_event(runtime, kept, engine)
    search_squares(runtime, doomed, engine, RED_SQUARE)
    assert row_counts(runtime, doomed.id) == {"photos": 3, "faces": 3, "tasks": 2}

    with runtime.transactions() as uow:
        events.delete_event(uow, runtime.index, str(doomed.id))

    assert row_counts(runtime, doomed.id) == {"photos": 0, "faces": 0, "tasks": 0}
    assert row_counts(runtime, kept.id) == {"photos": 3, "faces": 3, "tasks": 1}
    assert runtime.index.revision(doomed.id) is None
    with runtime.transactions() as uow:
        assert [s.event.id for s in events.list_events(uow)] == [kept.id]


def test_indexing_with_another_engine_than_the_events_is_refused(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)

    with pytest.raises(InvalidInputError, match="indexed with 'fake', not 'other'"):
        index_event(runtime, event, ColourSquareEngine("other"))
    assert photo_states(runtime, event) == {}  # refused before the folder was even listed


def test_switching_engine_reindexes_every_photo_with_the_new_engine(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    other = ColourSquareEngine("fake-b")

    with runtime.transactions() as uow:
        requeued = events.switch_engine(uow, str(event.id), other.name)
    report = index_event(runtime, event, other)

    assert requeued == 3
    assert (report.indexed, report.faces) == (3, 3)
    assert other.photos_seen == 3
    faces = [f for rows in faces_by_photo(runtime, event).values() for f in rows]
    assert len(faces) == 3
    assert {(f.engine, f.model) for f in faces} == {(other.name, other.model)}
    assert {s.engine for s in photo_states(runtime, event).values()} == {other.name}
    assert matched(runtime, event, other, RED_SQUARE) == {"day2/pair.jpg", "red.jpg"}


def test_an_interrupted_engine_switch_is_finished_by_the_next_run(
    runtime: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    other = ColourSquareEngine("fake-b")
    with runtime.transactions() as uow:
        events.switch_engine(uow, str(event.id), other.name)

    def stop(done: int, total: int, failed: int, faces: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index_event(runtime, event, other, on_progress=stop)
    report = index_event(runtime, event, other)

    assert report.indexed == 2
    assert {s.engine for s in photo_states(runtime, event).values()} == {other.name}
    assert set(statuses(runtime, event).values()) == {PhotoStatus.INDEXED}
