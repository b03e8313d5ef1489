"""The search workers as the server runs them: real spawned processes (with the fake engine).

Each worker is its own process with its own engine; a worker that dies turns the searches it
had into 503s and the pool starts again; and no worker outlives the server, even a SIGKILLed one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import psutil
import pytest

from eventface.errors import ServerBusyError
from eventface.faces.engine import FaceEngine
from eventface.faces.search_pool import ProcessEnginePool
from eventface.services.search import Selfie, selfie_embeddings
from tests.conftest import REPO_ROOT
from tests.fakes.face_engine import ColourSquareEngine, CrashingEngine, ThreadsProbeEngine, embedding_of
from tests.fakes.photos import jpeg_with_squares

DEADLINE_S = 60.0  # spawning a process that imports eventface is slow on a busy 2-core machine
MAX_PIXELS = 40_000_000

T = TypeVar("T")


# one long-lived thread: workers a pool spawns from it die when the thread that spawned them ends
# (PR_SET_PDEATHSIG follows the spawning thread), so it must outlive every test here
_APART = ThreadPoolExecutor(1, thread_name_prefix="search-pool-tests")


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on a thread of its own: the browser tests' session-wide Playwright keeps an
    event loop running on the main thread, where asyncio.run refuses to start another."""
    return _APART.submit(asyncio.run, coroutine).result()


def worker_pid(_engine: FaceEngine | None) -> int:
    return os.getpid()


def engine_id(engine: FaceEngine) -> tuple[int, int]:
    return os.getpid(), id(engine)


@pytest.fixture
def pool() -> Iterator[ProcessEnginePool]:
    engines = ProcessEnginePool(ColourSquareEngine, workers=2)
    yield engines
    engines.close()


def workers_of(pid: int) -> list[psutil.Process]:
    """The pool's worker processes among `pid`'s children (not multiprocessing's resource tracker)."""
    children = psutil.Process(pid).children()
    return [c for c in children if c.is_running() and "spawn_main" in " ".join(c.cmdline())]


def test_every_worker_is_spawned_at_start_as_its_own_process(pool: ProcessEnginePool) -> None:
    ready = pool.start()

    assert len(workers_of(os.getpid())) == 2  # all of them, by this thread, before any search
    for future in ready:
        future.result(timeout=DEADLINE_S)
    pids = {run_apart(pool.run("fake", worker_pid)) for _ in range(20)}
    assert pids <= {w.pid for w in workers_of(os.getpid())}


def test_each_worker_runs_its_models_on_its_share_of_the_cores() -> None:
    # OpenCV's threads and onnxruntime's (YuNet and SFace run on it) alike: with onnxruntime's
    # default of a thread per core, the workers of a busy server fought over the cores
    share = max(1, (os.cpu_count() or 1) // 2)
    engines = ProcessEnginePool(ThreadsProbeEngine, workers=2)
    try:
        engines.start()
        selfie = Selfie("me.jpg", jpeg_with_squares([("red", (40, 40), 60)]))
        queries, _reports = run_apart(engines.run("fake", selfie_embeddings, [selfie], MAX_PIXELS))
    finally:
        engines.close()
    opencv_threads, onnxruntime_threads = queries[0].tolist()
    assert (opencv_threads, onnxruntime_threads) == (share, share)


def test_a_worker_embeds_selfies_as_the_engine_does_in_process_and_keeps_its_engine(
    pool: ProcessEnginePool,
) -> None:
    selfies = [Selfie("one", jpeg_with_squares([("red", (20, 20), 60)])), Selfie("two", b"not a photo")]

    async def both() -> tuple[object, object]:
        return await asyncio.gather(
            pool.run("fake", selfie_embeddings, selfies, MAX_PIXELS),
            pool.run("fake", engine_id),
        )

    (queries, reports), first = run_apart(both())
    engines = {first} | {run_apart(pool.run("fake", engine_id)) for _ in range(10)}

    assert [q.tolist() for q in queries] == [embedding_of("red").tolist()]
    assert [r.code for r in reports] == ["ok", "unreadable"]
    assert len({pid for pid, _ in engines}) == len(engines)  # one engine per worker, built once
    assert pool.mean_run_s < 1.0  # measured, no longer the first guess


def test_a_worker_that_dies_is_a_503_and_the_pool_starts_again() -> None:
    pool = ProcessEnginePool(CrashingEngine, workers=1)
    magenta = [Selfie("s", jpeg_with_squares([("magenta", (20, 20), 60)]))]
    red = [Selfie("s", jpeg_with_squares([("red", (20, 20), 60)]))]
    try:
        with pytest.raises(ServerBusyError) as crashed:
            run_apart(pool.run("fake", selfie_embeddings, magenta, MAX_PIXELS))
        queries, _ = run_apart(pool.run("fake", selfie_embeddings, red, MAX_PIXELS))
    finally:
        pool.close()

    assert crashed.value.retry_after_s > 0
    assert [q.tolist() for q in queries] == [embedding_of("red").tolist()]


SERVER = textwrap.dedent(
    """
    import asyncio, sys
    from eventface.faces.search_pool import ProcessEnginePool
    from tests.fakes.face_engine import ColourSquareEngine
    from tests.integration.test_search_pool import worker_pid as pid

    if __name__ == "__main__":
        pool = ProcessEnginePool(ColourSquareEngine, workers=2)
        for future in pool.start():
            future.result(timeout=60)
        print(" ".join(str(p) for p in {asyncio.run(pool.run("fake", pid)) for _ in range(20)}), flush=True)
        sys.stdin.read()  # until the test kills this process
    """
)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_search_workers_die_with_a_server_that_is_killed() -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        text=True,
    )
    try:
        assert server.stdout is not None
        pids = [int(p) for p in server.stdout.readline().split()]
        assert pids and all(alive(p) for p in pids)

        server.send_signal(signal.SIGKILL)  # no shutdown code runs
        server.wait(timeout=DEADLINE_S)

        deadline = time.monotonic() + DEADLINE_S
        while any(alive(p) for p in pids):
            assert time.monotonic() < deadline, f"search workers {pids} outlived their server"
            time.sleep(0.05)
    finally:
        server.kill()
        server.communicate()  # closes the pipes
