"""What thumbnails and previews made while indexing cost (issue 12), in CPU time per photo.

    python benchmarks/renditions.py [--photos 20] [--rounds 2]

On the dev event (seed 1, 4000x3000), in this process with the default engine: `analyze()` of
each photo without renditions and with the runtime's two (preview 1600 px, thumbnail 480 px),
alternating on the same photo so that other load on the machine weighs on both alike; and what
a guest's first view of a photo cost before, when both were made from the original on request.
CPU time (`time.process_time`), not wall time: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eventface.faces.images import thumbnail_jpeg
from eventface.faces.pool import analyze
from eventface.runtime import PREVIEW_PX, THUMBNAIL_PX, build_face_engine
from eventface.settings import Settings
from events import dev_event


def cpu_ms(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return 1000 * (time.process_time() - started)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    settings = Settings()
    engine = build_face_engine(settings, settings.face_engine.value)
    photos = [p.read_bytes() for p in sorted(dev_event("faces").photos_dir.iterdir())[: args.photos]]
    limit = settings.max_image_pixels
    sizes = (PREVIEW_PX, THUMBNAIL_PX)
    analyze(engine, photos[0], limit)  # loads the models
    without, with_renditions, on_request = [], [], []
    for _ in range(args.rounds):
        for data in photos:
            without.append(cpu_ms(lambda d=data: analyze(engine, d, limit)))
            with_renditions.append(cpu_ms(lambda d=data: analyze(engine, d, limit, sizes)))
            on_request.append(cpu_ms(lambda d=data: [thumbnail_jpeg(d, px, limit) for px in sizes]))
    base, made = statistics.median(without), statistics.median(with_renditions)
    print(
        json.dumps(
            {
                "engine": engine.name,
                "photos": len(photos) * args.rounds,
                "analyze_cpu_ms_median": round(base, 1),
                "analyze_with_renditions_cpu_ms_median": round(made, 1),
                "added_cpu_ms": round(made - base, 1),
                "added_percent": round(100 * (made - base) / base, 1),
                "before_on_first_request_cpu_ms_median": round(statistics.median(on_request), 1),
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
