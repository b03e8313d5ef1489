"""A big event's faces in about half the memory of float32, searched through an IVF index (faiss).

At a million faces an exact scan costs ~200 ms per query on two cores, and a guest's search asks
up to 65 (the selfies, then query expansion): benchmarks/README.md, "Big events". Here each face is
stored once, as float16 codes in faiss's inverted lists (512 bytes for 256 dimensions instead of
1024), and a search is in two steps:

1. candidates: faiss's range search over the lists nearest each query, in a proxy space where the
   metric is a weighted squared L2 distance that is at most `radius(tolerance)` whenever the true
   distance is within the tolerance (so only the IVF probing can miss a face, never the proxy);
2. re-rank: the candidates' vectors are decoded to float32 and every (query, candidate) pair is
   measured with the event's own metric; only pairs within the tolerance are hits.

Distances are the metric's float32 arithmetic on float16-rounded vectors: within ~1e-4 of an all
float32 search (measured, benchmarks/index_scale.py), and recall against it is in the table.
"""

from __future__ import annotations

import ctypes
import math
import threading
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from eventface.domain.distance import CosineMetric, EuclideanMetric, FusedMetric, Matrix, Metric
from eventface.domain.models import FaceMatrix
from eventface.errors import NotFoundError
from eventface.matching.spare_core import spare_core

Ids = npt.NDArray[np.int64]

# Inverted lists (of ~2 sqrt(faces)) read per search, shared among its queries: the selfies, 1-3,
# each read many, and the up to 64 expansion queries, each found by the others too, few each.
# Recall against exact search and latency for several budgets: benchmarks/README.md (at a million
# faces, 512 of 2 000 lists lost photos; 1 024 found one more photo of 3 435 on one event of three,
# for ~25% more time).
PROBED_LISTS = 768
MIN_PROBES_PER_QUERY = 8
# A query reads the lists whose centroid is nearly as near as its nearest one (within a share of
# the search's proxy radius), between a floor and a cap: at a million faces 99.99% of a selfie's
# hits lay in lists within 0.15 of its nearest centroid's distance, 99% of a busy expansion query's
# within 0.07, and a lone selfie read 768 lists, most of them farther. So a few queries share 256-768
# lists, a busy guest's expansion query reads 6-16 (more where several lists are as near): on four
# synthetic events 14-22% fewer faces scanned per guest than 768 and 8, and as many photos found
# or more (0.9991 -> 0.9994 on the hardest; benchmarks/README.md, "lists by their distance")
FEWEST_PROBED_LISTS = 256
PROBE_REACH = 0.14  # of the proxy radius (~0.15 at the fusion tolerance)
BUSY_PROBES = (6, 16)  # lists per query of a busy guest's expansion: at least, at most
BUSY_PROBE_REACH = 0.055  # of the proxy radius: its queries find each other's faces
# A search that need not be thorough (the stranger guard's: is any face nearer than the guest's?)
# reads this many lists per query: from 8, a guest's search at a million faces read ~40% fewer
# lists, with no photo kept or dropped otherwise than by the exact search (benchmarks/README.md)
QUICK_PROBES_PER_QUERY = 3
# From this many queries (the expansion of a guest with many photos: up to 64 faces of one person,
# each found by many of the others too) each reads only BUSY_PROBES lists: at a million faces, 8
# instead of 12 cut a guest's CPU time by ~18% with the same photos found. With fewer queries each
# face has fewer others to be found by: they share PROBED_LISTS (reading 384 in all, guests with
# 10-20 expansion queries lost photos). benchmarks/README.md, "Big events".
MANY_QUERIES = 48
# Inverted lists per square root of the faces (capped at MAX_LISTS): finer lists than faiss's
# usual sqrt(N) hold fewer faces each, so the same lists per query scan fewer of them, and the
# faces a query's nearest lists hold are nearer to it. At a million faces, 2 x sqrt(N) (2 000 lists)
# cut a guest's CPU time by ~40% and found more photos (on four synthetic events 1, 1, 4 and 1 of
# ~2 000-3 500 missed against 2, 17, 7 and 12 at sqrt(N)). 3x and 4x with 768 lists per search lost
# selfies' hits (too small a share of the lists); with budgets raised in proportion they found
# about as many photos at about the same cost, and take longer to build: ~2x as long as sqrt(N)
# at 2 x sqrt(N), ~3-5x at 3-4x (benchmarks/README.md, "Issue 12, big events: finer inverted lists")
LISTS_PER_ROOT = 2.0
MAX_LISTS = 4096
TRAINING_POINTS_PER_LIST = 32
KMEANS_ITERATIONS = 8
ADD_CHUNK = 65_536  # faces per call to faiss's add
MARGIN = 1.02  # on the proxy radius: float16 codes move distances by ~1e-4, queries' norms by ~1e-3
# The fused proxy is tightest for radii near this one: a guest's search reaches up to the
# tolerance (1.075 for the fusion engine) and the stranger guard up to 0.25 beyond it
FUSED_TIGHT_AT = 1.3
# A scan split across two threads (matching/spare_core.py) is split by query from this many
# queries, by list below: a few queries read hundreds of lists each, many read a few each
SPLIT_BY_QUERY_FROM = 8


@dataclass(frozen=True)
class Share:
    """The inverted lists each query of a search reads: its nearest `floor`, then those whose centroid
    is within `reach` (a share of the search's proxy radius) of its nearest centroid's distance, up
    to `cap` in all."""

    floor: int
    cap: int
    reach: float


@dataclass(frozen=True)
class Probing:
    """How finely an event is split into inverted lists, and how many a search reads."""

    lists: int = PROBED_LISTS  # per search at most, shared among a few queries
    fewest: int = FEWEST_PROBED_LISTS  # per search at least, shared likewise
    per_query: int = MIN_PROBES_PER_QUERY  # the floor of a few queries' share
    reach: float = PROBE_REACH
    busy: tuple[int, int] = BUSY_PROBES  # a busy guest's expansion, per query: at least, at most
    busy_reach: float = BUSY_PROBE_REACH
    quick: int = QUICK_PROBES_PER_QUERY  # per query of a search that need not be thorough
    lists_per_root: float = LISTS_PER_ROOT  # when building: lists per square root of the faces

    @staticmethod
    def fixed(
        lists: int = PROBED_LISTS,
        per_query: int = MIN_PROBES_PER_QUERY,
        quick: int = QUICK_PROBES_PER_QUERY,
        lists_per_root: float = LISTS_PER_ROOT,
    ) -> Probing:
        """The rule before lists were chosen by their distance: each query reads exactly its share."""
        busy = (per_query, per_query)
        return Probing(lists, lists, per_query, busy=busy, quick=quick, lists_per_root=lists_per_root)

    def list_count(self, faces: int) -> int:
        return max(1, min(MAX_LISTS, int(self.lists_per_root * math.sqrt(faces))))

    def share_of(self, queries: int, *, thorough: bool = True) -> Share:
        """The lists each of a search's queries reads: a few queries share the budget, a busy
        guest's expansion (MANY_QUERIES or more) and the stranger guard's checks read fewer."""
        if not thorough:
            return Share(self.quick, self.quick, 0.0)
        if queries >= MANY_QUERIES:
            return Share(self.busy[0], self.busy[1], self.busy_reach)
        n = max(1, queries)
        cap = max(self.per_query, self.lists // n)
        return Share(min(cap, max(self.per_query, self.fewest // n)), cap, self.reach)


@dataclass(frozen=True)
class Proxy:
    """A squared-L2 space that bounds a metric: |w*(q-f)|^2 <= radius(t) whenever distance(q, f) <= t."""

    weights: Matrix  # per dimension

    @staticmethod
    def of(metric: Metric, dim: int) -> Proxy | None:
        """None for a metric with no such bound: its events are searched exactly."""
        if isinstance(metric, EuclideanMetric):
            return Proxy(np.ones(dim, np.float32))
        if isinstance(metric, CosineMetric):  # unit vectors: 1 - cos = |q - f|^2 / 2
            return Proxy(np.full(dim, math.sqrt(0.5), np.float32))
        if isinstance(metric, FusedMetric):
            # fused = a|ds|^2 + g|dd| with a = weight / (2 cosine_scale), g = (1 - weight) / euclidean_scale;
            # proxy = a|ds|^2 + c g^2|dd|^2 is at most max(t, c t^2) on the whole of {fused <= t}
            # (convex in |dd|, so greatest at |dd| = 0 or at a|ds|^2 = 0); c = 1/T makes that bound t
            # for every t <= T, and the region it admits beyond {fused <= t} smallest near T (at
            # c = 1, a search to 1.3 read ~7x more candidates than it kept: benchmarks/README.md)
            a = metric.weight / (2.0 * metric.cosine_scale)
            g = (1.0 - metric.weight) / metric.euclidean_scale * math.sqrt(1.0 / FUSED_TIGHT_AT)
            s = metric.split
            return Proxy(np.concatenate([np.full(s, math.sqrt(a)), np.full(dim - s, g)]).astype(np.float32))
        return None

    def radius(self, metric: Metric, tolerance: float) -> float:
        if isinstance(metric, EuclideanMetric):
            bound = tolerance * tolerance
        elif isinstance(metric, FusedMetric):
            bound = max(tolerance, tolerance * tolerance / FUSED_TIGHT_AT)
        else:
            bound = tolerance
        return bound * MARGIN + 1e-4


class _ReadWriteLock:
    """Searches share the faiss index; an update has it alone (it changes the lists in place)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and self._readers == 0)
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class CompactFaces:
    """One event's embeddings as float16 codes in a faiss IVF index keyed by face id."""

    def __init__(
        self,
        metric: Metric,
        proxy: Proxy,
        embeddings: Matrix,
        face_ids: Ids,
        probing: Probing | None = None,
    ) -> None:
        probing = probing or Probing()
        dim = embeddings.shape[1]
        # centred: float16 keeps ~11 bits of each value, so smaller values lose less
        centre = embeddings.mean(axis=0, dtype=np.float64).astype(np.float32)
        lists = probing.list_count(len(embeddings))
        index = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatL2(dim), dim, lists, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_L2
        )
        index.by_residual = False  # codes are the vectors themselves: float16 needs no residual
        index.cp.niter = KMEANS_ITERATIONS
        index.cp.min_points_per_centroid = 1  # quiet: fewer training points is deliberate
        self._hold(metric, proxy, centre, index, probing)
        rng = np.random.default_rng(0)
        sample = rng.choice(len(embeddings), min(len(embeddings), lists * TRAINING_POINTS_PER_LIST), False)
        self._index.train(self._to_proxy(embeddings[np.sort(sample)]))
        self._fill(np.asarray(embeddings, np.float32), np.ascontiguousarray(face_ids, np.int64))
        # reconstruct and remove by id (faiss's bundled stubs lack the DirectMap enum)
        self._index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]

    @classmethod
    def read(
        cls, path: Path, metric: Metric, proxy: Proxy, centre: Matrix, probing: Probing | None = None
    ) -> CompactFaces:
        """An index `write` saved; RuntimeError if faiss cannot read it."""
        index = faiss.read_index(str(path))
        if not isinstance(index, faiss.IndexIVFScalarQuantizer) or index.d != len(centre):
            raise RuntimeError(f"{path.name} does not hold a float16 IVF index of {len(centre)} dimensions")
        store = cls.__new__(cls)
        store._hold(metric, proxy, centre, index, probing or Probing())
        return store

    def write(self, path: Path) -> None:
        """The lists, their codes and ids, and the id table, as faiss stores an index: while an
        update waits (it changes the lists in place)."""
        with self._lock.reading():
            faiss.write_index(self._index, str(path))

    def _hold(
        self,
        metric: Metric,
        proxy: Proxy,
        centre: Matrix,
        index: faiss.IndexIVFScalarQuantizer,
        probing: Probing,
    ) -> None:
        self.metric, self.proxy, self.centre = metric, proxy, centre
        # one thread: on a busy machine OpenMP's spinning threads made a search 5-30x slower
        # (benchmarks/README.md); concurrent guests' searches run side by side instead
        faiss.omp_set_num_threads(1)
        self._index = index
        self._probing = probing
        self._lock = _ReadWriteLock()

    def _fill(self, embeddings: Matrix, face_ids: Ids) -> None:
        """Each list written once, at its final size: faiss's `add` grows a list by doubling, and
        left a million faces in ~50% more memory than their codes (benchmarks/README.md)."""
        lists = np.concatenate(
            [
                self._index.quantizer.assign(self._to_proxy(embeddings[start : start + ADD_CHUNK]), 1)[:, 0]
                for start in range(0, len(embeddings), ADD_CHUNK)
            ]
        )
        invlists = self._index.invlists
        assert invlists is not None  # an IVF index always has its lists
        order = np.argsort(lists, kind="stable")
        bounds = np.searchsorted(lists[order], np.arange(self._index.nlist + 1))
        for list_no in range(self._index.nlist):
            rows = order[bounds[list_no] : bounds[list_no + 1]]
            if len(rows) == 0:
                continue
            codes = self._index.sq.compute_codes(self._to_proxy(embeddings[rows]))
            ids = np.ascontiguousarray(face_ids[rows])
            invlists.add_entries(list_no, len(rows), faiss.swig_ptr(ids), faiss.swig_ptr(codes))
        self._index.ntotal = len(face_ids)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def lists(self) -> int:
        """Inverted lists the index holds (set when it was built, or by the copy it was read from)."""
        return int(self._index.nlist)

    @property
    def nbytes(self) -> int:
        """Codes and ids in the lists, the id hash table (24-32 bytes an entry), the centroids."""
        per_face = self._index.code_size + 8 + 24
        return len(self) * per_face + self._index.nlist * self._index.d * 4

    def add(self, embeddings: Matrix, face_ids: Ids) -> None:
        if len(face_ids) == 0:
            return
        ids = np.ascontiguousarray(face_ids, np.int64)
        with self._lock.writing():
            for start in range(0, len(ids), ADD_CHUNK):  # bounds the float32 copy a load makes
                end = start + ADD_CHUNK
                self._index.add_with_ids(self._to_proxy(embeddings[start:end]), ids[start:end])

    def remove(self, face_ids: Ids) -> None:
        if len(face_ids) == 0:
            return
        ids = np.ascontiguousarray(face_ids, np.int64)  # alive while faiss reads it
        with self._lock.writing():
            # faiss removes through its id hash table only from an IDSelectorArray
            self._index.remove_ids(faiss.IDSelectorArray(ids))

    def vectors(self, face_ids: Ids) -> Matrix:
        """Decoded float32 embeddings of faces the index holds, in the order given."""
        if len(face_ids) == 0:
            return np.zeros((0, self._index.d), np.float32)
        with self._lock.reading():
            try:
                coded = self._index.reconstruct_batch(np.ascontiguousarray(face_ids, np.int64))
            except RuntimeError as exc:  # a face removed since the caller saw it
                raise NotFoundError("some of these faces are no longer in the event's index") from exc
        return self._from_proxy(coded)

    def candidates(
        self, queries: Matrix, tolerance: float, *, thorough: bool = True, limits: Matrix | None = None
    ) -> tuple[Ids, Matrix]:
        """Every face within `tolerance` of some query (but for what IVF probing misses), and more,
        with their decoded embeddings: read together, so no update comes in between. With
        `limits`, each query's own tolerance (at most `tolerance`): a face is a candidate only
        within its query's proxy radius, so fewer are decoded and re-ranked."""
        if limits is not None and len(limits):
            tolerance = min(tolerance, float(np.max(limits)))  # no query reads further than its own
        radius = self.proxy.radius(self.metric, tolerance)
        proxied = self._to_proxy(queries)
        radii = None if limits is None else self._radii(limits)
        with self._lock.reading(), spare_core.scanning() as helper:
            keys, centroid_distances = self._lists_to_read(
                proxied, self._probing.share_of(len(queries), thorough=thorough), radius
            )
            scan = _Scan(proxied, keys, centroid_distances, radii)
            if helper is None:
                found = self._found(radius, scan)
            else:
                found = self._found_on_two_threads(radius, scan, helper)
            coded = self._index.reconstruct_batch(found) if len(found) else None
        if coded is None:
            return found, np.zeros((0, self._index.d), np.float32)
        return found, self._from_proxy(coded)

    def _lists_to_read(self, proxied: Matrix, share: Share, radius: float) -> tuple[Ids, Matrix]:
        """Per query, the lists it reads, nearest first (-1: none), and its distances to their centroids."""
        width = min(share.cap, self._index.nlist)
        centroid_distances, keys = self._index.quantizer.search(proxied, width)
        if share.floor < width:
            # sorted per query: the nearest `floor`, then those within reach of the nearest
            beyond = centroid_distances > centroid_distances[:, :1] + share.reach * radius
            beyond[:, : share.floor] = False
            keys[beyond] = -1
        return np.ascontiguousarray(keys), np.ascontiguousarray(centroid_distances)

    def _found(self, radius: float, scan: _Scan) -> Ids:
        """The faces within the radius of some query (within its own, with radii), sorted."""
        # OpenMP's thread count is the calling thread's own setting: each searching thread (a
        # server's worker, the spare core's helper, not only the one that built the index) scans
        # its lists alone
        faiss.omp_set_num_threads(1)
        lims, distances, labels = self._range_search(scan.proxied, radius, scan.keys, scan.centroid_distances)
        if scan.radii is not None:
            labels = labels[distances <= scan.radii[_query_of(lims)]]
        found: Ids = np.unique(labels)
        return found

    def _found_on_two_threads(self, radius: float, scan: _Scan, helper: Executor) -> Ids:
        """`_found`, half of the scan on the helper thread: the same faces in about half the time."""
        mine, theirs = scan.halves()
        part = helper.submit(self._found, radius, theirs)
        try:
            found = self._found(radius, mine)
        finally:
            other = part.result()  # before the read lock is let go: the helper reads the lists too
        return np.union1d(found, other)

    def _range_search(
        self, proxied: Matrix, radius: float, keys: Ids, centroid_distances: Matrix
    ) -> tuple[npt.NDArray[np.uint64], Matrix, Ids]:
        """faiss's range search over the lists given per query (a list of -1 is skipped)."""
        n = len(proxied)
        params = faiss.SearchParametersIVF()  # per call: concurrent searches may differ
        params.nprobe = keys.shape[1]
        result = faiss.RangeSearchResult(n)
        self._index.range_search_preassigned_c(  # type: ignore[attr-defined]  # not in faiss's stubs
            n,
            faiss.swig_ptr(proxied),
            radius,
            faiss.swig_ptr(keys),
            faiss.swig_ptr(centroid_distances),
            result,
            False,
            params,
        )
        lims = faiss.rev_swig_ptr(result.lims, n + 1).copy()
        found = int(lims[-1])
        distances = faiss.rev_swig_ptr(result.distances, found).copy()
        labels = faiss.rev_swig_ptr(result.labels, found).copy()
        return lims, distances, labels

    def _radii(self, limits: Matrix) -> npt.NDArray[np.float32]:
        radii = [self.proxy.radius(self.metric, float(limit)) for limit in limits]
        return np.asarray(radii, np.float32)

    def _to_proxy(self, rows: Matrix) -> Matrix:
        return np.ascontiguousarray((np.asarray(rows, np.float32) - self.centre) * self.proxy.weights)

    def _from_proxy(self, rows: Matrix) -> Matrix:
        decoded: Matrix = (rows / self.proxy.weights + self.centre).astype(np.float32)
        return decoded


@dataclass(frozen=True)
class _Scan:
    """One range search: the queries, each one's lists (-1: none) and its distances to their
    centroids, and each query's own radius (None: the search's)."""

    proxied: Matrix
    keys: Ids
    centroid_distances: Matrix
    radii: npt.NDArray[np.float32] | None

    def halves(self) -> tuple[_Scan, _Scan]:
        """Two scans of about half the pairs each: every other query where there are many (a busy
        guest's expansion, the stranger guard: a few lists each), else every other list of each
        query's (the selfies: hundreds of lists among 1-3 queries)."""
        if len(self.proxied) >= SPLIT_BY_QUERY_FROM:
            return self._part(slice(0, None, 2), slice(None)), self._part(slice(1, None, 2), slice(None))
        return self._part(slice(None), slice(0, None, 2)), self._part(slice(None), slice(1, None, 2))

    def _part(self, rows: slice, columns: slice) -> _Scan:
        return _Scan(
            np.ascontiguousarray(self.proxied[rows]),
            np.ascontiguousarray(self.keys[rows, columns]),
            np.ascontiguousarray(self.centroid_distances[rows, columns]),
            None if self.radii is None else self.radii[rows],
        )


def _query_of(lims: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
    """Per result of a faiss range search: the query it belongs to (`lims` bounds each query's)."""
    return np.repeat(np.arange(len(lims) - 1), np.diff(lims).astype(np.int64))


def compact(metric: Metric, faces: FaceMatrix, probing: Probing | None = None) -> CompactFaces | None:
    """The event's faces compacted, or None when the metric has no proxy space to search in."""
    proxy = Proxy.of(metric, faces.embeddings.shape[1])
    if proxy is None:
        return None
    store = CompactFaces(metric, proxy, faces.embeddings, faces.face_ids, probing)
    _release_freed_heap()
    return store


def _release_freed_heap() -> None:
    """Hands the building's freed scratch memory back to the system (~30 MB at a million faces):
    glibc keeps freed heap pages resident otherwise. A no-op where there is no glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.malloc_trim(0)
