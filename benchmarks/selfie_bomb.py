"""Memory and time to refuse a selfie bomb: the real server, before and after, in one run.

    python benchmarks/selfie_bomb.py [--before-ref main] [--no-before]

For each build ("before": the source tree of `--before-ref`, exported with `git archive`;
"after": this checkout) it starts `eventface web` on a fresh data dir with an empty event, waits
for the face engine to load, then sends one guest search per hostile selfie and reports the
status, the selfie's report code, the time to the answer, and how much the server's peak RSS
(VmHWM, reset through /proc/PID/clear_refs before each search) rose above its RSS at the start.
The selfies: a 120 MP PNG (350 KB of zlib'd black), a 48 MP progressive JPEG, a polyglot (JPEG
magic, HTML, ZIP), and a 39.9 MP PNG, which is under the cap and shows what an accepted selfie costs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from tests.fakes.bombs import png_bomb, polyglot  # noqa: E402

from web_search import free_port, wait_ready  # noqa: E402

EVENTFACE = str(Path(sys.executable).parent / "eventface")
EMAIL = "bench@example.com"
ENGINE_DEADLINE_S = 120


@dataclass(frozen=True)
class Outcome:
    status: int
    code: str
    seconds: float
    peak_mb: float


def progressive_jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 110, 100)).save(buffer, "JPEG", progressive=True, quality=90)
    return buffer.getvalue()


def selfies() -> dict[str, bytes]:
    return {
        "PNG 12000x10000 (120 MP)": png_bomb(12_000, 10_000),
        "progressive JPEG 8000x6000 (48 MP)": progressive_jpeg(8_000, 6_000),
        "polyglot (JPEG magic + HTML + ZIP)": polyglot(),
        "PNG 7300x5470 (39.9 MP, accepted)": png_bomb(7_300, 5_470),
    }


def kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def cli(env: dict[str, str], data_dir: Path, *args: str, stdin: str | None = None) -> str:
    command = [EVENTFACE, *args, "--data-dir", str(data_dir)]
    return subprocess.run(command, input=stdin, env=env, capture_output=True, text=True, check=True).stdout


@contextmanager
def server(src: Path, root: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    """`eventface web` running `src`, with an empty event; yields (process, base URL, slug)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "EVENTFACE_SEARCH_RATE_LIMIT": "1000",
        "EVENTFACE_WORKERS": "1",
    }
    data_dir, folder = root / "data", root / "photos"
    folder.mkdir(parents=True)
    cli(env, data_dir, "users", "create", EMAIL, "--password-stdin", stdin="correct horse battery staple\n")
    event_id = cli(env, data_dir, "events", "create", "Bombs", "--folder", str(folder), "--owner", EMAIL)
    slug = json.loads(cli(env, data_dir, "events", "show", event_id.split()[-1], "--json"))["slug"]
    port = free_port()
    log = (root / "server.log").open("wb")
    command = [EVENTFACE, "web", "--port", str(port), "--data-dir", str(data_dir)]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/login")
        deadline = time.monotonic() + ENGINE_DEADLINE_S
        while b"face engine ready" not in (root / "server.log").read_bytes():
            if time.monotonic() > deadline:
                raise RuntimeError("the face engine did not load")
            time.sleep(0.2)
        yield process, f"http://127.0.0.1:{port}", slug
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def refuse(process: subprocess.Popen[bytes], url: str, slug: str, data: bytes) -> Outcome:
    Path(f"/proc/{process.pid}/clear_refs").write_text("5")  # VmHWM := current RSS
    base_kib = kib(process.pid, "VmRSS")
    files = [("selfies", ("selfie", data, "application/octet-stream"))]
    started = time.perf_counter()
    response = httpx.post(f"{url}/api/e/{slug}/search", files=files, data={"consent": "true"}, timeout=300)
    seconds = time.perf_counter() - started
    peak_mb = (kib(process.pid, "VmHWM") - base_kib) / 1024
    reports = response.json().get("selfies") or [{}]
    return Outcome(response.status_code, str(reports[0].get("code", "-")), seconds, peak_mb)


def export(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "src"], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before-ref", default="main", help="git ref of the 'before' build")
    parser.add_argument("--no-before", action="store_true", help="measure this checkout only")
    args = parser.parse_args()
    hostile = selfies()
    with tempfile.TemporaryDirectory() as tmp:
        builds = {"after": REPO / "src"}
        if not args.no_before:
            builds = {f"before ({args.before_ref})": export(args.before_ref, Path(tmp) / "before"), **builds}
        print(f"{'build':<16} {'selfie':<38} {'status':>6} {'code':<11} {'time s':>7} {'peak RSS +MB':>12}")
        for build, src in builds.items():
            with server(src, Path(tmp) / build.split()[0]) as (process, url, slug):
                for name, data in hostile.items():
                    o = refuse(process, url, slug, data)
                    row = f"{o.status:>6} {o.code:<11} {o.seconds:>7.2f} {o.peak_mb:>12.0f}"
                    print(f"{build:<16} {name:<38} {row}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
