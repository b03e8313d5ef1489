"""A storm of wrong sign-ins against the real server, with the production argon2 cost.

    python benchmarks/login_storm.py [--requests 200]

Starts `eventface web` on a fresh data dir holding one account (production password hashing,
EVENTFACE_TRUSTED_PROXIES=127.0.0.1 so a request can name its client address in
X-Forwarded-For), fetches a sign-in form (CSRF token + session cookie) per request, then sends
all the wrong-password POST /login at once, twice: every request from one address, and every
request from its own address (a botnet: no address throttle applies, each guess reaches
argon2). Prints the answers by status, the wall time, and the server's resident memory just
before and at its highest during the storm (sampled from /proc every 10 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from eventface.runtime import build_runtime
from eventface.services import accounts
from eventface.settings import Settings

EVENTFACE = str(Path(sys.executable).parent / "eventface")
EMAIL = "owner@example.com"
PASSWORD = "the owner's real passphrase"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_ready(url: str, deadline_s: float = 90) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start within {deadline_s:.0f} s")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class PeakRss(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._stop_flag = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._stop_flag.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.01)

    def stop(self) -> float:
        self._stop_flag.set()
        self.join()
        return self.peak


def forms(base: str, count: int) -> list[tuple[str, str]]:
    """(csrf token, session cookie) per request: each storm request is its own browser."""
    out = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(count):
            client.cookies.clear()
            page = client.get("/login")
            found = CSRF_FIELD.search(page.text)
            assert found is not None
            out.append((found.group(1), client.cookies["eventface_session"]))
    return out


async def storm(base: str, prepared: list[tuple[str, str]], spread: bool) -> list[tuple[int, float]]:
    limits = httpx.Limits(max_connections=len(prepared), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def one(n: int, csrf: str, cookie: str) -> tuple[int, float]:
            address = f"10.{n // 250}.{n % 250}.1" if spread else "10.0.0.1"
            headers = {
                "Cookie": f"eventface_session={cookie}",
                "X-Forwarded-For": address,
                "Accept": "text/html",
            }
            form = {"csrf_token": csrf, "email": EMAIL, "password": f"wrong guess {n}"}
            started = time.perf_counter()
            response = await client.post("/login", data=form, headers=headers)
            return response.status_code, time.perf_counter() - started

        return await asyncio.gather(*(one(n, c, k) for n, (c, k) in enumerate(prepared)))


def run_storm(base: str, pid: int, count: int, *, spread: bool, settle_s: float) -> None:
    prepared = forms(base, count)
    time.sleep(settle_s)
    before = rss_mib(pid)
    sampler = PeakRss(pid)
    sampler.start()
    started = time.perf_counter()
    results = asyncio.run(storm(base, prepared, spread))
    wall = time.perf_counter() - started
    peak = sampler.stop()
    statuses = Counter(status for status, _ in results)
    latencies = [took for _, took in results]
    label = f"{count} addresses" if spread else "one address"
    print(
        f"{count} wrong sign-ins at once from {label}: {dict(sorted(statuses.items()))}; "
        f"wall {wall:.2f} s; latency median {statistics.median(latencies):.2f} s,"
        f" max {max(latencies):.2f} s; "
        f"RSS {before:.0f} MiB before, peak {peak:.0f} MiB (+{peak - before:.0f} MiB)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        rt = build_runtime(Settings(data_dir=Path(data_dir)))  # the production argon2 cost
        with rt.transactions() as uow:
            accounts.create_user(uow, EMAIL, PASSWORD, passwords=rt.passwords)
        rt.close()
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("EVENTFACE_")},
            "EVENTFACE_TRUSTED_PROXIES": "127.0.0.1",
            "EVENTFACE_WORKERS": "1",
            "EVENTFACE_LOG_LEVEL": "WARNING",
        }
        command = [EVENTFACE, "web", "--port", str(port), "--data-dir", data_dir, "--no-worker"]
        server = subprocess.Popen(
            command, env=env, cwd=data_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(f"{base}/login")
            # first the face-model warm-up finishes, so it is not counted as the storm's; then the
            # first storm's throttle windows close before the second
            run_storm(base, server.pid, args.requests, spread=False, settle_s=5)
            run_storm(base, server.pid, args.requests, spread=True, settle_s=61)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
