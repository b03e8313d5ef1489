"""How many inverted lists a search of the compact (float16 IVF) index reads per query, and a
scan split across two threads finding what one thread finds.

The budget is what keeps a guest's search at a million faces within ~100 ms (benchmarks/README.md,
"Big events"); these read faiss's own count of the lists it scanned, not our arithmetic.
"""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from eventface.domain.distance import EuclideanMetric
from eventface.matching.compact_faces import (
    BUSY_PROBES,
    FEWEST_PROBED_LISTS,
    MANY_QUERIES,
    MIN_PROBES_PER_QUERY,
    PROBE_REACH,
    QUICK_PROBES_PER_QUERY,
    SPLIT_BY_QUERY_FROM,
    CompactFaces,
    Probing,
    Proxy,
)
from eventface.matching.spare_core import spare_core

BUDGET = 470  # lists per search: 47 queries share it at 10 lists each


@pytest.fixture(autouse=True)
def scans_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """faiss counts the lists it reads in process-wide counters, unguarded: one scanning thread."""
    monkeypatch.setattr(spare_core, "lends", False)


@pytest.fixture(scope="module")
def store() -> tuple[CompactFaces, np.ndarray]:
    # ~480 lists (sqrt of the faces), so no query's share is capped by the index's own size
    rng = np.random.default_rng(0)
    embeddings = rng.standard_normal((230_000, 8)).astype(np.float32)
    metric = EuclideanMetric()
    proxy = Proxy.of(metric, 8)
    assert proxy is not None
    ids = np.arange(1, len(embeddings) + 1, dtype=np.int64)
    return CompactFaces(
        metric, proxy, embeddings, ids, probing=Probing(lists=BUDGET, lists_per_root=1.0)
    ), embeddings


def lists_read(
    store: CompactFaces, queries: np.ndarray, *, thorough: bool = True, tolerance: float = 0.5
) -> int:
    stats = faiss.cvar.indexIVF_stats  # type: ignore[attr-defined]  # missing from faiss's stubs
    stats.reset()
    store.candidates(queries, tolerance, thorough=thorough)
    return int(stats.nlist)


def with_probing(store: CompactFaces, probing: Probing) -> CompactFaces:
    """The same lists, read by another rule."""
    other = CompactFaces.__new__(CompactFaces)
    other._hold(store.metric, store.proxy, store.centre, store._index, probing)
    return other


@pytest.mark.parametrize(
    ("queries", "per_query"),
    [(1, BUDGET), (10, BUDGET // 10), (MANY_QUERIES - 1, BUDGET // (MANY_QUERIES - 1))],
)
def test_a_few_queries_share_the_search_budget(
    store: tuple[CompactFaces, np.ndarray], queries: int, per_query: int
) -> None:
    index, embeddings = store
    assert per_query > MIN_PROBES_PER_QUERY  # the case the budget decides, not the floor
    fixed = with_probing(index, Probing.fixed(BUDGET, lists_per_root=1.0))
    assert lists_read(fixed, embeddings[:queries]) == queries * per_query
    # by distance: between the share of the fewest lists and the whole share
    read = lists_read(index, embeddings[:queries])
    assert queries * max(MIN_PROBES_PER_QUERY, FEWEST_PROBED_LISTS // queries) <= read <= queries * per_query


def test_a_query_reads_the_lists_within_reach_of_its_nearest_between_floor_and_cap(
    store: tuple[CompactFaces, np.ndarray],
) -> None:
    index, embeddings = store
    query = embeddings[:1]
    centroid_distances, _ = index._index.quantizer.search(np.ascontiguousarray(query), index.lists)
    for tolerance in (0.5, 8.0, 12.0):
        radius = index.proxy.radius(index.metric, tolerance)
        within = int(np.sum(centroid_distances[0] <= centroid_distances[0, 0] + PROBE_REACH * radius))
        assert lists_read(index, query, tolerance=tolerance) == min(max(within, FEWEST_PROBED_LISTS), BUDGET)
    # a wider search reads more lists; the floor and the cap hold
    assert lists_read(index, query, tolerance=0.5) < lists_read(index, query, tolerance=8.0)
    assert lists_read(index, query, tolerance=0.01) == FEWEST_PROBED_LISTS
    assert lists_read(index, query, tolerance=20.0) == BUDGET


def test_a_busy_guests_expansion_reads_few_lists_per_query(store: tuple[CompactFaces, np.ndarray]) -> None:
    index, embeddings = store
    low, high = BUSY_PROBES
    # each reads its nearest `low`, more when they are as near, never more than `high`
    for queries in (MANY_QUERIES, MANY_QUERIES + 16):
        assert queries * low <= lists_read(index, embeddings[:queries]) <= queries * high
    assert lists_read(index, embeddings[:MANY_QUERIES], tolerance=20.0) == MANY_QUERIES * high
    fixed = with_probing(index, Probing.fixed(BUDGET, lists_per_root=1.0))
    assert lists_read(fixed, embeddings[:MANY_QUERIES]) == MANY_QUERIES * MIN_PROBES_PER_QUERY


def test_the_stranger_guards_quick_search_reads_fewest(store: tuple[CompactFaces, np.ndarray]) -> None:
    index, embeddings = store
    assert lists_read(index, embeddings[:5], thorough=False) == 5 * QUICK_PROBES_PER_QUERY


def ring_event() -> tuple[CompactFaces, np.ndarray, np.ndarray]:
    """12 tight groups of faces on a circle of radius 10, one inverted list each (centroids set by
    hand, not k-means), and one face F at 0.6 from the centre toward group 0 (so in its list)."""
    groups, per_group, dim = 12, 300, 2
    rng = np.random.default_rng(3)
    angles = 2 * np.pi * np.arange(groups) / groups
    centres = (10 * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)
    embeddings = np.repeat(centres, per_group, axis=0) + rng.standard_normal((groups * per_group, dim)) * 0.05
    embeddings = np.vstack([embeddings, [[0.6, 0.0]]]).astype(np.float32)
    ids = np.arange(1, len(embeddings) + 1, dtype=np.int64)
    metric = EuclideanMetric()
    proxy = Proxy.of(metric, dim)
    assert proxy is not None
    index = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatL2(dim), dim, groups, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_L2
    )
    index.by_residual = False
    index.quantizer.add(centres)  # the proxy space is the embeddings' own (centre 0, weights 1)
    index.train(embeddings)  # the float16 codes only: the quantizer holds its centroids
    store = CompactFaces.__new__(CompactFaces)
    store._hold(metric, proxy, np.zeros(dim, np.float32), index, Probing())
    store._fill(embeddings, ids)
    store._index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
    return store, centres, ids


def test_a_busy_guests_query_finds_a_face_in_a_list_as_near_as_its_eighth() -> None:
    store, centres, ids = ring_event()
    # 48 queries at the centre, a hair away from group 0: every list is as near (within ~0.01 of
    # 100, far inside the reach), group 0's the farthest of the 12; F is within 0.7 of each
    rng = np.random.default_rng(4)
    queries = (
        np.array([-0.0003, 0.0], np.float32)
        + rng.standard_normal((MANY_QUERIES, 2)).astype(np.float32) * 1e-5
    )
    tolerance = 0.7
    face = ids[-1]

    fixed = with_probing(store, Probing.fixed())
    found_fixed, _ = fixed.candidates(queries, tolerance)
    found, _ = store.candidates(queries, tolerance)

    assert face not in found_fixed  # each query read its 8 nearest lists, not group 0's
    assert face in found  # each read all 12: they are all within reach of its nearest
    assert lists_read(store, queries, tolerance=tolerance) == MANY_QUERIES * len(centres)


def test_a_query_near_one_list_reads_only_the_floor() -> None:
    store, centres, _ = ring_event()
    queries = np.repeat(centres[:1], MANY_QUERIES, axis=0)  # at group 0: one list near, 11 far
    assert lists_read(store, queries, tolerance=0.7) == MANY_QUERIES * BUSY_PROBES[0]
    assert lists_read(store, queries[:1], tolerance=0.7) == len(centres)  # a selfie: its floor is all 12


def faces_scanned(store: CompactFaces, queries: np.ndarray) -> int:
    stats = faiss.cvar.indexIVF_stats  # type: ignore[attr-defined]  # missing from faiss's stubs
    stats.reset()
    store.candidates(queries, 0.5)
    return int(stats.ndis)


def test_finer_lists_make_a_query_read_a_smaller_share_of_the_faces() -> None:
    # what makes a big event's search cheaper: the same lists per query hold fewer faces
    rng = np.random.default_rng(1)
    embeddings = rng.standard_normal((40_000, 8)).astype(np.float32)
    ids = np.arange(1, len(embeddings) + 1, dtype=np.int64)
    metric = EuclideanMetric()
    proxy = Proxy.of(metric, 8)
    assert proxy is not None
    coarse, fine = (
        CompactFaces(metric, proxy, embeddings, ids, Probing(lists=0, lists_per_root=root))
        for root in (1.0, 2.0)
    )
    queries = embeddings[:20]  # 20 queries at the floor of 8 lists each

    assert fine.lists >= 2 * coarse.lists - 1
    assert lists_read(coarse, queries) == lists_read(fine, queries) == 20 * MIN_PROBES_PER_QUERY
    assert faces_scanned(fine, queries) < 0.65 * faces_scanned(coarse, queries)


def test_the_default_lists_find_every_face_of_a_person_a_few_selfies_reach() -> None:
    # people as clusters, more lists than the budget so that the probing (not a full scan) decides:
    # a guest's 1-3 selfies must find what an exact search finds
    rng = np.random.default_rng(2)
    people, per_person, dim = 3_000, 60, 16
    centres = rng.standard_normal((people, dim)).astype(np.float32)
    person = np.repeat(np.arange(people), per_person)
    embeddings = centres[person] + rng.standard_normal((len(person), dim)).astype(np.float32) * 0.35
    ids = np.arange(1, len(embeddings) + 1, dtype=np.int64)
    metric = EuclideanMetric()
    proxy = Proxy.of(metric, dim)
    assert proxy is not None
    store = CompactFaces(metric, proxy, embeddings, ids)
    assert store.lists > Probing().lists  # the case the budget decides, not a full scan
    tolerance = 2.0  # about 0.35 * sqrt(2 * 16): half a person's faces, no stranger's
    wanted = found = 0
    for guest in rng.choice(people, 30, replace=False):
        selfies = centres[[guest] * 3] + rng.standard_normal((3, dim)).astype(np.float32) * 0.35
        within = np.linalg.norm(selfies[:, None, :] - embeddings[None, :, :], axis=2) <= tolerance
        want = set((ids[np.nonzero(within.any(axis=0))[0]]).tolist())
        got, _ = store.candidates(selfies, tolerance)
        wanted += len(want)
        found += len(want & set(got.tolist()))
    assert wanted > 1000
    assert found / wanted >= 0.999


@pytest.mark.parametrize("queries", [1, 3, SPLIT_BY_QUERY_FROM, MANY_QUERIES])
@pytest.mark.parametrize("own_limits", [False, True])
def test_a_scan_split_across_two_threads_finds_what_one_thread_finds(
    store: tuple[CompactFaces, np.ndarray], monkeypatch: pytest.MonkeyPatch, queries: int, own_limits: bool
) -> None:
    # split by list (a few queries) or by query (many), each query to its own limit or the search's
    index, embeddings = store
    rng = np.random.default_rng(queries)
    chosen = embeddings[rng.choice(len(embeddings), queries, replace=False)] * 0.5  # where faces are dense
    limits = rng.uniform(0.8, 1.2, queries).astype(np.float32) if own_limits else None
    alone, alone_vectors = index.candidates(chosen, 1.2, limits=limits)

    monkeypatch.setattr(spare_core, "lends", True)
    with spare_core.scanning() as helper:
        assert helper is not None  # nothing else scans: the next scan is lent the helper
    split, split_vectors = index.candidates(chosen, 1.2, limits=limits)

    assert len(alone) > 3 * queries  # faces near the queries, not only the queries' own
    np.testing.assert_array_equal(split, alone)
    np.testing.assert_array_equal(split_vectors, alone_vectors)
