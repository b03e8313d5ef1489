"""An event's centred metric in a crowd, stored (db/centrings.py) and used by the search service:
fitted once and shared by every process, replaced only by a refit of the version stored, and
deleted with its event (issue 11)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from eventface.domain.distance import EventCentring, FusedMetric, Metric
from eventface.domain.models import SourceKind
from eventface.matching.centring import REFIT_GROWTH, fit_centring
from eventface.matching.numpy_index import NumpyVectorIndex
from eventface.runtime import Runtime
from eventface.services.events import delete_event
from eventface.services.search import centred
from tests.unit.test_centred_metric import BASE, RULE, crowd


@dataclass(frozen=True)
class FusedEngine:
    """What the search service reads of an engine to centre its metric (no models)."""

    name: str = "fusion"
    model: str = "m1"
    metric: FusedMetric = BASE


def new_event(runtime: Runtime, tmp_path: Path) -> int:
    with runtime.transactions() as uow:
        return uow.events.add("Wedding", SourceKind.LOCAL_FOLDER, str(tmp_path), "fusion").id


def index_with(event_id: int, people: int, seed: int = 0) -> NumpyVectorIndex:
    """A process's index, holding the event with this crowd."""
    index = NumpyVectorIndex()
    index.load(event_id, 1, BASE, crowd(people, seed))
    return index


def stored(runtime: Runtime, event_id: int) -> EventCentring | None:
    with runtime.transactions() as uow:
        return uow.centrings.get(event_id, "fusion", BASE)


def test_the_first_fit_is_stored_and_read_back_exactly(runtime: Runtime, tmp_path: Path) -> None:
    event_id = new_event(runtime, tmp_path)
    faces = crowd(8)
    fitted = EventCentring(fit_centring(BASE, faces.photo_ids, faces.embeddings), len(faces), "m1")

    with runtime.transactions() as uow:
        assert uow.centrings.put(event_id, "fusion", fitted) == fitted
    assert stored(runtime, event_id) == fitted  # float64 means and ratios, bit for bit


def test_two_processes_fitting_at_once_use_the_first_stored(runtime: Runtime, tmp_path: Path) -> None:
    event_id = new_event(runtime, tmp_path)
    a, b = (crowd(8, seed) for seed in (0, 1))
    first = EventCentring(fit_centring(BASE, a.photo_ids, a.embeddings), len(a), "m1")
    second = EventCentring(fit_centring(BASE, b.photo_ids, b.embeddings), len(b), "m1")

    with runtime.transactions() as one, runtime.transactions() as other:
        assert one.centrings.put(event_id, "fusion", first) == first
        one.commit()
        assert other.centrings.put(event_id, "fusion", second) == first  # lost the race: reads the winner
    assert stored(runtime, event_id) == first


def test_a_refit_replaces_only_the_version_it_was_made_from(runtime: Runtime, tmp_path: Path) -> None:
    event_id = new_event(runtime, tmp_path)
    faces = crowd(8)
    first = EventCentring(fit_centring(BASE, faces.photo_ids, faces.embeddings), len(faces), "m1")
    refit = replace(first, faces=20, version=1)
    late = replace(first, faces=30, version=1)  # another process's refit of version 0, too late

    with runtime.transactions() as uow:
        uow.centrings.put(event_id, "fusion", first)
    with runtime.transactions() as uow:
        assert uow.centrings.put(event_id, "fusion", refit) == refit
    with runtime.transactions() as uow:
        assert uow.centrings.put(event_id, "fusion", late) == refit
    assert stored(runtime, event_id) == refit


def test_searches_of_every_process_share_the_fit_until_the_event_doubles(
    runtime: Runtime, tmp_path: Path
) -> None:
    event_id = new_event(runtime, tmp_path)
    engine = FusedEngine()

    def search_rule(people: int, seed: int = 0) -> Metric | None:
        """The metric a search in a process holding the event with this crowd uses."""
        with runtime.transactions() as uow:
            return centred(uow, index_with(event_id, people, seed), event_id, engine, RULE).metric

    assert search_rule(2) is None  # not a crowd: the engine's metric
    assert stored(runtime, event_id) is None
    first = search_rule(8)  # a crowd: fitted, stored
    assert first is not None and first == fit_centring(BASE, crowd(8).photo_ids, crowd(8).embeddings)
    # another process holding the event with more photos (another mean) uses the stored fit
    assert search_rule(9, seed=1) == first
    doubled = int(8 * REFIT_GROWTH)
    refit = search_rule(doubled, seed=1)
    assert refit != first and refit == fit_centring(
        BASE, crowd(doubled, 1).photo_ids, crowd(doubled, 1).embeddings
    )
    after = stored(runtime, event_id)
    assert after is not None and (after.version, after.faces) == (1, len(crowd(doubled, 1)))


def test_deleting_the_event_deletes_its_centring(runtime: Runtime, tmp_path: Path) -> None:
    event_id = new_event(runtime, tmp_path)
    keep = new_event(runtime, tmp_path / "other")
    faces = crowd(8)
    fitted = EventCentring(fit_centring(BASE, faces.photo_ids, faces.embeddings), len(faces), "m1")
    with runtime.transactions() as uow:
        uow.centrings.put(event_id, "fusion", fitted)
        uow.centrings.put(keep, "fusion", fitted)

    with runtime.transactions() as uow:
        delete_event(uow, NumpyVectorIndex(), str(event_id))

    assert stored(runtime, event_id) is None
    assert stored(runtime, keep) == fitted
