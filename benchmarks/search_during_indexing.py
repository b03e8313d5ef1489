"""Guests before indexing (issue 12): a guest's search while an event is being indexed.

    python benchmarks/search_during_indexing.py [--photos 40] [--searches 12]

In one process, as in `eventface web` with its embedded worker (and, as there today, a runtime
for the web and one for the worker): one thread indexes the first N photos of the dev event
(seed 1, 4000x3000) with the analyzer under test, while the main thread runs a guest search (the
search service: decode, detect, embed, match, rank) again and again. The searches start once
the run has indexed its first photo, so models are loaded and the analyzer is busy.

Analyzers: `inline` (EVENTFACE_WORKERS=1: photos analysed on the worker's thread, in this
process, at this process's priority), `pool-1` (one worker process at nice +10), `pool-2` (two,
the default on two cores). Prints search latency (median, p90, max) idle and under each, and the
run's photos/s.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eventface.faces.pool import ProcessPoolAnalyzer
from eventface.runtime import Runtime, build_face_engine, build_runtime
from eventface.services import events, ingest
from eventface.services.ingest import Analyzer
from eventface.services.search import Selfie, find_photos
from eventface.settings import Settings
from eventface.sources.local_folder import LocalFolderSource
from events import dev_event


def analyzer_for(variant: str, rt: Runtime, engine: str) -> Analyzer:
    if variant == "inline":
        return rt.analyzer(engine)  # workers=1
    workers = int(variant.removeprefix("pool-"))
    factory = functools.partial(build_face_engine, rt.settings, engine)
    renditions = tuple(c.max_side_px for c in rt.caches)
    return ProcessPoolAnalyzer(factory, workers, rt.settings.max_image_pixels, rendition_px=renditions)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "searches": len(samples),
        "median_s": round(statistics.median(ordered), 3),
        "p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
        "max_s": round(ordered[-1], 3),
    }


def measure(variant: str, photos: list[Path], selfie: bytes, searches: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for photo in photos:
            shutil.copyfile(photo, folder / photo.name)
        settings = Settings(data_dir=Path(tmp) / "data", workers=1)
        web, worker = build_runtime(settings), build_runtime(settings)
        engine_name = settings.face_engine.value
        engine = web.face_engine(engine_name)
        limits = web.search_limits(engine)
        with web.transactions() as uow:
            policy = events.FolderPolicy.anywhere_but_data(settings.data_dir)
            event = events.create_event(uow, "bench", folder, engine_name, policy=policy)
            task = ingest.create_task(uow, str(event.id))

        def search() -> float:
            started = time.perf_counter()
            with web.transactions() as uow:
                find_photos(uow, web.index, engine, str(event.id), [Selfie("selfie.jpg", selfie)], limits)
            return time.perf_counter() - started

        search()  # loads the models in this runtime
        if variant == "idle":
            result: dict[str, object] = percentiles([search() for _ in range(searches)])
        else:
            first_done = threading.Event()
            run_time: list[float] = []

            def index() -> None:
                started = time.perf_counter()
                ingest.run_indexing(
                    worker.transactions,
                    task.task_id,
                    LocalFolderSource(folder),
                    analyzer_for(variant, worker, engine_name),
                    worker.engine_info(engine_name),
                    worker.index,
                    on_progress=lambda done, *_: first_done.set(),
                    caches=worker.caches,
                )
                run_time.append(time.perf_counter() - started)

            thread = threading.Thread(target=index)
            thread.start()
            first_done.wait()
            samples = []
            while thread.is_alive() and len(samples) < searches:
                samples.append(search())
            thread.join()
            result = {**percentiles(samples), "photos_per_s": round(len(photos) / run_time[0], 2)}
        web.close()
        worker.close()
    return {"analyzer": variant, **result}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--searches", type=int, default=12)
    parser.add_argument("--variants", nargs="+", default=["idle", "inline", "pool-1", "pool-2"])
    args = parser.parse_args()
    event = dev_event("faces")
    photos = sorted(event.photos_dir.iterdir())[: args.photos]
    selfie = event.selfies_of(event.queryable()[0])[0].read_bytes()
    rows = [measure(v, photos, selfie, args.searches) for v in args.variants]
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
