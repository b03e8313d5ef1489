"""NumpyVectorIndex: searches against straightforward reference distances; revision-stepped updates."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from eventface.domain.distance import CosineMetric, EuclideanMetric, FusedMetric, Metric
from eventface.domain.models import FaceMatrix
from eventface.errors import NotFoundError
from eventface.matching.numpy_index import NumpyVectorIndex

EVENT = 1


def unit_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    rows = rng.normal(size=(n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def faces(embeddings: np.ndarray, photo_ids: list[int], first_face_id: int = 1) -> FaceMatrix:
    n = len(embeddings)
    return FaceMatrix(
        face_ids=np.arange(first_face_id, first_face_id + n, dtype=np.int64),
        photo_ids=np.array(photo_ids, np.int64),
        embeddings=np.asarray(embeddings, np.float32),
        heights=np.full(n, 80.0, np.float32),
        sharpness=np.full(n, 50.0, np.float32),
    )


def one_hot(index: int, dim: int = 4) -> np.ndarray:
    vector = np.zeros(dim, np.float32)
    vector[index] = 1.0
    return vector


def reference_euclidean(q: np.ndarray, f: np.ndarray) -> np.ndarray:
    return np.array([[np.linalg.norm(a.astype(np.float64) - b) for b in f] for a in q])


def reference_cosine(q: np.ndarray, f: np.ndarray) -> np.ndarray:
    return np.array(
        [[1.0 - float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b)) for b in f] for a in q],
    )


def reference_fused(q: np.ndarray, f: np.ndarray) -> np.ndarray:
    # cosine on the first 8 dimensions scaled by 0.6, Euclidean on the rest scaled by 0.5, weight 0.3
    first = reference_cosine(q[:, :8], f[:, :8]) / 0.6
    second = reference_euclidean(q[:, 8:], f[:, 8:]) / 0.5
    return 0.3 * first + 0.7 * second


def free_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    """Rows of varied length, like dlib descriptors (so per-face squared norms differ)."""
    return (unit_rows(rng, n, dim) * rng.uniform(0.3, 1.5, size=(n, 1))).astype(np.float32)


def embeddings(rng: np.random.Generator, metric: Metric, n: int, dim: int) -> np.ndarray:
    """Stored the way the engine using `metric` stores them: SFace's L2-normalised, dlib's not."""
    if isinstance(metric, FusedMetric):
        return np.hstack([unit_rows(rng, n, metric.split), free_rows(rng, n, dim - metric.split)])
    if isinstance(metric, EuclideanMetric):
        return free_rows(rng, n, dim)
    return unit_rows(rng, n, dim)


FUSED = FusedMetric(split=8, cosine_scale=0.6, euclidean_scale=0.5, weight=0.3)


METRICS = pytest.mark.parametrize(
    ("metric", "reference", "dim"),
    [
        pytest.param(EuclideanMetric(), reference_euclidean, 16, id="euclidean"),
        pytest.param(CosineMetric(), reference_cosine, 16, id="cosine"),
        pytest.param(FUSED, reference_fused, 8 + 16, id="fused"),
    ],
)
Reference = Callable[[np.ndarray, np.ndarray], np.ndarray]


@METRICS
def test_pairwise_distances_match_the_reference(metric: Metric, reference: Reference, dim: int) -> None:
    rng = np.random.default_rng(3)
    stored, queries = embeddings(rng, metric, 20, dim), embeddings(rng, metric, 4, dim)

    np.testing.assert_allclose(metric.pairwise(queries, stored), reference(queries, stored), atol=1e-5)


@METRICS
def test_search_returns_exactly_the_pairs_within_max_distance(
    metric: Metric, reference: Reference, dim: int
) -> None:
    rng = np.random.default_rng(7)
    stored, queries = embeddings(rng, metric, 40, dim), embeddings(rng, metric, 3, dim)
    photo_ids = [100 + i // 2 for i in range(40)]  # two faces per photo
    expected = reference(queries, stored)
    max_distance = float(np.median(expected))  # about half the pairs match
    index = NumpyVectorIndex()
    index.load(EVENT, 1, metric, faces(stored, photo_ids))

    found = index.search(EVENT, queries, max_distance)

    want = {(int(q), int(c)) for q, c in zip(*np.nonzero(expected <= max_distance), strict=True)}
    got = {(int(q), int(f) - 1) for q, f in zip(found.query, found.face_ids, strict=True)}
    assert got == want
    assert len(want) > 10
    for q, face_id, photo_id, distance in zip(
        found.query, found.face_ids, found.photo_ids, found.distances, strict=True
    ):
        assert distance == pytest.approx(expected[q, face_id - 1], abs=1e-4)
        assert photo_id == photo_ids[face_id - 1]
    assert (found.heights == 80.0).all()


@METRICS
def test_search_after_apply_matches_the_reference_on_the_resulting_faces(
    metric: Metric, reference: Reference, dim: int
) -> None:
    # the metric's per-face terms must stay row-aligned through removals and additions
    rng = np.random.default_rng(11)
    stored = embeddings(rng, metric, 30, dim)
    photo_ids = [i // 3 for i in range(30)]  # photos 0..9, three faces each
    added = embeddings(rng, metric, 5, dim)
    queries = embeddings(rng, metric, 4, dim)
    index = NumpyVectorIndex()
    index.load(EVENT, 1, metric, faces(stored, photo_ids))

    index.apply(
        EVENT, 2, np.array([2, 5, 9], np.int64), faces(added, [20, 20, 21, 22, 22], first_face_id=100)
    )

    keep = [i for i, p in enumerate(photo_ids) if p not in {2, 5, 9}]
    remaining = np.vstack([stored[keep], added])
    remaining_ids = [i + 1 for i in keep] + list(range(100, 105))
    expected = reference(queries, remaining)
    max_distance = float(np.median(expected))
    found = index.search(EVENT, queries, max_distance)
    want = {
        (int(q), remaining_ids[c]): expected[q, c]
        for q, c in zip(*np.nonzero(expected <= max_distance), strict=True)
    }
    got = {(int(q), int(f)): d for q, f, d in zip(found.query, found.face_ids, found.distances, strict=True)}
    assert set(got) == set(want)
    for key, distance in got.items():
        assert distance == pytest.approx(want[key], abs=1e-4)


def test_searching_an_event_that_was_never_loaded_raises_not_found() -> None:
    with pytest.raises(NotFoundError):
        NumpyVectorIndex().search(EVENT, np.ones((1, 4), np.float32), 1.0)


def test_searching_an_event_without_faces_finds_nothing() -> None:
    index = NumpyVectorIndex()
    index.load(EVENT, 0, CosineMetric(), FaceMatrix.empty())

    assert len(index.search(EVENT, np.ones((1, 4), np.float32), 2.0)) == 0


def test_events_are_searched_separately() -> None:
    index = NumpyVectorIndex()
    index.load(1, 1, CosineMetric(), faces(np.array([one_hot(0)]), [10]))
    index.load(2, 1, CosineMetric(), faces(np.array([one_hot(0)]), [20], first_face_id=50))

    found = index.search(2, np.array([one_hot(0)]), 0.1)

    assert found.photo_ids.tolist() == [20]


def test_apply_at_the_next_revision_replaces_removed_photos_and_adds_faces() -> None:
    index = NumpyVectorIndex()
    index.load(EVENT, 3, CosineMetric(), faces(np.array([one_hot(0), one_hot(0), one_hot(1)]), [1, 2, 2]))

    index.apply(EVENT, 4, np.array([2], np.int64), faces(np.array([one_hot(0)]), [3], first_face_id=9))

    assert index.revision(EVENT) == 4
    found = index.search(EVENT, np.array([one_hot(0), one_hot(1)]), 0.1)
    assert sorted(found.photo_ids.tolist()) == [1, 3]  # photo 2's faces, both of them, are gone
    assert sorted(found.face_ids.tolist()) == [1, 9]


def test_apply_can_only_remove_a_photo() -> None:
    index = NumpyVectorIndex()
    index.load(EVENT, 1, CosineMetric(), faces(np.array([one_hot(0), one_hot(0)]), [1, 2]))

    index.apply(EVENT, 2, np.array([1], np.int64), FaceMatrix.empty())

    assert index.search(EVENT, np.array([one_hot(0)]), 0.1).photo_ids.tolist() == [2]


def test_apply_adds_faces_to_an_event_loaded_empty() -> None:
    index = NumpyVectorIndex()
    index.load(EVENT, 0, EuclideanMetric(), FaceMatrix.empty())

    index.apply(EVENT, 1, np.array([5], np.int64), faces(np.array([one_hot(2), one_hot(1)]), [5, 6]))

    found = index.search(EVENT, np.array([one_hot(2)]), 0.1)
    assert found.photo_ids.tolist() == [5]
    assert found.distances.tolist() == pytest.approx([0.0], abs=1e-6)


@pytest.mark.parametrize("revision", [3, 5, 7], ids=["same", "gap", "far-ahead"])
def test_apply_at_any_other_revision_forgets_the_event(revision: int) -> None:
    index = NumpyVectorIndex()
    index.load(EVENT, 3, CosineMetric(), faces(np.array([one_hot(0)]), [1]))

    index.apply(EVENT, revision, np.array([], np.int64), faces(np.array([one_hot(1)]), [2], first_face_id=5))

    assert index.revision(EVENT) is None
    with pytest.raises(NotFoundError):
        index.search(EVENT, np.array([one_hot(1)]), 0.1)


def test_apply_to_an_event_not_loaded_leaves_it_unloaded() -> None:
    index = NumpyVectorIndex()

    index.apply(EVENT, 1, np.array([], np.int64), faces(np.array([one_hot(0)]), [1]))

    assert index.revision(EVENT) is None


def test_drop_forgets_only_that_event() -> None:
    index = NumpyVectorIndex()
    index.load(1, 1, CosineMetric(), faces(np.array([one_hot(0)]), [1]))
    index.load(2, 4, CosineMetric(), faces(np.array([one_hot(0)]), [2]))

    index.drop(1)
    index.drop(99)  # an unknown event is not an error

    assert index.revision(1) is None
    assert index.revision(2) == 4
    with pytest.raises(NotFoundError):
        index.search(1, np.array([one_hot(0)]), 0.1)
