"""How many inverted lists a search of the compact (float16 IVF) index reads per query.

The budget is what keeps a guest's search at a million faces within ~100 ms (benchmarks/README.md,
"Big events"); these read faiss's own count of the lists it scanned, not our arithmetic.
"""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from eventface.domain.distance import EuclideanMetric
from eventface.matching.compact_faces import (
    MANY_QUERIES,
    MIN_PROBES_PER_QUERY,
    QUICK_PROBES_PER_QUERY,
    CompactFaces,
    Probing,
    Proxy,
)

BUDGET = 470  # lists per search: 47 queries share it at 10 lists each


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


def lists_read(store: CompactFaces, queries: np.ndarray, *, thorough: bool = True) -> int:
    stats = faiss.cvar.indexIVF_stats  # type: ignore[attr-defined]  # missing from faiss's stubs
    stats.reset()
    store.candidates(queries, 0.5, thorough=thorough)
    return int(stats.nlist)


@pytest.mark.parametrize(
    ("queries", "per_query"),
    [(1, BUDGET), (10, BUDGET // 10), (MANY_QUERIES - 1, BUDGET // (MANY_QUERIES - 1))],
)
def test_a_few_queries_share_the_search_budget(
    store: tuple[CompactFaces, np.ndarray], queries: int, per_query: int
) -> None:
    index, embeddings = store
    assert per_query > MIN_PROBES_PER_QUERY  # the case the budget decides, not the floor
    assert lists_read(index, embeddings[:queries]) == queries * per_query


def test_a_busy_guests_expansion_reads_the_floor_per_query(store: tuple[CompactFaces, np.ndarray]) -> None:
    index, embeddings = store
    # 47 queries read 470 lists; 48 read fewer, not more, although each finds few faces
    assert lists_read(index, embeddings[:MANY_QUERIES]) == MANY_QUERIES * MIN_PROBES_PER_QUERY
    assert lists_read(index, embeddings[: MANY_QUERIES + 16]) == (MANY_QUERIES + 16) * MIN_PROBES_PER_QUERY
    assert lists_read(index, embeddings[: MANY_QUERIES - 1]) > MANY_QUERIES * MIN_PROBES_PER_QUERY


def test_the_stranger_guards_quick_search_reads_fewest(store: tuple[CompactFaces, np.ndarray]) -> None:
    index, embeddings = store
    assert lists_read(index, embeddings[:5], thorough=False) == 5 * QUICK_PROBES_PER_QUERY


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
