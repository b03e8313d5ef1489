"""NumpyVectorIndex: searches against straightforward reference distances, exact and compact (float16
codes in an IVF index, for big events); revision-stepped updates; the memory budget."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import numpy as np
import pytest

from eventface.domain.distance import CosineMetric, EuclideanMetric, FusedMetric, Metric
from eventface.domain.models import FaceMatrix
from eventface.errors import NotFoundError
from eventface.matching.compact_faces import Proxy
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

# (index, how close its distances are to the float64 reference)
KINDS = pytest.mark.parametrize(
    ("make_index", "atol"),
    [
        pytest.param(NumpyVectorIndex, 1e-4, id="exact"),
        # compact from the first face: float16 codes, a handful of IVF lists all probed at this size
        pytest.param(lambda: NumpyVectorIndex(compact_from_faces=1), 2e-3, id="compact"),
    ],
)
MakeIndex = Callable[[], NumpyVectorIndex]


@METRICS
def test_pairwise_distances_match_the_reference(metric: Metric, reference: Reference, dim: int) -> None:
    rng = np.random.default_rng(3)
    stored, queries = embeddings(rng, metric, 20, dim), embeddings(rng, metric, 4, dim)

    np.testing.assert_allclose(metric.pairwise(queries, stored), reference(queries, stored), atol=1e-5)


@KINDS
@METRICS
def test_search_returns_exactly_the_pairs_within_max_distance(
    metric: Metric, reference: Reference, dim: int, make_index: MakeIndex, atol: float
) -> None:
    rng = np.random.default_rng(7)
    stored, queries = embeddings(rng, metric, 40, dim), embeddings(rng, metric, 3, dim)
    photo_ids = [100 + i // 2 for i in range(40)]  # two faces per photo
    expected = reference(queries, stored)
    max_distance = float(np.median(expected))  # about half the pairs match
    index = make_index()
    index.load(EVENT, 1, metric, faces(stored, photo_ids))

    found = index.search(EVENT, queries, max_distance)

    want = {(int(q), int(c)) for q, c in zip(*np.nonzero(expected <= max_distance), strict=True)}
    got = {(int(q), int(f) - 1) for q, f in zip(found.query, found.face_ids, strict=True)}
    assert got == want
    assert len(want) > 10
    for q, face_id, photo_id, distance in zip(
        found.query, found.face_ids, found.photo_ids, found.distances, strict=True
    ):
        assert distance == pytest.approx(expected[q, face_id - 1], abs=atol)
        assert photo_id == photo_ids[face_id - 1]
    assert (found.heights == 80.0).all()


@KINDS
@METRICS
def test_search_after_apply_matches_the_reference_on_the_resulting_faces(
    metric: Metric, reference: Reference, dim: int, make_index: MakeIndex, atol: float
) -> None:
    # the metric's per-face terms must stay row-aligned through removals and additions
    rng = np.random.default_rng(11)
    stored = embeddings(rng, metric, 30, dim)
    photo_ids = [i // 3 for i in range(30)]  # photos 0..9, three faces each
    added = embeddings(rng, metric, 5, dim)
    queries = embeddings(rng, metric, 4, dim)
    index = make_index()
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
        assert distance == pytest.approx(want[key], abs=atol)
    both = index.vectors(EVENT, np.array([104, 1]))
    np.testing.assert_allclose(both, np.vstack([added[4], stored[0]]), atol=atol)


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
def test_apply_at_any_other_revision_leaves_the_event_at_the_revision_it_holds(revision: int) -> None:
    # the next search catches up from there (services/search.py ensure_loaded)
    index = NumpyVectorIndex()
    index.load(EVENT, 3, CosineMetric(), faces(np.array([one_hot(0)]), [1]))

    index.apply(EVENT, revision, np.array([], np.int64), faces(np.array([one_hot(1)]), [2], first_face_id=5))

    assert index.revision(EVENT) == 3
    assert len(index.search(EVENT, np.array([one_hot(1)]), 0.1)) == 0


@KINDS
def test_apply_since_a_revision_catches_up_several_changes_at_once(
    make_index: MakeIndex, atol: float
) -> None:
    index = make_index()
    index.load(EVENT, 3, CosineMetric(), faces(np.array([one_hot(0), one_hot(1)]), [1, 2]))

    # photo 1 removed, photo 2 indexed again with a new face, photo 3 added: revisions 4..6
    added = faces(np.array([one_hot(2), one_hot(0)]), [2, 3], first_face_id=10)
    index.apply(EVENT, 6, np.array([1, 2, 3], np.int64), added, since=3)

    assert index.revision(EVENT) == 6
    found = index.search(EVENT, np.array([one_hot(0), one_hot(1), one_hot(2)]), 0.1)
    assert sorted(zip(found.query.tolist(), found.photo_ids.tolist(), strict=True)) == [(0, 3), (2, 2)]
    with pytest.raises(NotFoundError):
        index.vectors(EVENT, np.array([1]))


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


def test_over_the_memory_budget_the_least_recently_searched_events_leave() -> None:
    rng = np.random.default_rng(5)
    one_event = faces(unit_rows(rng, 100, 16), list(range(100)))
    per_event = NumpyVectorIndex()
    per_event.load(EVENT, 1, CosineMetric(), one_event)
    index = NumpyVectorIndex(memory_budget_bytes=int(2.5 * per_event.nbytes))  # room for two events
    query = one_event.embeddings[:1]
    index.load(1, 1, CosineMetric(), one_event)
    index.load(2, 1, CosineMetric(), one_event)
    index.search(1, query, 0.1)  # event 2 is now the least recently searched

    index.load(3, 1, CosineMetric(), one_event)

    assert [index.revision(e) for e in (1, 2, 3)] == [1, None, 1]
    assert index.nbytes <= int(2.5 * per_event.nbytes)
    index.search(3, query, 0.1)
    index.search(1, query, 0.1)
    index.load(2, 1, CosineMetric(), one_event)  # loaded again, as the next search of it does
    assert [index.revision(e) for e in (1, 2, 3)] == [1, 1, None]


def test_an_event_larger_than_the_whole_budget_is_still_held() -> None:
    index = NumpyVectorIndex(memory_budget_bytes=1)
    index.load(1, 1, CosineMetric(), faces(np.array([one_hot(0)]), [1]))
    index.load(2, 1, CosineMetric(), faces(np.array([one_hot(0)]), [2]))

    assert (index.revision(1), index.revision(2)) == (None, 1)
    assert index.search(2, np.array([one_hot(0)]), 0.1).photo_ids.tolist() == [2]


def test_an_event_that_grows_past_the_threshold_becomes_compact_and_keeps_its_answers() -> None:
    rng = np.random.default_rng(9)
    first, more = unit_rows(rng, 30, 256), unit_rows(rng, 30, 256)
    index = NumpyVectorIndex(compact_from_faces=50)
    index.load(EVENT, 1, CosineMetric(), faces(first, list(range(30))))
    exact_size = index.nbytes

    index.apply(EVENT, 2, np.array([], np.int64), faces(more, list(range(30, 60)), first_face_id=31))

    found = index.search(EVENT, more[:3], 1e-3)
    assert sorted(found.face_ids.tolist()) == [31, 32, 33]
    assert index.nbytes < 2 * exact_size  # 60 faces as float16 codes, not 60 as float32


@KINDS
def test_searches_during_updates_never_fail(make_index: MakeIndex, atol: float) -> None:
    rng = np.random.default_rng(13)
    stored = unit_rows(rng, 200, 16)
    index = make_index()
    index.load(EVENT, 0, CosineMetric(), faces(stored, list(range(200))))
    errors: list[BaseException] = []
    done = threading.Event()

    def search_until_done() -> None:
        try:
            while not done.is_set():
                hits = index.search(EVENT, stored[:4], 0.5)
                # the documented race: a face removed since the search found it
                with contextlib.suppress(NotFoundError):
                    index.vectors(EVENT, hits.face_ids[:8])
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    searchers = [threading.Thread(target=search_until_done) for _ in range(3)]
    for thread in searchers:
        thread.start()
    for revision in range(1, 41):  # photo r-1 leaves, and comes back as a new face
        added = faces(stored[[revision]], [1000 + revision], first_face_id=1000 + revision)
        index.apply(EVENT, revision, np.array([revision - 1], np.int64), added)
    done.set()
    for thread in searchers:
        thread.join(timeout=30)

    assert errors == []
    assert index.revision(EVENT) == 40
    found = index.search(EVENT, stored[:1], 1e-3)
    assert found.photo_ids.tolist() == []  # photo 0 left at revision 1 and face 1001 is a copy of row 1


@METRICS
@pytest.mark.parametrize("tolerance", [0.3, 0.9, 1.075, 1.3, 1.8])
def test_every_pair_within_a_tolerance_is_within_the_compact_proxy_radius(
    metric: Metric, reference: Reference, dim: int, tolerance: float
) -> None:
    # the compact index's candidates are the faces within this radius in its proxy space: a pair
    # outside it would be missed whatever the lists probed
    rng = np.random.default_rng(11)
    q, others = embeddings(rng, metric, 40, dim), embeddings(rng, metric, 400, dim)
    # faces from each query's own (distance 0) to a stranger's, by way of everything between
    mix = rng.uniform(0.0, 1.0, (400, 1)).astype(np.float32)
    f = (1 - mix) * q[rng.integers(0, 40, 400)] + mix * others
    if isinstance(metric, FusedMetric):
        f[:, : metric.split] /= np.linalg.norm(f[:, : metric.split], axis=1, keepdims=True)
    elif isinstance(metric, CosineMetric):
        f /= np.linalg.norm(f, axis=1, keepdims=True)
    proxy = Proxy.of(metric, dim)
    assert proxy is not None
    within = reference(q, f) <= tolerance
    w = proxy.weights.astype(np.float64)
    squared = (((q[:, None, :] - f[None, :, :]) * w) ** 2).sum(axis=2)
    assert within.any()
    assert np.all(squared[within] <= proxy.radius(metric, tolerance))


@pytest.mark.parametrize(
    ("make_index", "fewer"),
    [
        pytest.param(NumpyVectorIndex, False, id="exact"),
        pytest.param(lambda: NumpyVectorIndex(compact_from_faces=1), True, id="compact"),
    ],
)
def test_a_search_that_need_not_be_thorough_finds_some_of_a_thorough_ones_pairs_and_nothing_else(
    make_index: MakeIndex, fewer: bool
) -> None:
    rng = np.random.default_rng(4)
    stored = embeddings(rng, FUSED, 4000, 24)  # 126 inverted lists when compact
    index = make_index()
    index.load(EVENT, 1, FUSED, faces(stored, [i // 2 for i in range(4000)]))
    queries = stored[rng.choice(4000, 20, replace=False)]

    def pairs(thorough: bool) -> set[tuple[int, int]]:
        hits = index.search(EVENT, queries, 2.0, thorough=thorough)
        return set(zip(hits.query.tolist(), hits.face_ids.tolist(), strict=True))

    thorough, quick = pairs(True), pairs(False)
    assert quick <= thorough
    assert len(quick) >= 20  # each query finds at least itself
    assert (len(quick) < len(thorough)) == fewer


@KINDS
@METRICS
def test_per_query_limits_return_exactly_each_querys_pairs_within_its_own_limit(
    metric: Metric, reference: Reference, dim: int, make_index: MakeIndex, atol: float
) -> None:
    rng = np.random.default_rng(12)
    stored, queries = embeddings(rng, metric, 200, dim), embeddings(rng, metric, 6, dim)
    expected = reference(queries, stored)
    max_distance = float(np.quantile(expected, 0.6))
    # from a query that reaches almost nothing to one reaching past max_distance (held to it)
    limits = np.quantile(expected, [0.05, 0.2, 0.3, 0.45, 0.55, 0.9], axis=1).diagonal().astype(np.float32)
    index = make_index()
    index.load(EVENT, 1, metric, faces(stored, list(range(200))))

    found = index.search(EVENT, queries, max_distance, limits=limits)

    reach = np.minimum(limits, max_distance)[:, None]
    clear = np.abs(expected - reach) > atol  # float16 codes may move a pair on the edge
    want = {(int(q), int(c)) for q, c in zip(*np.nonzero((expected <= reach) & clear), strict=True)}
    got = {(int(q), int(f) - 1) for q, f in zip(found.query, found.face_ids, strict=True)}
    assert {pair for pair in got if clear[pair]} == want
    assert all(expected[q, c] <= reach[q, 0] + atol for q, c in got)
    per_query = np.bincount([q for q, _ in want], minlength=6)
    assert per_query[0] < per_query[3]  # the limits did differ
    assert per_query[5] == np.count_nonzero((expected[5] <= max_distance) & clear[5])


def test_per_query_limits_must_be_one_per_query() -> None:
    index = NumpyVectorIndex()
    index.load(EVENT, 1, EuclideanMetric(), faces(np.eye(4, dtype=np.float32), [1, 2, 3, 4]))

    with pytest.raises(ValueError, match="2 limits for 3 queries"):
        index.search(EVENT, np.eye(4, dtype=np.float32)[:3], 1.0, limits=np.ones(2, np.float32))
