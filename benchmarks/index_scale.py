"""The vector part of a guest's search at 100 000 and 1 000 000 faces (issue 12, "Big events").

    .venv/bin/python benchmarks/index_scale.py                       # both sizes, ~15 min
    .venv/bin/python benchmarks/index_scale.py --faces 100000 --guests 20
    # a sweep: lists per sqrt(faces) x lists per search, the exact answers kept between runs
    .venv/bin/python benchmarks/index_scale.py --faces 1000000 --guests 20 --lists-per-root 1 2 \
        --probes 512 768 --reference-cache /tmp/ref.pkl --no-extras
    # lists by their distance to each query (the default) against a fixed count per query
    .venv/bin/python benchmarks/index_scale.py --faces 1000000 --guests 40 --seed 3 --rules fixed near \
        --passes 2 --reference-cache benchmarks/out/ivf/ref.pkl --no-extras

Synthetic fused embeddings (256 dimensions: an SFace-like unit 128-d half, a dlib-like 128-d half)
of people who each appear in many photos, calibrated to the fusion engine's real distances: the
same person at ~0.9 (fused units; tolerance 1.075, some faces beyond it), two people at ~1.9, the
nearest stranger ~1.4 (printed at the start). Guests are new faces of people with many photos,
1-3 selfies each, searched with `match_faces` exactly as the product does (query expansion: up to
64 extra queries; the stranger guard: up to 256 matched faces searched for nearer strangers, in
two searches). The reference is the exact float32 index; the measured index is the product's
(`NumpyVectorIndex`: float16 codes in an IVF index from 50 000 faces, with an exact re-rank).
Recall is the share of the photos the exact search finds that the product's finds too.
Then the product index is saved as the web saves a big event's (matching/saved_faces.py) and read
back by a new index, as the next process to search the event does: load vs build.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import pickle
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
import psutil

from eventface.domain.models import FaceMatrix
from eventface.faces.fusion_engine import EXPANSION_TOLERANCE, SFACE_DIM, TOLERANCE, FusionFaceEngine
from eventface.matching.compact_faces import PROBED_LISTS, Probing
from eventface.matching.expansion import match_faces
from eventface.matching.numpy_index import NumpyVectorIndex
from eventface.matching.saved_faces import SavedFaces
from eventface.matching.spare_core import spare_core

HALF = SFACE_DIM
FACES_PER_PHOTO = 3
EVENT = 1


@dataclass(frozen=True)
class People:
    """Each person's centre in both halves; `faces(person_ids)` draws new photos of them."""

    sface: np.ndarray
    dlib: np.ndarray
    rng: np.random.Generator

    def faces(self, person_ids: np.ndarray) -> np.ndarray:
        n = len(person_ids)
        spread = self.rng.lognormal(0.0, 0.3, (n, 1)).astype(np.float32)  # some photos far off
        s = self.sface[person_ids] + self.rng.standard_normal((n, HALF), np.float32) * 0.06 * spread
        s /= np.linalg.norm(s, axis=1, keepdims=True)
        d = self.dlib[person_ids] + self.rng.standard_normal((n, HALF), np.float32) * 0.022 * spread
        return np.hstack([s, d]).astype(np.float32)


def people(count: int, seed: int) -> People:
    rng = np.random.default_rng(seed)
    mean_s = rng.standard_normal(HALF).astype(np.float32)
    mean_s /= np.linalg.norm(mean_s)
    sface = mean_s * 0.05 + rng.standard_normal((count, HALF), np.float32) * 0.075
    dlib = rng.standard_normal(HALF).astype(np.float32) * 0.08
    return People(sface, dlib + rng.standard_normal((count, HALF), np.float32) * 0.036, rng)


def event(faces: int, seed: int) -> tuple[FaceMatrix, np.ndarray, People]:
    """`faces` faces, three to a photo, of people who appear a Zipf-like number of times."""
    rng = np.random.default_rng(seed)
    crowd = people(max(1, faces // 15), seed)
    weights = 1.0 / np.arange(1, len(crowd.sface) + 1) ** 0.3  # the busiest: ~300 faces at 1M
    person = rng.choice(len(weights), faces, p=weights / weights.sum())
    embeddings = np.empty((faces, 2 * HALF), np.float32)
    for start in range(0, faces, 100_000):
        embeddings[start : start + 100_000] = crowd.faces(person[start : start + 100_000])
    matrix = FaceMatrix(
        face_ids=np.arange(1, faces + 1, dtype=np.int64),
        photo_ids=np.arange(faces, dtype=np.int64) // FACES_PER_PHOTO + 1,
        embeddings=embeddings,
        heights=np.full(faces, 120.0, np.float32),
        sharpness=np.full(faces, 80.0, np.float32),
    )
    return matrix, person, crowd


def guests(person: np.ndarray, crowd: People, count: int, seed: int) -> list[np.ndarray]:
    """Half the guests among the most photographed people (64 expansion queries), half among
    anyone seen 5+ times."""
    rng = np.random.default_rng(seed + 1)
    seen = np.bincount(person)
    busiest = np.argsort(seen)[::-1][: count // 2]
    others = rng.choice(np.nonzero(seen >= 5)[0], count - len(busiest), replace=False)
    selfies = rng.integers(1, 4, count)
    return [
        crowd.faces(np.full(k, p)) for p, k in zip(np.concatenate([busiest, others]), selfies, strict=True)
    ]


def calibration(faces: FaceMatrix, person: np.ndarray, crowd: People) -> str:
    metric = FusionFaceEngine.metric
    sample = np.random.default_rng(7).choice(len(faces), 20_000, replace=False)
    busiest = int(np.argmax(np.bincount(person)))
    distances = metric.pairwise(crowd.faces(np.array([busiest])), faces.embeddings[sample])[0]
    same = distances[person[sample] == busiest]
    other = distances[person[sample] != busiest]
    return (
        f"same person: mean {same.mean():.2f}, {np.mean(same > TOLERANCE):.0%} beyond {TOLERANCE}; "
        f"strangers: mean {other.mean():.2f}, nearest {other.min():.2f}"
    )


def rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


def timed_load(index: NumpyVectorIndex, faces: FaceMatrix) -> float:
    start = time.perf_counter()
    index.load(EVENT, 1, FusionFaceEngine.metric, faces)
    return time.perf_counter() - start


def resident_growth_mib(n: int, seed: int, exact: bool) -> tuple[float, float]:
    """In a fresh process, resident memory growth for loading one event of `n` faces (inputs freed),
    then for loading a second one: the first pays once for libraries' buffers, the second is the
    cost per `n` faces."""
    grown = []
    index = NumpyVectorIndex(compact_from_faces=2**62) if exact else NumpyVectorIndex()
    for event_id in (EVENT, EVENT + 1):
        gc.collect()
        before = rss_mb()
        faces, _, _ = event(n, seed + event_id)
        index.load(event_id, 1, FusionFaceEngine.metric, faces)
        del faces
        gc.collect()
        grown.append(rss_mb() - before)
    return grown[0], grown[1]


def resident_in_child(n: int, seed: int, exact: bool) -> str:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        first, second = pool.apply(resident_growth_mib, (n, seed, exact))
    return f"{first:.0f} MiB for the first event, {second:.0f} MiB for a second"


Search = Callable[[np.ndarray], list[int]]


def searcher(index: NumpyVectorIndex) -> Callable[[np.ndarray], dict[int, float]]:
    def search(queries: np.ndarray) -> dict[int, float]:
        matches = match_faces(
            index, EVENT, queries, tolerance=TOLERANCE, expansion_tolerance=EXPANSION_TOLERANCE
        )
        return {m.photo_id: m.distance for m in matches}

    return search


@dataclass(frozen=True)
class Timings:
    wall_ms: list[float]
    cpu_ms: list[float]  # this process's CPU time, all threads: what the search costs a shared machine
    # (query, face) pairs faiss measured in a guest's search: the scan's cost, whatever the load
    scanned: list[int] = field(default_factory=list)

    def cells(self) -> str:
        wall, cpu = np.percentile(self.wall_ms, [50, 95]), np.percentile(self.cpu_ms, [50, 95])
        pairs = getattr(self, "scanned", None) or [0]
        return (
            f"{wall[0]:.0f} | {wall[1]:.0f} | {cpu[0]:.0f} | {cpu[1]:.0f} | "
            f"{np.median(pairs) / 1e3:.0f}k / {np.mean(pairs) / 1e3:.0f}k"
        )


def latencies(
    search: Callable[[np.ndarray], dict[int, float]], queries: list[np.ndarray]
) -> tuple[Timings, list[dict[int, float]]]:
    wall, cpu, scanned, results = [], [], [], []
    stats = faiss.cvar.indexIVF_stats
    for q in queries:
        stats.reset()
        start, start_cpu = time.perf_counter(), time.process_time()
        results.append(search(q))
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        scanned.append(int(stats.ndis))
    return Timings(wall, cpu, scanned), results


def row(name: str, n: int, load_s: float, index: NumpyVectorIndex, times: Timings) -> str:
    return f"| {name} | {n:,} | {times.cells()} | {index.nbytes / 2**20:.0f} | {load_s:.1f} |"


def first_stage_gap(
    product: NumpyVectorIndex, exact: NumpyVectorIndex, queries: list[np.ndarray]
) -> tuple[str, float]:
    """The selfies' own hits, pair by pair: recall, and the largest distance difference."""
    wanted = kept = 0
    gap = 0.0
    for q in queries:
        got, want = product.search(EVENT, q, TOLERANCE), exact.search(EVENT, q, TOLERANCE)
        mine = {
            (int(a), int(f)): float(d) for a, f, d in zip(got.query, got.face_ids, got.distances, strict=True)
        }
        for a, f, d in zip(want.query, want.face_ids, want.distances, strict=True):
            wanted += 1
            if (int(a), int(f)) in mine:
                kept += 1
                gap = max(gap, abs(mine[int(a), int(f)] - float(d)))
    return f"{kept / max(wanted, 1):.4f} ({kept} of {wanted})", gap


def exact_answers(
    faces: FaceMatrix, queries: list[np.ndarray], cache: Path | None
) -> tuple[float, Timings, list[dict[int, float]], NumpyVectorIndex]:
    """The exact index's answers and times; with `cache`, kept in that file for later sweeps of the
    same event and guests (the exact search of 20 guests at a million faces takes minutes)."""
    exact = NumpyVectorIndex(compact_from_faces=2**62)
    load_s = timed_load(exact, faces)
    if cache is not None and cache.exists():
        with cache.open("rb") as stored:
            times, answers = pickle.load(stored)  # the benchmark's own file
        return load_s, times, answers, exact
    times, answers = latencies(searcher(exact), queries)
    if cache is not None:
        with cache.open("wb") as stored:
            pickle.dump((times, answers), stored)
    return load_s, times, answers, exact


def saved_copy(faces: FaceMatrix, build_s: float, probing: Probing) -> str:
    """Build (saving), then read back in a new index, as the next process to search the event does."""
    with tempfile.TemporaryDirectory(prefix="index_scale-") as root:
        folder = Path(root)
        product = NumpyVectorIndex(saved=SavedFaces(folder), probing=probing)
        start = time.perf_counter()
        product.load(EVENT, 1, FusionFaceEngine.metric, faces)
        build_and_save_s = time.perf_counter() - start
        size_mib = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20
        del product
        gc.collect()
        start = time.perf_counter()
        restored = NumpyVectorIndex(saved=SavedFaces(folder)).restore(EVENT, FusionFaceEngine.metric)
        load_s = time.perf_counter() - start
        assert restored == 1, "the saved copy was not read back"
    return (
        f"saved copy: {size_mib:.0f} MiB on disk; build {build_s:.1f} s, build and save "
        f"{build_and_save_s:.1f} s, read back (the next process's first search) {load_s:.2f} s"
    )


@dataclass(frozen=True)
class Options:
    guests: int
    seed: int
    probings: list[Probing]
    passes: int
    cache: Path | None  # the exact answers, kept between runs
    extras: bool  # the saved copy and resident memory too
    scan_threads: list[int]  # passes after the first: 1 (alone) or 2 (split while no other scan runs)


def describe(probing: Probing) -> str:
    if probing.fewest == probing.lists and probing.busy == (probing.per_query, probing.per_query):
        reads = f"{probing.lists} read per search (>= {probing.per_query} a query; fixed)"
    else:
        reads = (
            f"{probing.fewest}-{probing.lists} read per search within {probing.reach:g} of the nearest, "
            f"busy {probing.busy[0]}-{probing.busy[1]} a query within {probing.busy_reach:g}"
        )
    return (
        f"float16 IVF, {probing.lists_per_root:g}x sqrt lists, {reads}, guard {probing.quick}, exact re-rank"
    )


def run(n: int, options: Options) -> None:  # one benchmark's steps in order
    guest_count, seed, passes = options.guests, options.seed, options.passes
    faces, person, crowd = event(n, seed)
    print(
        f"\n{n:,} faces ({len(set(faces.photo_ids.tolist())):,} photos); {calibration(faces, person, crowd)}"
    )
    queries = guests(person, crowd, guest_count, seed)

    cache = options.cache and options.cache.with_name(f"{options.cache.stem}-{n}-{seed}-{guest_count}.pkl")
    exact_load_s, exact_times, reference, exact = exact_answers(faces, queries, cache)
    print(
        f"guests: {guest_count}, photos found per guest: "
        f"{min(map(len, reference))} to {max(map(len, reference))}"
    )
    print(
        "| index | faces | p50 ms | p95 ms | CPU p50 ms | CPU p95 ms | pairs scanned p50 / mean "
        "| index MiB | load s "
        "| photo recall | selfie-hit recall | largest distance difference |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    wanted = sum(len(r) for r in reference)
    load_s = 0.0
    lends = spare_core.lends  # the product's: two threads for a scan run alone on 2+ cores
    for probing in options.probings:
        product = NumpyVectorIndex(probing=probing)
        load_s = timed_load(product, faces)
        times, found = latencies(searcher(product), queries)
        kept = sum(len(r.keys() & f.keys()) for r, f in zip(reference, found, strict=True))
        extra = sum(len(f.keys() - r.keys()) for r, f in zip(reference, found, strict=True))
        recall, gap = first_stage_gap(product, exact, queries)
        print(
            row(describe(probing), n, load_s, product, times)
            + f" {kept / max(wanted, 1):.4f} ({kept} of {wanted}, {extra} extra) | {recall} | {gap:.1e} |"
        )
        # the same guests again: the first pass also pays for touching a new index's pages
        for later in range(2, passes + 1):
            for threads in options.scan_threads:
                spare_core.lends = threads > 1
                again, _ = latencies(searcher(product), queries)
                name = f"the same, pass {later} over the guests, scans on {threads} thread(s)"
                print(row(name, n, load_s, product, again) + " | | |")
            spare_core.lends = lends
        del product
        gc.collect()
    print(row("exact float32 (reference)", n, exact_load_s, exact, exact_times) + " 1 | 1 | 0 |")
    del exact
    gc.collect()
    if not options.extras:
        return
    print(saved_copy(faces, load_s, options.probings[-1]))
    print(f"resident memory growth, product index: {resident_in_child(n, seed, exact=False)}")
    print(f"resident memory growth, exact index: {resident_in_child(n, seed, exact=True)}")


def spin() -> None:  # another process's work on one core: what a split scan then competes with
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faces", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--guests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--probes", type=int, nargs="+", default=[PROBED_LISTS], help="IVF lists read per search"
    )
    parser.add_argument(
        "--lists-per-root",
        type=float,
        nargs="+",
        default=[Probing().lists_per_root],
        help="inverted lists per square root of the faces (each value with each --probes)",
    )
    parser.add_argument(
        "--per-query", type=int, default=Probing().per_query, help="lists a query reads at least"
    )
    parser.add_argument("--quick", type=int, default=Probing().quick, help="lists a guard query reads")
    parser.add_argument(
        "--rules",
        nargs="+",
        choices=["near", "fixed"],
        default=["near"],
        help="near: lists by their distance to each query (the default); fixed: a fixed count per query",
    )
    parser.add_argument("--passes", type=int, default=1, help="searches of each guest, each pass timed")
    parser.add_argument("--reference-cache", type=Path, help="keep the exact answers in this file (+ size)")
    parser.add_argument("--no-extras", action="store_true", help="skip the saved copy and resident memory")
    parser.add_argument(
        "--scan-threads",
        type=int,
        nargs="+",
        choices=[1, 2],
        default=[2],
        help="passes after the first: a scan on one thread, or split on two when no other runs (the default)",
    )
    parser.add_argument(
        "--busy-core",
        action="store_true",
        help="a process spinning on one core throughout (at normal priority)",
    )
    args = parser.parse_args()
    options = Options(
        guests=args.guests,
        seed=args.seed,
        probings=[
            Probing.fixed(probes, args.per_query, args.quick, root)
            if rule == "fixed"
            else Probing(lists=probes, per_query=args.per_query, quick=args.quick, lists_per_root=root)
            for rule in args.rules
            for root in args.lists_per_root
            for probes in args.probes
        ],
        passes=args.passes,
        cache=args.reference_cache,
        extras=not args.no_extras,
        scan_threads=args.scan_threads,
    )
    print(
        f"load average at start: {' '.join(f'{x:.1f}' for x in psutil.getloadavg())} "
        f"on {psutil.cpu_count()} cores"
    )
    spinner = multiprocessing.Process(target=spin, daemon=True) if args.busy_core else None
    if spinner:
        spinner.start()
    for n in args.faces:
        run(n, options)
        gc.collect()
    if spinner:
        spinner.terminate()
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in psutil.getloadavg())}")


if __name__ == "__main__":
    main()
