"""A big event's index saved on disk by one process is read back by the next process that searches
it, caught up from the revision saved, and deleted with the event (issue 12: a 1 M-face event took
30-37 s to build on its first search)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eventface.domain.distance import Metric
from eventface.domain.models import FaceMatrix
from eventface.matching import numpy_index
from eventface.runtime import Runtime, build_runtime
from eventface.services import events as event_service
from eventface.settings import Settings
from tests.conftest import WritePhoto
from tests.fakes.face_engine import ColourSquareEngine
from tests.integration.fake_indexing import create_event, index_event, search_squares

RED = [("red", (0, 0), 50)]


@pytest.fixture(autouse=True)
def every_event_is_big(monkeypatch: pytest.MonkeyPatch) -> None:
    """Events are compact (and saved) from their first face, not from 50 000."""
    monkeypatch.setattr(numpy_index, "COMPACT_FROM_FACES", 1)


@pytest.fixture
def engine() -> ColourSquareEngine:
    return ColourSquareEngine()


@pytest.fixture
def folder(tmp_path: Path, write_photo: WritePhoto) -> Path:
    root = tmp_path / "photos"
    for i in range(4):
        write_photo(root / f"red{i}.jpg", [("red", (10 * i, 10), 40)])
    write_photo(root / "green.jpg", [("green", (40, 40), 60)])
    return root


@pytest.fixture
def another_process(settings: Settings) -> Iterator[Runtime]:
    """A process started later on the same data dir and database: it holds no event yet."""
    rt = build_runtime(settings, upgrade_db=False)
    yield rt
    rt.close()


def found(rt: Runtime, event_id: int, engine: ColourSquareEngine) -> set[str]:
    with rt.transactions() as uow:
        event = uow.events.get(event_id)
    return {m.name for m in search_squares(rt, event, engine, RED).matches}


def never_builds(rt: Runtime) -> None:
    def load(event_id: int, revision: int, metric: Metric, faces: FaceMatrix) -> None:
        raise AssertionError("the event was built from the database, not read from its saved copy")

    rt.index.load = load  # type: ignore[method-assign]


def test_the_next_process_reads_the_saved_index_and_catches_up_without_building_it(
    runtime: Runtime,
    another_process: Runtime,
    settings: Settings,
    folder: Path,
    engine: ColourSquareEngine,
    write_photo: WritePhoto,
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    assert found(runtime, event.id, engine) == {f"red{i}.jpg" for i in range(4)}  # built, and saved
    saved_at = runtime.index.revision(event.id)
    assert saved_at is not None
    assert sorted(p.name for p in (settings.data_dir / "indexes" / str(event.id)).iterdir()) == [
        f"{saved_at}.faiss",
        f"{saved_at}.npz",
    ]
    write_photo(folder / "new.jpg", [("red", (5, 5), 30)])
    (folder / "red1.jpg").unlink()
    index_event(runtime, event, engine)  # the copy on disk is behind now
    never_builds(another_process)

    assert found(another_process, event.id, engine) == {"red0.jpg", "red2.jpg", "red3.jpg", "new.jpg"}
    with another_process.transactions() as uow:
        assert another_process.index.revision(event.id) == uow.events.faces_revision(event.id) > saved_at


def test_deleting_an_event_deletes_its_saved_index(
    runtime: Runtime, settings: Settings, folder: Path, engine: ColourSquareEngine
) -> None:
    kept, deleted = create_event(runtime, folder), create_event(runtime, folder)
    for event in (kept, deleted):
        index_event(runtime, event, engine)
        found(runtime, event.id, engine)
    saved = settings.data_dir / "indexes"
    assert {p.name for p in saved.iterdir()} == {str(kept.id), str(deleted.id)}

    with runtime.transactions() as uow:
        event_service.delete_event(uow, runtime.index, str(deleted.id), runtime.caches)

    assert {p.name for p in saved.iterdir()} == {str(kept.id)}
