"""Big events' indexes saved on disk (matching/saved_faces.py): read back with the same answers,
caught up from the revision saved, ignored when they no longer fit, deleted with their event."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest

from eventface.domain.distance import CosineMetric, EuclideanMetric
from eventface.matching import numpy_index
from eventface.matching.numpy_index import NumpyVectorIndex
from eventface.matching.saved_faces import SavedFaces
from tests.unit.test_numpy_index import FUSED, embeddings, faces

EVENT = 7
DIM = 24


def compact_index(root: Path) -> NumpyVectorIndex:
    return NumpyVectorIndex(compact_from_faces=1, saved=SavedFaces(root))


def pairs(index: NumpyVectorIndex, queries: np.ndarray, max_distance: float) -> set[tuple[int, int, int]]:
    hits = index.search(EVENT, queries, max_distance)
    return {
        (int(q), int(f), int(p)) for q, f, p in zip(hits.query, hits.face_ids, hits.photo_ids, strict=True)
    }


@pytest.fixture
def stored() -> np.ndarray:
    return embeddings(np.random.default_rng(5), FUSED, 300, DIM)


@pytest.fixture
def queries() -> np.ndarray:
    return embeddings(np.random.default_rng(6), FUSED, 4, DIM)


def test_a_saved_event_is_read_back_by_another_index_with_the_same_answers(
    tmp_path: Path, stored: np.ndarray, queries: np.ndarray
) -> None:
    built = compact_index(tmp_path)
    built.load(EVENT, 3, FUSED, faces(stored, [i // 3 for i in range(300)]))
    other = compact_index(tmp_path)

    assert other.revision(EVENT) is None
    assert other.restore(EVENT, FUSED) == 3
    assert other.revision(EVENT) == 3
    assert pairs(other, queries, 1.5) == pairs(built, queries, 1.5)
    assert len(pairs(built, queries, 1.5)) > 10
    np.testing.assert_array_equal(
        other.vectors(EVENT, np.array([5, 1])), built.vectors(EVENT, np.array([5, 1]))
    )
    for path in (tmp_path / str(EVENT)).iterdir():  # face data: this user's only
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((tmp_path / str(EVENT)).stat().st_mode) == 0o700


def test_a_copy_behind_is_caught_up_from_its_revision(
    tmp_path: Path, stored: np.ndarray, queries: np.ndarray
) -> None:
    built = compact_index(tmp_path)
    built.load(EVENT, 3, FUSED, faces(stored[:200], [i // 3 for i in range(200)]))
    later = faces(stored[200:], [1000 + i for i in range(100)], first_face_id=500)
    built.apply(EVENT, 5, np.array([0, 1, 2], np.int64), later, since=3)  # not saved again: 2 revisions
    other = compact_index(tmp_path)

    assert other.restore(EVENT, FUSED) == 3
    other.apply(EVENT, 5, np.array([0, 1, 2], np.int64), later, since=3)

    assert pairs(other, queries, 1.5) == pairs(built, queries, 1.5)
    assert any(photo >= 1000 for _, _, photo in pairs(other, queries, 1.5))


def test_a_copy_is_saved_again_once_far_enough_behind(
    tmp_path: Path, stored: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(numpy_index, "RESAVE_AFTER", 2)
    built = compact_index(tmp_path)
    built.load(EVENT, 1, FUSED, faces(stored[:200], [i // 3 for i in range(200)]))
    built.apply(EVENT, 2, np.zeros(0, np.int64), faces(stored[200:210], [900] * 10, first_face_id=500))
    assert compact_index(tmp_path).restore(EVENT, FUSED) == 1
    built.apply(EVENT, 3, np.zeros(0, np.int64), faces(stored[210:220], [901] * 10, first_face_id=600))

    assert compact_index(tmp_path).restore(EVENT, FUSED) == 3
    assert sorted(p.name for p in (tmp_path / str(EVENT)).iterdir()) == ["3.faiss", "3.npz"]


def test_an_event_that_grows_compact_is_saved(tmp_path: Path, stored: np.ndarray) -> None:
    index = NumpyVectorIndex(compact_from_faces=100, saved=SavedFaces(tmp_path))
    index.load(EVENT, 1, FUSED, faces(stored[:50], [i for i in range(50)]))  # exact: nothing saved
    assert not (tmp_path / str(EVENT)).exists()

    index.apply(EVENT, 2, np.zeros(0, np.int64), faces(stored[50:], [1000] * 250, first_face_id=500))

    assert compact_index(tmp_path).restore(EVENT, FUSED) == 2


@pytest.mark.parametrize("metric", [CosineMetric(), EuclideanMetric()], ids=["cosine", "euclidean"])
def test_a_copy_saved_for_another_metric_is_not_restored(
    tmp_path: Path, stored: np.ndarray, metric: CosineMetric | EuclideanMetric
) -> None:
    compact_index(tmp_path).load(EVENT, 3, FUSED, faces(stored, [0] * 300))

    assert compact_index(tmp_path).restore(EVENT, metric) is None


def test_a_damaged_copy_is_deleted_and_not_restored(tmp_path: Path, stored: np.ndarray) -> None:
    compact_index(tmp_path).load(EVENT, 3, FUSED, faces(stored, [0] * 300))
    saved = tmp_path / str(EVENT) / "3.faiss"
    saved.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])

    assert compact_index(tmp_path).restore(EVENT, FUSED) is None
    assert not (tmp_path / str(EVENT)).exists()


def test_dropping_an_event_deletes_its_copy_and_no_other(tmp_path: Path, stored: np.ndarray) -> None:
    index = compact_index(tmp_path)
    index.load(EVENT, 3, FUSED, faces(stored, [0] * 300))
    index.load(EVENT + 1, 4, FUSED, faces(stored, [0] * 300))

    index.drop(EVENT)

    assert not (tmp_path / str(EVENT)).exists()
    assert compact_index(tmp_path).restore(EVENT, FUSED) is None
    assert compact_index(tmp_path).restore(EVENT + 1, FUSED) == 4


def test_small_events_are_not_saved(tmp_path: Path, stored: np.ndarray) -> None:
    index = NumpyVectorIndex(saved=SavedFaces(tmp_path))
    index.load(EVENT, 3, FUSED, faces(stored, [0] * 300))

    assert not tmp_path.joinpath(str(EVENT)).exists()
    assert NumpyVectorIndex(saved=SavedFaces(tmp_path)).restore(EVENT, FUSED) is None


def test_a_scratch_file_left_by_a_killed_writer_goes_at_the_next_save(
    tmp_path: Path, stored: np.ndarray
) -> None:
    folder = tmp_path / str(EVENT)
    folder.mkdir()
    abandoned, writing = folder / ".123-1.faiss", folder / ".456-2.faiss"
    abandoned.write_bytes(b"half a copy")
    writing.write_bytes(b"a copy being written")
    os.utime(abandoned, (time.time() - 7200, time.time() - 7200))

    compact_index(tmp_path).load(EVENT, 3, FUSED, faces(stored, [0] * 300))

    assert sorted(p.name for p in folder.iterdir()) == [writing.name, "3.faiss", "3.npz"]
