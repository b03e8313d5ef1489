"""Guest search through the HTTP API: upload -> results on a 10 000-photo event.

    python benchmarks/web_search.py [--photos 10000] [--runs 20]

Builds a data dir with a 10 000-photo event of synthetic embeddings (30 000 faces; 30 photos
hold a near copy of the selfie's face so the answer has real matches), starts the real server
(`eventface web`, default engine, in-process worker), and times `POST /api/e/{slug}/search`
from the first byte sent to the parsed JSON answer, for one selfie and for three.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the real-server harness
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tests.harness.server import Servers

from eventface.faces.images import PhotoImage
from eventface.runtime import build_runtime
from eventface.settings import Settings
from synthetic import synthetic_event

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "faces"
SELFIES = [SHARED / "people" / "obama" / f"{n}.jpg" for n in (1, 2, 3)]
# the server as deployed (the harness runs one worker thread), with guests' searches unthrottled
SERVER_ENV = {"EVENTFACE_WORKERS": "0", "EVENTFACE_SEARCH_RATE_LIMIT": "10000"}


def timed_search(client: httpx.Client, url: str, selfies: list[bytes]) -> tuple[float, int]:
    files = [("selfies", (f"s{i}.jpg", data, "image/jpeg")) for i, data in enumerate(selfies)]
    start = time.perf_counter()
    response = client.post(url, data={"consent": "true"}, files=files)
    body = response.json()
    took = time.perf_counter() - start
    response.raise_for_status()
    return took, len(body["matches"])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if not all(p.is_file() for p in SELFIES):
        print(f"the developer face set is not at {SHARED}: nothing to measure", file=sys.stderr)
        return 2
    selfies = [p.read_bytes() for p in SELFIES]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        settings = Settings(data_dir=data_dir, search_rate_limit=10_000)
        rt = build_runtime(settings)
        engine = rt.face_engine(settings.face_engine.value)
        selfie_face = engine.find_faces(PhotoImage(selfies[0], settings.max_image_pixels))[0].embedding
        synthetic_event(
            rt, engine, len(selfie_face), photos=args.photos, planted=selfie_face, planted_photos=30
        )
        rt.close()
        with Servers(Path(tmp) / "servers") as servers:
            server = servers.start(data_dir, env=SERVER_ENV)
            url = f"{server.base_url}/api/e/bench10k/search"
            with httpx.Client(timeout=60) as client:
                first, found = timed_search(client, url, selfies[:1])
                one = [timed_search(client, url, selfies[:1])[0] for _ in range(args.runs)]
                three = [timed_search(client, url, selfies)[0] for _ in range(args.runs)]
            servers.stop(server, deadline_s=30)
    result = {
        "photos": args.photos,
        "faces": args.photos * 3,
        "matches": found,
        "first_search_s": round(first, 3),
        "one_selfie_median_s": round(statistics.median(one), 3),
        "one_selfie_p95_s": round(sorted(one)[int(0.95 * (len(one) - 1))], 3),
        "one_selfie_max_s": round(max(one), 3),
        "three_selfies_median_s": round(statistics.median(three), 3),
        "three_selfies_max_s": round(max(three), 3),
        "selfie_bytes": [len(s) for s in selfies],
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
