"""Indexing speed and memory, and search latency, with the product's default settings.

    python benchmarks/indexing.py [--face-set faces] [--workers 1 2] [--skip-reference | --reuse-reference]
                                  [--skip-search] [--photos N] [--before-src DIR]

1. Indexes the dev event (seed 1, 120 photos of 4000x3000) with `eventface index` in a fresh
   data dir, once per worker count: photos/s, faces/s, peak RSS of the largest process, and CPU
   seconds per photo (all processes; what other load on the machine hardly changes).
2. Runs the original system's approach (benchmarks/reference.py) on the same photos, so the
   throughput is also a ratio to it. On a loaded machine also read `cpu_speedup_vs_reference`:
   the reference's CPU seconds per photo over eventface's, times the worker count (what the
   ratio of throughputs would be on idle cores, whatever else runs meanwhile).
   `--before-src DIR` also indexes with another checkout's src/ (`git archive main src | tar -x -C
   DIR/..`), just before this one's, under the same load.
   `--photos N` runs both on the event's first N photos only (a loaded machine's reference run
   of all 120 takes most of an hour).
3. Builds a 10 000-photo event with synthetic embeddings (30 000 faces) and times one selfie
   from upload bytes to ranked matches, and the vector search alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eventface.faces.images import PhotoImage
from eventface.runtime import build_runtime
from eventface.services.search import Selfie, find_photos
from eventface.settings import Settings
from events import ROOT, dev_event
from synthetic import synthetic_event

EVENTFACE = str(Path(sys.executable).parent / "eventface")
MEASURE = (
    "import resource, subprocess, sys, time;"
    "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
    "print(time.perf_counter() - t, u.ru_maxrss, r.returncode, u.ru_utime + u.ru_stime)"
)


def index_run(photos_dir: Path, workers: int, source: Path | None = None) -> dict[str, object]:
    """`eventface index` in a fresh data dir; `source`: another checkout's src/ (e.g. main's, from
    `git archive`) imported instead of this one's, for a before/after comparison in one run."""
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "EVENTFACE_WORKERS": str(workers)}
        if source is not None:
            env["PYTHONPATH"] = str(source)
        create = subprocess.run(
            [EVENTFACE, "events", "create", "bench", "--folder", str(photos_dir), "--data-dir", data_dir],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        event_id = create.stdout.strip().splitlines()[-1]
        measured = subprocess.run(
            [sys.executable, "-c", MEASURE, EVENTFACE, "index", event_id, "--data-dir", data_dir],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        seconds, rss_kb, code, cpu_s = measured.stdout.split()
        if code != "0":
            raise SystemExit(f"eventface index failed with exit code {code}")
        rt = build_runtime(Settings(data_dir=Path(data_dir)))
        with rt.transactions() as uow:
            summary = uow.events.summaries()[0]
        rt.close()
    return {
        "code": str(source) if source else "this checkout",
        "workers": workers,
        "photos": summary.photos,
        "faces": summary.faces,
        "seconds": round(float(seconds), 2),
        "photos_per_s": round(summary.photos / float(seconds), 3),
        "faces_per_s": round(summary.faces / float(seconds), 2),
        "peak_rss_mb": round(int(rss_kb) / 1024, 1),
        # every process's CPU time: unlike the wall time, hardly moved by other load on the machine
        "cpu_s_per_photo": round(float(cpu_s) / summary.photos, 3),
    }


def first_photos(photos_dir: Path, folder: Path, count: int) -> Path:
    """`photos_dir` itself, or a folder of its first `count` photos (the reference's order).

    Hard links, not symlinks: a local-folder event reads nothing that resolves outside its folder.
    """
    if not count:
        return photos_dir
    for path in sorted(photos_dir.glob("*.jpg"))[:count]:
        os.link(path, folder / path.name)
    return folder


def reference_run(event_dir: Path, *, reuse: bool, photos: int = 0) -> dict[str, float]:
    """The original approach in its own process (for its own peak RSS); cached for accuracy.py."""
    cache = (
        ROOT / "benchmarks" / "out" / f"reference_{event_dir.name}{f'_first{photos}' if photos else ''}.json"
    )
    if reuse and cache.is_file():
        return dict(json.loads(cache.read_text()), cached=True)
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "reference.py"), str(event_dir), "--limit", str(photos)],
        capture_output=True,
        text=True,
        check=True,
    )
    cache.write_text(out.stdout)
    return dict(json.loads(out.stdout))


def search_latency(
    selfie: Path, engine_name: str, photos: int = 10_000, faces_per_photo: int = 3
) -> dict[str, float]:
    """A 10 000-photo event of random unit embeddings: the vector work is the same as for real ones."""
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as data_dir:
        rt = build_runtime(Settings(data_dir=Path(data_dir), workers=1))
        engine = rt.face_engine(engine_name)
        dim = len(engine.find_faces(PhotoImage(selfie.read_bytes(), 10**9))[0].embedding)
        event_id = synthetic_event(rt, engine, dim, photos=photos, faces_per_photo=faces_per_photo)
        data = selfie.read_bytes()
        limits = rt.search_limits(engine)

        def one_search() -> float:
            start = time.perf_counter()
            with rt.transactions() as uow:
                find_photos(
                    uow,
                    rt.index,
                    engine,
                    str(event_id),
                    [Selfie("selfie", data)],
                    limits,
                )
            return time.perf_counter() - start

        cold = one_search()  # loads the event's 30 000 embeddings from the database
        warm = [one_search() for _ in range(10)]
        queries = rng.normal(size=(1, dim)).astype(np.float32)
        queries /= np.linalg.norm(queries)
        vector = []
        for _ in range(50):
            start = time.perf_counter()
            rt.index.search(event_id, queries, limits.tolerance)
            vector.append(time.perf_counter() - start)
        rt.close()
    return {
        "photos": photos,
        "faces": photos * faces_per_photo,
        "engine": engine_name,
        "first_search_s": round(cold, 3),
        "search_median_s": round(statistics.median(warm), 3),
        "search_max_s": round(max(warm), 3),
        "vector_search_median_ms": round(1000 * statistics.median(vector), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--face-set", default="faces", choices=["faces", "faces_asia"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument(
        "--reuse-reference", action="store_true", help="take the last reference run's numbers"
    )
    parser.add_argument("--skip-search", action="store_true", help="indexing only")
    parser.add_argument("--before-src", type=Path, help="also index with this src/ dir (e.g. main's)")
    parser.add_argument("--photos", type=int, default=0, help="the event's first N photos only (0: all)")
    args = parser.parse_args()
    event = dev_event(args.face_set)
    engine = Settings().face_engine.value
    results: dict[str, object] = {"event": event.label, "engine": engine, "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(dir=event.path.parent) as subset:
        photos_dir = first_photos(event.photos_dir, Path(subset), args.photos)
        runs = []
        for w in args.workers:
            if args.before_src:  # before and after back to back, under the same load
                runs.append(index_run(photos_dir, w, args.before_src))
                print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
            runs.append(index_run(photos_dir, w))
            print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    results["indexing"] = runs
    if not args.skip_reference:
        ref = reference_run(event.path, reuse=args.reuse_reference, photos=args.photos)
        results["reference"] = ref
        for run in runs:
            run["speedup_vs_reference"] = round(float(run["photos_per_s"]) / ref["photos_per_s"], 1)
            if "cpu_s_per_photo" in ref:
                cpu_ratio = float(run["workers"]) * ref["cpu_s_per_photo"] / float(run["cpu_s_per_photo"])
                run["cpu_speedup_vs_reference"] = round(cpu_ratio, 1)
    results["load_after"] = os.getloadavg()
    if not args.skip_search:
        selfie = event.selfies_of(event.queryable()[0])[0]
        results["search"] = search_latency(selfie, engine)
    results["self_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
