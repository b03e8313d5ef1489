"""The matching step alone on a 10 000-photo event: what the "not nearer to a stranger" guard costs.

    python benchmarks/match_latency.py [--photos 10000] [--runs 20]

An in-memory NumpyVectorIndex holds `photos` x 3 faces in the fusion engine's space (SFace
unit vectors beside dlib-like vectors, the fused metric); the guest's face is planted, with
noise, in 30, 300 or 2 000 photos (a guest, a busy guest, the bride). `match_faces` is timed
with query expansion, with and without the guard; the guard searches every matched face's
own vector against the event, so its cost grows with the guest's matches. Then with the people
rule (issue 11): the guest joining single faces (what a search does while the event's groups are
built), then joining the people groups once built (matching/people_cache.py, timed too); above
PEOPLE_MAX_FACES faces both fall back to the guard rule (`--people-max-faces` lifts the cap, to
measure what the people rule would cost there).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time

import numpy as np

from eventface.domain.models import FaceMatrix
from eventface.faces import fusion_engine
from eventface.matching import expansion
from eventface.matching.expansion import match_faces
from eventface.matching.numpy_index import NumpyVectorIndex
from eventface.matching.people import PeopleRule
from eventface.matching.people_cache import PeopleCache
from eventface.services.search import people_rule_of

METRIC = fusion_engine.FusionFaceEngine.metric
DLIB_SPREAD = 0.3  # dlib descriptors of different people lie ~0.6-0.9 apart, rarely closer


def faces(rng: np.random.Generator, n: int) -> np.ndarray:
    sface = rng.normal(size=(n, 128))
    sface /= np.linalg.norm(sface, axis=1, keepdims=True)
    return np.hstack([sface, DLIB_SPREAD / np.sqrt(2) * rng.normal(size=(n, 128))]).astype(np.float32)


def event(
    photos: int, planted: int, guest: np.ndarray, rng: np.random.Generator, noise: float = 0.05
) -> NumpyVectorIndex:
    vectors = faces(rng, 3 * photos)
    rows = np.arange(planted) * (photos // planted) * 3
    noisy = guest + noise * rng.normal(size=(planted, 256))
    noisy[:, :128] /= np.linalg.norm(noisy[:, :128], axis=1, keepdims=True)
    vectors[rows] = noisy
    ids = np.arange(3 * photos, dtype=np.int64)
    index = NumpyVectorIndex()
    heights = np.full(len(ids), 150.0, np.float32)
    index.load(
        1, 1, METRIC, FaceMatrix(ids, ids // 3, vectors, heights, np.full(len(ids), 100.0, np.float32))
    )
    return index


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--people-max-faces",
        type=int,
        default=expansion.PEOPLE_MAX_FACES,
        help="the people rule's cap (default: the product's)",
    )
    parser.add_argument(
        "--guest-noise",
        type=float,
        default=0.05,
        help="spread of the planted copies (at 0.05 they lie farther apart than from the guest, so "
        "the people rule joins few; at 0.02 they form one person, as a real guest's faces do)",
    )
    parser.add_argument("--guests", type=int, nargs="+", help="guest's photos (default: 30, 300, photos/5)")
    args = parser.parse_args()
    expansion.PEOPLE_MAX_FACES = args.people_max_faces
    rng = np.random.default_rng(0)
    guest = faces(rng, 1)
    rows = []
    for planted in args.guests or (30, 300, args.photos // 5):  # a guest, a busy guest, the bride
        index = event(args.photos, planted, guest[0], rng, args.guest_noise)
        row: dict[str, object] = {"photos": args.photos, "guest_photos": planted}
        grouped = people_rule_of(fusion_engine.PEOPLE_RULE)
        modes: list[tuple[str, bool, PeopleRule | None]] = [
            ("no guard", False, None),
            ("guard", True, None),
            ("people, single faces", True, PeopleRule(0.0, grouped.join)),
            ("people, groups", True, grouped),
        ]
        for key, guarded, people in modes:
            if people is grouped and 3 * args.photos <= expansion.PEOPLE_MAX_FACES:
                cache = PeopleCache.of(index)
                row["peak_rss_mib_before_build"] = round(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                )
                start, start_cpu = time.perf_counter(), time.process_time()
                # starts the background build (with the neighbours the hub correction reads)
                cache.groups(1, index.every_face(1), grouped.link, grouped.hub_weight > 0)
                cache.wait(3600)
                row["groups_built_s"] = round(time.perf_counter() - start, 2)
                row["groups_built_cpu_s"] = round(time.process_time() - start_cpu, 2)
                # the process's peak so far (the event, the groups, their neighbour lists)
                row["peak_rss_mib_after_build"] = round(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                )
            times, cpu, found = [], [], 0
            for _ in range(args.runs):
                start, start_cpu = time.perf_counter(), time.process_time()
                found = len(
                    match_faces(
                        index,
                        1,
                        guest,
                        tolerance=fusion_engine.TOLERANCE,
                        expansion_tolerance=fusion_engine.EXPANSION_TOLERANCE,
                        strangers=guarded,
                        people=people,
                    )
                )
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            row[key] = {
                "median_ms": round(1000 * statistics.median(times), 1),
                "max_ms": round(1000 * max(times), 1),
                # CPU time of this process (all its threads): what it costs on a busy machine
                "cpu_median_ms": round(1000 * statistics.median(cpu), 1),
                "photos_found": found,
            }
        row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
