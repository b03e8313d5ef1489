"""Guests' searches on every core: a pool of face engines, each worker with engines of its own.

`await pool.run(engine_name, fn, *args)` runs `fn(engine, *args)` on a free worker. A search
waiting for a worker holds no thread (it is an awaited future), so pages, thumbnails and
downloads never wait behind searches; how many may wait is the web's business (web/limits.py).

Processes, not threads, for the real engines (measured, benchmarks/README.md "Searches on
every core"): OpenCV's DNN (YuNet, SFace) releases the GIL while it runs, but dlib's ResNet
holds it for the whole ~55 ms of each face, a third of a fusion search. `ThreadEnginePool` keeps
the same contract on threads, for the fake engine in tests.

A worker process dies with the server (processes.die_with_parent). Linux signals a child when
the *thread* that spawned it exits, so `start()` spawns every worker at once and a crashed pool
is respawned only by `run`, on the event loop's thread: both live as long as the server.
"""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import numpy as np
from PIL import Image

from eventface.errors import ServerBusyError
from eventface.faces.engine import FaceEngine
from eventface.faces.images import PhotoImage
from eventface.processes import die_with_parent

log = logging.getLogger(__name__)

EngineFactory = Callable[[str], FaceEngine]
P = ParamSpec("P")
T = TypeVar("T")

CRASH_RETRY_AFTER_S = 2.0  # a fresh pool loads its models in about this long
FIRST_RUN_S = 1.0  # what a call is taken to cost until one has been timed
RUN_S_WEIGHT = 0.2  # of the latest call in the moving average of how long a call takes


class EnginePool(Protocol):
    """Face engines that searches share; `run` waits for a free one without holding a thread."""

    @property
    def workers(self) -> int: ...

    @property
    def mean_run_s(self) -> float:
        """How long a call takes on a worker (a moving average; waiting for the worker not included)."""
        ...

    def start(self, preload: str | None = None) -> list[Future[Any]]:
        """Starts the workers now; with `preload`, each loads that engine's models: one future each."""
        ...

    async def run(
        self, engine_name: str, fn: Callable[Concatenate[FaceEngine, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`fn(engine, *args, **kwargs)` on a free worker's engine called `engine_name`.

        Raises ServerBusyError when a worker crashed under it (the pool is started afresh).
        """
        ...

    def close(self) -> None: ...


def warm_up(engine: FaceEngine) -> float:
    """Loads the engine's models (they load lazily, on the first photo); the seconds it took."""
    started = time.perf_counter()
    engine.find_faces(PhotoImage(_BLANK_PNG, 4 * 64 * 64))
    return time.perf_counter() - started


class _ExecutorPool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.mean_run_s = FIRST_RUN_S
        self._executor: Executor | None = None

    def _new_executor(self) -> Executor:
        raise NotImplementedError

    def _task(self) -> Callable[..., Any]:
        raise NotImplementedError

    def start(self, preload: str | None = None) -> list[Future[Any]]:
        if self._executor is not None:
            return []
        self._executor = self._new_executor()
        # one task per worker, submitted back to back: a submit that finds no idle worker starts
        # one, so every worker is spawned here, by this thread
        task = self._task()
        if preload is None:
            return [self._executor.submit(task, None, _no_op, (), {}) for _ in range(self.workers)]
        return [self._executor.submit(task, preload, warm_up, (), {}) for _ in range(self.workers)]

    async def run(
        self, engine_name: str, fn: Callable[Concatenate[FaceEngine, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self._executor is None:
            self.start()
        executor = self._executor
        assert executor is not None
        try:
            future: Future[tuple[float, T]] = executor.submit(self._task(), engine_name, fn, args, kwargs)
            run_s, result = await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            self._replace(executor, engine_name)
            raise ServerBusyError(
                "a face engine stopped during the search: try again in a moment", CRASH_RETRY_AFTER_S
            ) from exc
        self.mean_run_s += RUN_S_WEIGHT * (run_s - self.mean_run_s)
        return result

    def _replace(self, broken: Executor, engine_name: str) -> None:
        """A crashed worker broke its pool: start another one (once, however many searches saw it),
        its models loading at once, so the guests told to come back find them loaded."""
        if self._executor is broken:
            log.warning("a search worker process died: starting the search workers again")
            broken.shutdown(wait=False, cancel_futures=True)
            self._executor = None
            self.start(preload=engine_name)

    def close(self) -> None:
        """Stops the workers without waiting for what they run (the server has answered its requests)."""
        if self._executor is not None:
            executor, self._executor = self._executor, None
            self._stop(executor)

    def _stop(self, executor: Executor) -> None:
        executor.shutdown(wait=False, cancel_futures=True)


class ProcessEnginePool(_ExecutorPool):
    """`workers` processes (spawned, not forked: the server runs threads), each building its own
    engines with `factory` (picklable) on first use; OpenCV gets the cores a worker's share."""

    def __init__(self, factory: EngineFactory, workers: int) -> None:
        super().__init__(workers)
        self._factory = factory

    def _new_executor(self) -> Executor:
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self._factory, threads),
        )

    def _task(self) -> Callable[..., Any]:
        return _call_in_worker

    def _stop(self, executor: Executor) -> None:
        # killed, not waited for: a worker may be loading its models (seconds) or warming up.
        # Python 3.14 has terminate_workers(); until then, the pool's own table of its processes
        assert isinstance(executor, ProcessPoolExecutor)
        workers = list((executor._processes or {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.kill()
        for worker in workers:
            worker.join()
        executor.shutdown(wait=True)


class ThreadEnginePool(_ExecutorPool):
    """`workers` threads, each with its own engine from `factory` (called once per thread)."""

    def __init__(self, factory: EngineFactory, workers: int) -> None:
        super().__init__(workers)
        self._factory = factory
        self._local = threading.local()

    def _new_executor(self) -> Executor:
        return ThreadPoolExecutor(self.workers, thread_name_prefix="face-engine")

    def _task(self) -> Callable[..., Any]:
        return self._call

    def _call(
        self, name: str | None, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[float, T]:
        engines: dict[str, FaceEngine] = self._local.__dict__.setdefault("engines", {})
        if name is not None and name not in engines:
            engines[name] = self._factory(name)
        return _timed(fn, engines.get(name or ""), args, kwargs)


# --- worker-process side: the engines of this process, built on first use by its factory
_factory: EngineFactory | None = None
_engines: dict[str, FaceEngine] = {}


def _init_worker(factory: EngineFactory, opencv_threads: int) -> None:
    die_with_parent()
    # Ctrl+C and `systemctl stop` signal the whole process group: the server stops its workers
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    global _factory  # noqa: PLW0603 - a worker process's engines are the point of the worker
    _factory = factory
    import cv2  # noqa: PLC0415 - only worker processes set OpenCV's threads

    from eventface.faces import onnx_sessions  # noqa: PLC0415 - with the other model modules

    # N workers each running OpenCV, or onnxruntime (YuNet, SFace), on every core would fight over
    # them under load: with onnxruntime's default, two searches at once ran barely faster than one
    # (benchmarks/README.md, "A crowd of guests": 6.2 searches/s at 32 guests against 5.5 for one)
    cv2.setNumThreads(opencv_threads)
    onnx_sessions.set_intra_op_threads(opencv_threads)


def _call_in_worker(
    name: str | None, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[float, T]:
    if name is not None and name not in _engines:
        assert _factory is not None, "search worker started without an engine factory"
        _engines[name] = _factory(name)
    return _timed(fn, _engines.get(name or ""), args, kwargs)


def _timed(
    fn: Callable[..., T], engine: FaceEngine | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[float, T]:
    started = time.perf_counter()
    result = fn(engine, *args, **kwargs)
    return time.perf_counter() - started, result


def _no_op(_engine: object) -> float:
    return 0.0


def _blank_png() -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(out, format="PNG")
    return out.getvalue()


_BLANK_PNG = _blank_png()
