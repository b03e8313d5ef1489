"""Where a big event's compact (IVF) search loses photos the exact search finds (issue 12).

    .venv/bin/python benchmarks/ivf_misses.py --seed 3 --guests 40 --trace benchmarks/out/ivf/trace-3.pkl \
        [--reference-cache benchmarks/out/ivf/ref-1000000-3-40.pkl] [--fixed] [--other-selfies]

Runs `match_faces` for each guest of benchmarks/index_scale.py's event twice, on the exact float32
index and on the product's, recording every index search (queries, hits). For each photo the exact
search returns and the product's does not, prints how the exact search found it (a selfie or an
expansion query), whether the product had that query, and where the found face's inverted list
ranks among that query's nearest lists. The exact searches are kept in `--trace` (minutes at a
million faces); `--reference-cache` writes index_scale.py's cache of the exact answers too.
"""

from __future__ import annotations

import argparse
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from eventface.faces.fusion_engine import EXPANSION_TOLERANCE, TOLERANCE, FusionFaceEngine
from eventface.matching.compact_faces import Probing
from eventface.matching.expansion import match_faces
from eventface.matching.index import Hits
from eventface.matching.numpy_index import NumpyVectorIndex
from index_scale import EVENT, Timings, calibration, event, guests


@dataclass
class Call:
    queries: np.ndarray
    tolerance: float
    thorough: bool
    hits: Hits


@dataclass
class Recording:
    """A VectorIndex that records its searches (everything else passes through)."""

    inner: NumpyVectorIndex
    calls: list[Call] = field(default_factory=list)

    def search(self, event_id: int, queries: np.ndarray, max_distance: float, **kw: object) -> Hits:
        hits = self.inner.search(event_id, queries, max_distance, **kw)  # type: ignore[arg-type]
        self.calls.append(Call(np.array(queries), max_distance, bool(kw.get("thorough", True)), hits))
        return hits

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def answers(index: NumpyVectorIndex, queries: np.ndarray) -> tuple[dict[int, float], list[Call], float]:
    recording = Recording(index)
    start = time.process_time()
    matches = match_faces(
        recording,  # type: ignore[arg-type]
        EVENT,
        queries,
        tolerance=TOLERANCE,
        expansion_tolerance=EXPANSION_TOLERANCE,
    )
    cpu = (time.process_time() - start) * 1000
    return {m.photo_id: m.distance for m in matches}, recording.calls, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faces", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--guests", type=int, default=40)
    parser.add_argument("--trace", type=Path, required=True, help="the exact searches' record (kept)")
    parser.add_argument("--reference-cache", type=Path, help="also write index_scale.py's cache here")
    parser.add_argument(
        "--fixed", action="store_true", help="the product with a fixed count of lists per query"
    )
    parser.add_argument(
        "--other-selfies",
        action="store_true",
        help="other selfies of the same guests (index_scale.py draws for its calibration first)",
    )
    parser.add_argument("--lists", type=int, default=Probing().lists, help="lists a search reads at most")
    parser.add_argument("--reach", type=float, default=Probing().reach)
    parser.add_argument("--busy", type=int, nargs=2, default=Probing().busy, help="a busy query's lists")
    parser.add_argument("--busy-reach", type=float, default=Probing().busy_reach)
    args = parser.parse_args()
    faces, person, crowd = event(args.faces, args.seed)
    if not args.other_selfies:
        calibration(faces, person, crowd)  # draws from the crowd's generator, as index_scale.py does first
    queries = guests(person, crowd, args.guests, args.seed)
    if args.trace.exists():
        with args.trace.open("rb") as f:
            exact_answers, exact_calls = pickle.load(f)
    else:
        exact = NumpyVectorIndex(compact_from_faces=2**62)
        exact.load(EVENT, 1, FusionFaceEngine.metric, faces)
        exact_answers, exact_calls, cpus = [], [], []
        for q in queries:
            a, c, cpu = answers(exact, q)
            exact_answers.append(a)
            exact_calls.append(c)
            cpus.append(cpu)
        with args.trace.open("wb") as f:
            pickle.dump((exact_answers, exact_calls), f)
        if args.reference_cache:
            with args.reference_cache.open("wb") as f:
                pickle.dump((Timings(cpus, cpus), exact_answers), f)
        del exact
    near = Probing(
        lists=args.lists, reach=args.reach, busy=(args.busy[0], args.busy[1]), busy_reach=args.busy_reach
    )
    product = NumpyVectorIndex(probing=Probing.fixed(args.lists) if args.fixed else near)
    product.load(EVENT, 1, FusionFaceEngine.metric, faces)
    store = product._events[EVENT].faces.store  # type: ignore[union-attr]
    index = store._index
    centroids = index.quantizer.reconstruct_n(0, index.nlist)
    list_of = np.empty(len(faces) + 1, np.int64)
    for list_no in range(index.nlist):
        size = index.invlists.list_size(list_no)
        if size:
            ids = faiss.rev_swig_ptr(index.invlists.get_ids(list_no), size).copy()
            list_of[ids] = list_no
    missed_total = wanted_total = 0
    for g, q in enumerate(queries):
        got, calls, _ = answers(product, q)
        want = exact_answers[g]
        wanted_total += len(want)
        missed = sorted(want.keys() - got.keys())
        missed_total += len(missed)
        if not missed:
            continue
        ecalls = exact_calls[g]
        print(f"\nguest {g}: {len(q)} selfies, exact {len(want)} photos, product {len(got)}; missed {missed}")
        print(
            "  exact calls: "
            + ", ".join(f"{len(c.queries)}q/{len(c.hits)}h{'' if c.thorough else ' quick'}" for c in ecalls)
        )
        print(
            "  product calls: "
            + ", ".join(f"{len(c.queries)}q/{len(c.hits)}h{'' if c.thorough else ' quick'}" for c in calls)
        )
        # the thorough calls: 0 = selfies, 1 = expansion (if any)
        e_sel, p_sel = ecalls[0], calls[0]
        e_exp = ecalls[1] if len(ecalls) > 1 and ecalls[1].thorough else None
        p_exp = calls[1] if len(calls) > 1 and calls[1].thorough else None
        for photo in missed:
            print(f"  photo {photo} (exact distance {want[photo]:.4f}):")
            for name, ec, pc in (("selfie", e_sel, p_sel), ("expansion", e_exp, p_exp)):
                if ec is None:
                    continue
                rows = np.nonzero(ec.hits.photo_ids == photo)[0]
                for r in rows:
                    qi, fid, d = int(ec.hits.query[r]), int(ec.hits.face_ids[r]), float(ec.hits.distances[r])
                    qv = ec.queries[qi]
                    same_query = None
                    if pc is not None:
                        match = np.nonzero(np.all(np.abs(pc.queries - qv) < 1e-3, axis=1))[0]
                        same_query = int(match[0]) if len(match) else None
                    proxied = store._to_proxy(qv[None, :])
                    cd = ((centroids - proxied) ** 2).sum(axis=1)
                    order = np.argsort(cd)
                    rank = int(np.nonzero(order == list_of[fid])[0][0])
                    found_in_product = False
                    if pc is not None and same_query is not None:
                        found_in_product = bool(
                            np.any((pc.hits.query == same_query) & (pc.hits.face_ids == fid))
                        )
                    print(
                        f"    {name} query {qi} -> face {fid} at {d:.4f} (exact expansion queries: "
                        f"{len(ec.queries)}); product has the query: {same_query is not None}"
                        f" (of {0 if pc is None else len(pc.queries)}); found there: {found_in_product}; "
                        f"face's list rank for the query: {rank} (centroid d {cd[order[rank]]:.3f}, "
                        f"nearest {cd[order[0]]:.3f}, 8th {cd[order[7]]:.3f})"
                    )
            in_guard = [
                i for i, c in enumerate(ecalls) if not c.thorough and np.any(c.hits.photo_ids == photo)
            ]
            print(f"    in exact guard calls: {in_guard}")
            p_guard = [
                (i, sorted(set(c.hits.face_ids[c.hits.photo_ids == photo].tolist())))
                for i, c in enumerate(calls)
                if not c.thorough and np.any(c.hits.photo_ids == photo)
            ]
            print(f"    in product guard calls (call, faces): {p_guard}")
    print(f"\nmissed {missed_total} of {wanted_total}: recall {1 - missed_total / wanted_total:.4f}")


if __name__ == "__main__":
    main()
