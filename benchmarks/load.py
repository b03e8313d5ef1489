"""A crowd of guests searching at once, then guests searching during an indexing run (issue 12).

    python benchmarks/load.py [--guests 1 8 32 64] [--seconds 20] [--photos 10000]

The real server (`eventface web`, default engine and settings, in-process worker) on a data dir
with a 10 000-photo event of synthetic embeddings (30 000 faces) and a 120-photo dev event
(benchmarks/events.py) not yet indexed. For each crowd size N, N guests search at once for
`--seconds`, each with real selfies from ../shared/data/faces (one after another, guest i
from the i-th on) as the guest page sends them (upright, at most 1280 px, JPEG quality 0.85,
unless the file is smaller as it is; `--raw-selfies` sends the files unchanged, as this
benchmark did before 2026-12-02 11:00 UTC), and as the guest page does: a 503 is waited out
for its Retry-After (plus up to 1 s of jitter) and sent again. Meanwhile a visitor loads the
guest page every 0.2 s. Reported per N: completed searches per second, their latency (each
request, from sending it to its answer), 503s, errors (any other status), unanswered requests
(no answer within 120 s, or a dropped connection), and the guest page's p95. Then the 120-photo
event is indexed and 10 searches are made one after another while it runs, against their time on
the idle server.

Targets (on a 2-core machine): throughput at 32 guests >= 0.85 x cores / (one search's time,
the 1-guest median); guest page p95 <= 0.3 s during the storm; no request unanswered; a
search during indexing <= 2x its idle time. Prints a markdown table, then the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests/: the real-server harness
sys.path.insert(0, str(REPO / "benchmarks"))
from tests.harness.server import Server, Servers, create_photographer, run_cli, wait_for  # noqa: E402

from eventface.faces.images import PhotoImage, thumbnail_jpeg  # noqa: E402
from eventface.runtime import build_runtime  # noqa: E402
from eventface.settings import Settings  # noqa: E402
from events import dev_event  # noqa: E402
from synthetic import synthetic_event  # noqa: E402

FACES = REPO.parent / "shared" / "data" / "faces"
SLUG = "bench10k"
# guests all come from 127.0.0.1 here: the per-address rate limit would count them as one
SERVER_ENV = {"EVENTFACE_WORKERS": "0", "EVENTFACE_SEARCH_RATE_LIMIT": "1000000"}
REQUEST_TIMEOUT_S = 120.0
PAGE_INTERVAL_S = 0.2
INDEXING_SEARCHES = 10
ENGINE_DEADLINE_S = 180


# what the guest page's shrink() makes of a selfie before sending it (web/static/guest.js)
PAGE_SELFIE_PX = 1280
PAGE_SELFIE_QUALITY = 85


def selfies(*, as_the_page_sends: bool = True) -> list[bytes]:
    """One selfie per person of the face set (its first), then their second ones, and so on."""
    people = sorted(p for p in (FACES / "people").iterdir() if p.is_dir())
    files = [sorted(person.glob("*.jpg")) for person in people]
    ranks = range(max(map(len, files)))
    raw = [per[rank].read_bytes() for rank in ranks for per in files if rank < len(per)]
    return [shrunk(data) for data in raw] if as_the_page_sends else raw


def shrunk(data: bytes) -> bytes:
    """The guest page's shrink(): upright, long side at most 1280 px, JPEG; the file when smaller."""
    jpeg = thumbnail_jpeg(data, PAGE_SELFIE_PX, Settings().max_selfie_pixels, PAGE_SELFIE_QUALITY)
    return jpeg if len(jpeg) < len(data) else data


@dataclass
class Tally:
    latencies_s: list[float] = field(default_factory=list)  # completed searches
    busy: int = 0  # 503 answers (with Retry-After)
    busy_without_retry_after: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # other statuses
    unanswered: int = 0  # timeouts and dropped connections
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


def search_once(client: httpx.Client, url: str, selfie: bytes) -> httpx.Response:
    files = [("selfies", ("selfie.jpg", selfie, "image/jpeg"))]
    return client.post(url, data={"consent": "true"}, files=files)


def guest(url: str, faces: list[bytes], first: int, until: float, tally: Tally) -> None:
    """Searches until `until`, a selfie after another from `first` on, waiting out 503s as the page does."""
    turn = first
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        while time.monotonic() < until:
            selfie = faces[turn % len(faces)]
            started = time.perf_counter()
            try:
                response = search_once(client, url, selfie)
            except httpx.TransportError as exc:
                with tally.lock:
                    tally.unanswered += 1
                tally.error(type(exc).__name__)
                continue
            took = time.perf_counter() - started
            if response.status_code == 200:
                turn += 1
                with tally.lock:
                    tally.latencies_s.append(took)
            elif response.status_code == 503:
                retry_after = response.headers.get("Retry-After")
                with tally.lock:
                    tally.busy += 1
                    tally.busy_without_retry_after += retry_after is None
                # the page's wait and jitter, but not past the storm's end: idle time is not its time
                wait_s = float(retry_after or 1) + random.random()
                time.sleep(max(0.0, min(wait_s, until - time.monotonic())))
            else:
                tally.error(str(response.status_code))


def page_visitor(url: str, stop: threading.Event, latencies_s: list[float]) -> None:
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = client.get(url)
            latencies_s.append(time.perf_counter() - started if response.status_code == 200 else float("inf"))
            stop.wait(PAGE_INTERVAL_S)


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def storm(server: Server, guests: int, seconds: float, faces: list[bytes]) -> dict[str, object]:
    url = f"{server.base_url}/api/e/{SLUG}/search"
    tally, pages, stop = Tally(), [], threading.Event()
    visitor = threading.Thread(target=page_visitor, args=(f"{server.base_url}/e/{SLUG}", stop, pages))
    until = time.monotonic() + seconds
    crowd = [threading.Thread(target=guest, args=(url, faces, i, until, tally)) for i in range(guests)]
    started = time.monotonic()
    visitor.start()
    for thread in crowd:
        thread.start()
    for thread in crowd:
        thread.join()
    elapsed = time.monotonic() - started  # the last answers may come after `until`
    stop.set()
    visitor.join()
    done = tally.latencies_s
    return {
        "guests": guests,
        "searches": len(done),
        "searches_per_s": round(len(done) / elapsed, 2),
        "p50_s": round(quantile(done, 0.5), 3),
        "p95_s": round(quantile(done, 0.95), 3),
        "max_s": round(max(done, default=float("nan")), 3),
        "busy_503": tally.busy,
        "busy_503_without_retry_after": tally.busy_without_retry_after,
        "errors": tally.errors,
        "unanswered": tally.unanswered,
        "page_p95_s": round(quantile(pages, 0.95), 3),
        "page_max_s": round(max(pages, default=float("nan")), 3),
    }


def during_indexing(server: Server, token: str, event_id: int, faces: list[bytes]) -> dict[str, object]:
    """10 searches, one after another, while the 120-photo event is being indexed."""
    api = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    started = api.post(f"/api/event/{event_id}/index")
    assert started.status_code == 202, started.text
    task_id = started.json()["task_id"]

    def task() -> dict[str, object]:
        found: dict[str, object] = api.get(f"/api/task/{task_id}").json()
        return found

    wait_for("the indexing run to start", task, lambda t: t["status"] == "running" and t["done"] > 0, 120)
    url = f"{server.base_url}/api/e/{SLUG}/search"
    times, statuses = [], []
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        for i in range(INDEXING_SEARCHES):
            begun = time.perf_counter()
            response = search_once(client, url, faces[i % len(faces)])
            times.append(time.perf_counter() - begun)
            statuses.append(response.status_code)
    still = task()
    final = wait_for("the indexing run to finish", task, lambda t: t["status"] in {"done", "failed"}, 900)
    api.close()
    return {
        "searches": len(times),
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "statuses": sorted(set(statuses)),
        "indexing_still_running_after": still["status"] == "running",
        "indexed": f"{final['done']}/{final['total']} photos, {final['faces']} faces, {final['status']}",
    }


def build_data(root: Path, photos: int, faces: list[bytes]) -> tuple[Path, str, int, Path]:
    """The data dir, a photographer's API token, and the id and folder of the event to index."""
    data_dir = root / "data"
    settings = Settings(data_dir=data_dir)
    rt = build_runtime(settings)
    engine = rt.face_engine(settings.face_engine.value)
    planted = engine.find_faces(PhotoImage(faces[0], settings.max_image_pixels))[0].embedding
    synthetic_event(rt, engine, len(planted), photos=photos, planted=planted, planted_photos=30, slug=SLUG)
    rt.close()
    token = create_photographer(data_dir)
    folder = dev_event("faces").photos_dir
    created = run_cli(
        "events",
        "create",
        "Indexing",
        "--folder",
        folder,
        "--owner",
        "photographer@example.com",
        data_dir=data_dir,
    )
    return data_dir, token, int(created.strip().splitlines()[-1]), folder


def table(storms: list[dict[str, object]], indexing: dict[str, object], one_s: float) -> str:
    cores = os.cpu_count() or 1
    target = 0.85 * cores / one_s
    lines = [
        f"One search alone: {one_s:.3f} s (1-guest median), so the 32-guest target is "
        f"0.85 x {cores} / {one_s:.3f} = {target:.2f} searches/s.",
        "",
        "| guests | searches/s | p50 | p95 | max | 503s | errors | unanswered | guest page p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in storms:
        errors = sum(s["errors"].values()) if isinstance(s["errors"], dict) else s["errors"]
        lines.append(
            f"| {s['guests']} | {s['searches_per_s']} | {s['p50_s']} s | {s['p95_s']} s | {s['max_s']} s "
            f"| {s['busy_503']} | {errors} | {s['unanswered']} | {s['page_p95_s']} s |"
        )
    ratio = float(str(indexing["median_s"])) / one_s
    lines += [
        "",
        f"During indexing ({indexing['indexed']}): {indexing['searches']} searches, median "
        f"{indexing['median_s']} s (max {indexing['max_s']} s), {ratio:.2f}x idle; statuses "
        f"{indexing['statuses']}; the run was still going after them: "
        f"{indexing['indexing_still_running_after']}.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--guests", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--env", nargs="*", default=[], help="extra server settings, NAME=VALUE")
    parser.add_argument(
        "--raw-selfies", action="store_true", help="send the files unchanged, not as the guest page would"
    )
    args = parser.parse_args()
    if not (FACES / "people").is_dir():
        print(f"the developer face set is not at {FACES}: nothing to measure", file=sys.stderr)
        return 2
    faces = selfies(as_the_page_sends=not args.raw_selfies)
    env = {**SERVER_ENV, **dict(item.split("=", 1) for item in args.env)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data_dir, token, event_id, folder = build_data(root, args.photos, faces)
        with Servers(root / "servers", photo_root=folder.parent) as servers:
            server = servers.start(data_dir, env=env)
            wait_for(
                "the search workers to load the face models",
                server.stderr,
                lambda log: "face engine ready" in log or "could not load the face engine" in log,
                ENGINE_DEADLINE_S,
                server,
            )
            with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:  # loads the event into the index
                first = search_once(client, f"{server.base_url}/api/e/{SLUG}/search", faces[0])
                assert first.status_code == 200, first.text
            storms = [storm(server, n, args.seconds, faces) for n in args.guests]
            indexing = during_indexing(server, token, event_id, faces)
            servers.stop(server, deadline_s=60)
    alone = next((s for s in storms if s["guests"] == 1), storms[0])
    print(table(storms, indexing, float(str(alone["p50_s"]))))
    print()
    print(json.dumps({"storms": storms, "during_indexing": indexing, "env": env}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
