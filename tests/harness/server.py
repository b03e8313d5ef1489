"""`eventface web` as a real subprocess on a free port: the one real-server harness.

`servers.start(data_dir, env={...})` runs `eventface web` (with its in-process Huey worker and
scheduler; `env`: settings for this server, over those given to `Servers(root, photo_root, env)`;
the photo root is the test's tmp dir unless given) and waits until GET /login answers, retrying
on another port when the chosen one was taken meanwhile; `servers.stop(server)` sends SIGTERM (to
the server, or with `group=True` to its whole process group, as systemd does) and fails the test
unless the process exits cleanly in time; `servers.kill(server)` is a SIGKILL, as a crash or an
OOM killer would send. Each server runs in a session of its own (its pid is the session and group
id), so that tests can signal its group and list what it left behind (tests/harness/processes.py).
The server's stdout and stderr go to files outside the data dir (a pipe nobody reads would block
the server once full); `close()` kills what still runs and prints their tails, which pytest shows
when a test fails.

The `servers` fixture is per test; a module-scoped fixture (the browser tests) or a benchmark uses
`with Servers(root) as servers:` itself. `run_cli` and `create_photographer` set a data dir up
headlessly, through the CLI, as on a server without a browser.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import httpx
import pytest

from tests.harness.console import EVENTFACE, eventface_env, run_eventface

PASSWORD = "correct horse battery staple"
EMAIL = "photographer@example.com"
READY_DEADLINE_S = 90  # the app loads its face models before it answers: slow on a busy machine
STOP_DEADLINE_S = 20
START_ATTEMPTS = 3
TAIL_LINES = 60
POLL_S = 0.1
CLEAN_EXITS = {0, -signal.SIGTERM}
# the cheap argon2 cost for the tests' own accounts (benchmarks/login_storm.py measures the real one)
SERVER_ENV = {"EVENTFACE_WORKERS": "1", "EVENTFACE_PASSWORD_HASH_COST": "test", "PYTHONUNBUFFERED": "1"}


def server_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return eventface_env(**{**SERVER_ENV, **(extra or {})})


def run_cli(*args: str | Path, data_dir: Path, stdin: str | None = None) -> str:
    """Runs `eventface ARGS --data-dir DATA_DIR` to completion and returns its stdout."""
    return run_eventface(*args, data_dir=data_dir, env=server_env(), stdin=stdin).stdout


def create_photographer(data_dir: Path, email: str = EMAIL, password: str = PASSWORD) -> str:
    """A photographer account made with the CLI, as on a headless server; returns a new API token."""
    run_cli("users", "create", email, "--password-stdin", data_dir=data_dir, stdin=password + "\n")
    token = run_cli("users", "token", email, data_dir=data_dir).strip().splitlines()[-1].strip()
    assert token, "eventface users token printed no token"
    return token


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last lines of a log, without the GET request lines of the tests' own polling."""
    if not path.is_file():
        return "(no output)"
    all_lines = path.read_text(errors="replace").splitlines()
    kept = [line for line in all_lines if not ('msg="request"' in line and "method=GET" in line)]
    omitted = len(all_lines) - len(kept)
    return "\n".join([f"({omitted} GET request lines left out)", *kept[-lines:]])


@dataclass
class Server:
    data_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    _files: list[IO[bytes]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "eventface.db"

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def output_tail(self) -> str:
        return (
            f"--- eventface web on port {self.port} (exit {self.process.returncode}) ---\n"
            f"stdout:\n{tail(self.stdout_path)}\nstderr:\n{tail(self.stderr_path)}"
        )

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def close_files(self) -> None:
        for f in self._files:
            f.close()
        self._files.clear()


class Servers:
    """Starts, stops and kills `eventface web` processes; whatever is still running at close() is killed."""

    def __init__(
        self, root: Path, photo_root: Path | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        self.root = root
        # the test's tmp dir, beside the servers' logs, unless `env` says otherwise
        photo_roots = str(photo_root or root.parent)
        self.env = {"EVENTFACE_PHOTO_ROOTS": photo_roots, **(env or {})}  # for every server started here
        self.started: list[Server] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self, data_dir: Path, env: Mapping[str, str] | None = None) -> Server:
        """`eventface web --data-dir DATA_DIR`; `env`: settings for this server, over the manager's."""
        for _ in range(START_ATTEMPTS):  # the free port may be taken between choosing it and binding it
            server = self._spawn(data_dir, server_env({**self.env, **(env or {})}))
            if self._wait_ready(server):
                return server
            if "address already in use" not in server.stderr().lower():
                break
        pytest.fail(f"eventface web did not come up within {READY_DEADLINE_S} s\n{server.output_tail()}")

    def stop(self, server: Server, deadline_s: float = STOP_DEADLINE_S, *, group: bool = False) -> float:
        """SIGTERM, as systemd or Docker stop the server; returns how long it took to exit."""
        started = time.monotonic()
        if server.running:
            if group:
                os.killpg(server.process.pid, signal.SIGTERM)
            else:
                server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=deadline_s)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
                server.close_files()
                pytest.fail(
                    f"eventface web did not exit within {deadline_s} s of SIGTERM (killed)\n"
                    f"{server.output_tail()}"
                )
        server.close_files()
        # uvicorn shuts down cleanly, then re-raises the signal it caught, so the exit is "killed by
        # SIGTERM" (143 in a shell, a success to systemd); the log says whether shutdown completed
        assert server.process.returncode in CLEAN_EXITS, (
            f"eventface web exited {server.process.returncode} on SIGTERM\n{server.output_tail()}"
        )
        assert "Application shutdown complete." in server.stderr(), server.output_tail()
        return time.monotonic() - started

    def kill(self, server: Server) -> None:
        """SIGKILL: the process gets no chance to clean up."""
        server.process.kill()
        server.process.wait(timeout=STOP_DEADLINE_S)
        server.close_files()

    def close(self) -> None:
        for server in self.started:
            if server.running:
                server.process.kill()
                server.process.wait()
            server.close_files()
            print(server.output_tail(), file=sys.stderr)  # stdout may be a benchmark's answer

    def _spawn(self, data_dir: Path, env: dict[str, str]) -> Server:
        port = free_port()
        logs = self.root / f"server-{len(self.started) + 1}-port-{port}"
        logs.mkdir(parents=True)
        stdout = (logs / "stdout.txt").open("wb")
        stderr = (logs / "stderr.txt").open("wb")
        command = [str(EVENTFACE), "web", "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(
            [*command, "--data-dir", str(data_dir)],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=self.root,  # no ./.env of the developer's
            start_new_session=True,
        )
        server = Server(data_dir, port, process, logs / "stdout.txt", logs / "stderr.txt", [stdout, stderr])
        self.started.append(server)
        return server

    def _wait_ready(self, server: Server) -> bool:
        deadline = time.monotonic() + READY_DEADLINE_S
        with httpx.Client(base_url=server.base_url, timeout=5) as client:
            while time.monotonic() < deadline:
                if not server.running:
                    server.close_files()
                    return False
                try:
                    if client.get("/login").status_code == 200:
                        return True
                except httpx.TransportError:
                    pass
                time.sleep(POLL_S)
        return False


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    with Servers(tmp_path / "servers") as manager:
        yield manager


def wait_for(
    what: str,
    probe: Callable[[], Any],
    done: Callable[[Any], bool],
    deadline_s: float,
    server: Server | None = None,
    interval_s: float = 0.25,
) -> Any:
    """Polls `probe()` until `done(value)`; fails with the last value (and the server's output)."""
    deadline = time.monotonic() + deadline_s
    value = None
    while time.monotonic() < deadline:
        if server is not None and not server.running:
            pytest.fail(f"the server exited while waiting for {what}\n{server.output_tail()}")
        value = probe()
        if done(value):
            return value
        time.sleep(interval_s)
    extra = f"\n{server.output_tail()}" if server is not None else ""
    pytest.fail(f"timed out after {deadline_s} s waiting for {what}; last value: {value!r}{extra}")


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(db, timeout=30)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()
