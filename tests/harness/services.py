"""Real PostgreSQL and Redis servers for the tests about them, the same on a fresh machine and in CI.

Each comes from a test setting when one is given (`EVENTFACE_TEST_POSTGRES_URL`, e.g.
`postgresql+psycopg://postgres@127.0.0.1:5432/postgres`; `EVENTFACE_TEST_REDIS_URL`), else is
started here as a throwaway server on a free port from the Debian binaries (`.ci/run` installs
`postgresql` and `redis-server` when missing): initdb/pg_ctl in a temp dir, `redis-server` with
no persistence. No systemd, nothing left behind. Without either, the tests that need the server
skip with the reason. Every test gets its own database (PostgreSQL) or database number (Redis).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ENV = "EVENTFACE_TEST_POSTGRES_URL"
REDIS_ENV = "EVENTFACE_TEST_REDIS_URL"
REDIS_DATABASES = 16  # redis-server's default
# read once at import: the session fixture `clean_settings_env` clears EVENTFACE_* before any test
GIVEN_POSTGRES = os.environ.get(POSTGRES_ENV)
GIVEN_REDIS = os.environ.get(REDIS_ENV)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres_user(argv: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the `postgres` user."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@dataclass
class PostgresServer:
    url: str  # the maintenance database, as a superuser
    data_dir: Path | None = None  # a throwaway server's (its postmaster.pid: the server's processes)
    _made: list[str] = field(default_factory=list)

    def fresh_database(self) -> str:
        """A new empty database on this server; dropped at the end of the session."""
        name = f"ef_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self._made.append(name)
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop_databases(self) -> None:
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in self._made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    given = GIVEN_POSTGRES
    if given:
        server = PostgresServer(given)
        yield server
        server.drop_databases()
        return
    if _postgres_bin() is None:
        pytest.skip(f"no PostgreSQL: install Debian's postgresql (as .ci/run does) or set {POSTGRES_ENV}")
    with throwaway_postgres() as server:
        yield server


@contextmanager
def throwaway_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own, in a temp dir on a free port, removed at the end of the block
    (also for benchmarks/scale_out.py). Raises FileNotFoundError without the Debian binaries."""
    binaries = _postgres_bin()
    if binaries is None:
        raise FileNotFoundError("no PostgreSQL binaries: install Debian's postgresql")
    home = Path(tempfile.mkdtemp(prefix="ef-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    data = home / "data"
    port = free_port()
    initdb = [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"]
    subprocess.run(_as_postgres_user([*initdb, "-E", "UTF8"]), check=True, capture_output=True)
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(home / "log")]
    start = [*pg_ctl, "-o", options, "-w", "start"]
    subprocess.run(_as_postgres_user(start), check=True, capture_output=True)
    try:
        yield PostgresServer(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", data_dir=data)
    finally:
        stop = [*pg_ctl, "-m", "immediate", "stop"]
        subprocess.run(_as_postgres_user(stop), check=False, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


@dataclass
class RedisServer:
    url: str  # without a database number
    pid: int | None = None  # a throwaway server's process
    _next: int = 0

    def fresh_url(self) -> str:
        """A database number no other test of this session used, emptied."""
        import redis  # noqa: PLC0415 - only the tests about Redis need the client

        number = self._next % REDIS_DATABASES
        self._next += 1
        url = f"{self.url.rstrip('/')}/{number}"
        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()
        return url


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    given = GIVEN_REDIS
    if given:
        yield RedisServer(given)
        return
    if shutil.which("redis-server") is None:
        pytest.skip(f"no Redis: install Debian's redis-server (as .ci/run does) or set {REDIS_ENV}")
    with throwaway_redis() as server:
        yield server


@contextmanager
def throwaway_redis() -> Iterator[RedisServer]:
    """A redis-server of its own on a free port, without persistence, stopped at the end of the
    block (also for benchmarks/scale_out.py). Raises FileNotFoundError without the binary."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("no redis-server: install Debian's redis-server")
    home = Path(tempfile.mkdtemp(prefix="ef-redis-"))
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    quiet = subprocess.DEVNULL
    process = subprocess.Popen([*argv, "--dir", str(home)], stdout=quiet, stderr=quiet)
    try:
        _wait_for_port(port, process)
        yield RedisServer(f"redis://127.0.0.1:{port}", pid=process.pid)
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(home, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], deadline_s: float = 20) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"redis-server did not listen on {port} within {deadline_s} s")
