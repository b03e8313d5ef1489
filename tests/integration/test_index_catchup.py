"""Two runtimes on one SQLite database, each with its own vector index, as a web process and a worker
process have: what one indexes or removes, the other's next search picks up incrementally (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eventface.domain.distance import Metric
from eventface.domain.models import FaceMatrix
from eventface.matching.index import Ids
from eventface.matching.numpy_index import NumpyVectorIndex
from eventface.runtime import Runtime, build_runtime
from eventface.services import search
from eventface.settings import Settings
from tests.conftest import WritePhoto
from tests.fakes.face_engine import ColourSquareEngine
from tests.integration.fake_indexing import create_event, index_event, search_squares

RED = [("red", (0, 0), 50)]


class RecordingIndex(NumpyVectorIndex):
    """The real index, noting how each event was brought up to date."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[int] = []  # revisions loaded whole
        self.catch_ups: list[tuple[int | None, int, int]] = []  # (since, revision, faces added)

    def load(self, event_id: int, revision: int, metric: Metric, faces: FaceMatrix) -> None:
        self.loads.append(revision)
        super().load(event_id, revision, metric, faces)

    def apply(
        self,
        event_id: int,
        revision: int,
        removed_photo_ids: Ids,
        added: FaceMatrix,
        *,
        since: int | None = None,
    ) -> None:
        self.catch_ups.append((since, revision, len(added)))
        super().apply(event_id, revision, removed_photo_ids, added, since=since)


@pytest.fixture
def engine() -> ColourSquareEngine:
    return ColourSquareEngine()


@pytest.fixture
def web(runtime: Runtime) -> RecordingIndex:
    """The guest-facing runtime's index, recording; `runtime` is that runtime."""
    index = RecordingIndex()
    runtime.index = index
    return index


@pytest.fixture
def worker(settings: Settings) -> Iterator[Runtime]:
    """Another runtime on the same database: its own engine pool and vector index."""
    rt = build_runtime(settings, upgrade_db=False)
    yield rt
    rt.close()


@pytest.fixture
def folder(tmp_path: Path, write_photo: WritePhoto) -> Path:
    root = tmp_path / "photos"
    for i in range(4):
        write_photo(root / f"red{i}.jpg", [("red", (10 * i, 10), 40)])
    write_photo(root / "green.jpg", [("green", (40, 40), 60)])
    return root


def found(runtime: Runtime, event_id: int, engine: ColourSquareEngine) -> set[str]:
    with runtime.transactions() as uow:
        event = uow.events.get(event_id)
    return {m.name for m in search_squares(runtime, event, engine, RED).matches}


def test_a_search_catches_up_with_photos_another_process_indexed_and_removed_without_a_full_reload(
    runtime: Runtime,
    web: RecordingIndex,
    worker: Runtime,
    folder: Path,
    engine: ColourSquareEngine,
    write_photo: WritePhoto,
) -> None:
    event = create_event(runtime, folder)
    index_event(worker, event, engine)
    assert found(runtime, event.id, engine) == {"red0.jpg", "red1.jpg", "red2.jpg", "red3.jpg"}
    assert len(web.loads) == 1  # the first search loads the event whole
    loaded_at = web.loads[0]

    write_photo(folder / "new_a.jpg", [("red", (5, 5), 30)])
    write_photo(folder / "new_b.jpg", [("red", (60, 60), 30), ("green", (5, 5), 30)])
    (folder / "red1.jpg").unlink()
    index_event(worker, event, engine)  # one revision per photo, one for the removal

    assert found(runtime, event.id, engine) == {"red0.jpg", "red2.jpg", "red3.jpg", "new_a.jpg", "new_b.jpg"}
    assert len(web.loads) == 1, "no full reload"
    with runtime.transactions() as uow:
        revision = uow.events.faces_revision(event.id)
    # caught up in one step from the revision it held, with only the new photos' three faces
    assert web.catch_ups == [(loaded_at, revision, 3)]
    assert web.revision(event.id) == revision


def test_a_removed_photo_is_never_found_again_and_a_search_already_current_touches_nothing(
    runtime: Runtime, web: RecordingIndex, worker: Runtime, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(worker, event, engine)
    found(runtime, event.id, engine)

    for name in ("red0.jpg", "red3.jpg"):
        (folder / name).unlink()
        index_event(worker, event, engine)
        assert name not in found(runtime, event.id, engine)
    found(runtime, event.id, engine)

    assert found(runtime, event.id, engine) == {"red1.jpg", "red2.jpg"}
    assert len(web.loads) == 1
    assert [(since is not None, added) for since, _, added in web.catch_ups] == [(True, 0), (True, 0)]


def test_the_indexing_process_keeps_its_own_index_current_without_a_database_catch_up(
    runtime: Runtime, web: RecordingIndex, folder: Path, engine: ColourSquareEngine, write_photo: WritePhoto
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    found(runtime, event.id, engine)
    web.catch_ups.clear()

    write_photo(folder / "new.jpg", [("red", (5, 5), 30)])
    index_event(runtime, event, engine)  # this runtime's own ingest steps its index, revision by revision

    assert "new.jpg" in found(runtime, event.id, engine)
    assert [since for since, _, _ in web.catch_ups] == [None]  # the ingest's own step, no search catch-up
    assert len(web.loads) == 1


def test_an_event_dropped_over_the_memory_budget_loads_again_on_its_next_search(
    settings: Settings, folder: Path, engine: ColourSquareEngine
) -> None:
    rt = build_runtime(settings.model_copy(update={"index_memory_mb": 1e-6}))  # room for one event at most
    try:
        first, second = create_event(rt, folder), create_event(rt, folder)
        for event in (first, second):
            index_event(rt, event, engine)
        assert found(rt, first.id, engine) == {f"red{i}.jpg" for i in range(4)}

        assert found(rt, second.id, engine)  # the first event leaves
        assert rt.index.revision(first.id) is None

        assert found(rt, first.id, engine) == {f"red{i}.jpg" for i in range(4)}
        assert rt.index.revision(first.id) is not None
    finally:
        rt.close()


def test_a_search_reads_no_faces_when_nothing_changed(
    runtime: Runtime, web: RecordingIndex, folder: Path, engine: ColourSquareEngine
) -> None:
    event = create_event(runtime, folder)
    index_event(runtime, event, engine)
    steps = len(web.catch_ups)

    with runtime.transactions() as uow:
        search.ensure_loaded(uow, web, event.id, engine)
        search.ensure_loaded(uow, web, event.id, engine)

    assert len(web.loads) == 1
    assert len(web.catch_ups) == steps
