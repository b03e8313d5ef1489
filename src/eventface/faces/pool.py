"""Running a face engine over many photos, in worker processes that each load the models once.

Stopping (issue 13): the process that runs an analysis owns its workers. They ignore SIGINT and
SIGTERM (which a terminal or systemd sends to the whole process group) and die with it even when
it is SIGKILLed (`processes.become_worker`); a run sees the runtime's `stopping` event within
`STOP_POLL_S`, kills its workers and raises `ShuttingDown`, and a stopping run starts no worker.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field

from eventface.domain.models import DetectedFace
from eventface.errors import ImageError
from eventface.faces.engine import FaceEngine
from eventface.faces.images import PhotoImage
from eventface.processes import ShuttingDown, become_worker, stop_signals_blocked

EngineFactory = Callable[[], FaceEngine]

STOP_POLL_S = 0.2
# guests' searches first (issue 12): the most an unprivileged process can give way is 19
INDEXING_NICENESS = 10


@dataclass(frozen=True)
class PhotoAnalysis:
    faces: list[DetectedFace]
    width: int  # display orientation, full resolution
    height: int
    content_hash: str
    renditions: dict[int, bytes] = field(default_factory=dict)  # JPEG by long side: thumbnails, previews


@dataclass(frozen=True)
class AnalysisFailure:
    error: str


Outcome = PhotoAnalysis | AnalysisFailure


def analyze(engine: FaceEngine, data: bytes, max_pixels: int, rendition_px: tuple[int, ...] = ()) -> Outcome:
    """One photo's faces (and its JPEG renditions), or why it cannot be used. Never raises for a bad image."""
    content_hash = hashlib.sha256(data).hexdigest()
    try:
        image = PhotoImage(data, max_pixels)
        faces = engine.find_faces(image)
    except ImageError as exc:
        return AnalysisFailure(str(exc))
    try:
        renditions = image.jpeg_renditions(rendition_px)
    except ImageError:  # the faces count; a guest's request makes the thumbnail (or says why not)
        renditions = {}
    return PhotoAnalysis(faces, image.full_width, image.full_height, content_hash, renditions)


def _check(stopping: threading.Event | None) -> None:
    if stopping is not None and stopping.is_set():
        raise ShuttingDown("the process is stopping")


class InlineAnalyzer:
    """Analyses in the calling process: for one worker, tests, and searches.

    Jobs on several threads (a resumed indexing run and a sync, say) may share one engine; its
    native models are not thread-safe, so `lock`, shared by everyone using that engine, lets one
    photo through at a time.
    """

    def __init__(
        self,
        engine: FaceEngine,
        max_pixels: int,
        lock: threading.Lock | None = None,
        *,
        stopping: threading.Event | None = None,
        rendition_px: tuple[int, ...] = (),
    ) -> None:
        self.engine = engine
        self.max_pixels = max_pixels
        self.lock = lock or threading.Lock()
        self.stopping = stopping
        self.rendition_px = rendition_px

    def analyze_many(self, jobs: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, Outcome]]:
        for key, data in jobs:
            _check(self.stopping)
            with self.lock:
                outcome = analyze(self.engine, data, self.max_pixels, self.rendition_px)
            yield key, outcome


# --- worker-process side: one engine per process, built by the initializer, models loaded on first use
_worker_engine: FaceEngine | None = None


def one_core_each() -> None:
    """OpenCV and onnxruntime on one thread each in this process, for the models loaded from now on.

    For a process that is one core's worth of indexing beside others (a pool's worker, an
    `eventface worker` process with EVENTFACE_WORKERS=1): their own threads would only fight the
    other processes for the cores. YuNet took ~10 % more CPU with two threads on an idle machine;
    a whole photo in an `eventface worker` ~50 % more on a busy one (0.47-0.51 s vs 0.32-0.34 s),
    and two workers were no faster than one (benchmarks/README.md, "Scale-out").
    """
    import cv2  # noqa: PLC0415 - only processes that index set OpenCV's threads

    from eventface.faces import onnx_sessions  # noqa: PLC0415 - with the other model modules

    cv2.setNumThreads(1)
    onnx_sessions.set_intra_op_threads(1)  # and onnxruntime's, for the same reason


def _init_worker(factory: EngineFactory, niceness: int) -> None:
    global _worker_engine  # noqa: PLW0603 - the per-process engine is the point of a worker
    become_worker(niceness)
    one_core_each()  # one worker per core already
    _worker_engine = factory()


def _analyze_in_worker(data: bytes, max_pixels: int, rendition_px: tuple[int, ...]) -> Outcome:
    assert _worker_engine is not None, "worker started without an engine"
    return analyze(_worker_engine, data, max_pixels, rendition_px)


class ProcessPoolAnalyzer:
    """Analyses on `workers` processes with at most two photos in flight per worker and run.

    Runs on several threads at once (an indexing run and a sync beside it, or several jobs of one
    big run on a Redis queue) share one set of processes: the machine's cores' worth and the
    memory of `workers` copies of the models, however many jobs are busy. Each run used to start
    its own pool, so two jobs on a 2-core machine ran four model processes (issue 15).

    The processes are spawned by the thread that first submits to them and die with it
    (PDEATHSIG fires when the spawning thread ends): a long-lived thread, as a job queue's worker
    is. With `keep_warm_s`, they (and the models they loaded) outlive the last run by that long,
    so the next run starts at once: a live event's syncs bring a photo or two every few seconds,
    and starting the processes and loading the models took longer than indexing them (issue 12).
    """

    def __init__(
        self,
        factory: EngineFactory,
        workers: int,
        max_pixels: int,
        keep_warm_s: float = 0.0,
        *,
        stopping: threading.Event | None = None,
        niceness: int = INDEXING_NICENESS,
        rendition_px: tuple[int, ...] = (),
    ) -> None:
        self.factory = factory
        self.workers = workers
        self.max_pixels = max_pixels
        self.keep_warm_s = keep_warm_s
        self.stopping = stopping
        self.niceness = niceness
        self.rendition_px = rendition_px
        self._shared: ProcessPoolExecutor | None = None
        self._runs = 0  # runs using `_shared` now
        self._cooling: threading.Timer | None = None
        self._lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Stops the processes kept warm; runs still going stop them when the last one ends."""
        with self._lock:
            self._closed = True
            idle = self._runs == 0
        if idle:
            self._cool()

    def _take(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._cooling is not None:
                self._cooling.cancel()
                self._cooling = None
            broken = self._shared if self._shared is not None and self._shared._broken else None
            if broken is not None:  # a worker died while it waited (the OOM killer)
                self._shared = None
            if self._shared is None:
                self._shared = self._pool(self.workers)
            self._runs += 1
            pool = self._shared
        if broken is not None:
            _kill_workers(broken)
        return pool

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """The shared processes after a crash: a fresh set, made by the first run to see it."""
        with self._lock:
            replaced = self._shared is broken
            if replaced:
                self._shared = self._pool(self.workers)
            pool = self._shared
        if replaced:
            _kill_workers(broken)
        assert pool is not None, "a run holds the shared pool"
        return pool

    def _give_back(self, finished: bool) -> None:
        """A run is over; the last one keeps the processes warm, or ends them: at once (killed)
        when it ended early, as a stopping process must not wait for a photo in flight."""
        with self._lock:
            self._runs -= 1
            pool = self._shared
            if pool is None or self._runs > 0:
                return  # still used by other runs
            if finished and self.keep_warm_s > 0 and not self._closed:
                self._cooling = threading.Timer(self.keep_warm_s, self._cool)
                self._cooling.daemon = True
                self._cooling.start()
                return
            self._shared = None
        if finished:
            pool.shutdown(wait=True, cancel_futures=True)
        else:
            _kill_workers(pool)

    def _cool(self) -> None:
        with self._lock:
            if self._runs > 0:  # a run took the processes as the timer fired
                return
            pool, self._shared = self._shared, None
            if self._cooling is not None:
                self._cooling.cancel()
                self._cooling = None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        _check(self.stopping)  # a stopping process starts no worker
        # spawn, not fork: the parent may run threads (web server, queue) that fork would copy mid-lock
        return ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.factory, self.niceness),
        )

    def _submit(self, pool: ProcessPoolExecutor, data: bytes) -> Future[Outcome]:
        with stop_signals_blocked(), _main_script_hidden():  # submit() spawns the workers
            return pool.submit(_analyze_in_worker, data, self.max_pixels, self.rendition_px)

    def analyze_many(self, jobs: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, Outcome]]:
        """Results in completion order; raises `ShuttingDown` once `stopping` is set.

        When a worker dies (out of memory, a crash in native code) every photo in flight is a
        suspect, this run's and the other runs' alike: each run checks its suspects one at a time
        on a process of its own, so only the photo that crashes a worker on its own is reported
        failed, while the shared processes, replaced, go on with the rest. Whenever the last run
        ends early (stopping, an error, the caller gone), the workers are killed, not waited for:
        a photo in flight is pending still, and analysed by the next run.
        """
        fresh = iter(jobs)
        in_flight: dict[Future[Outcome], tuple[int, bytes]] = {}
        pool = self._take()
        finished = False
        try:
            while True:
                while len(in_flight) < 2 * self.workers:
                    _check(self.stopping)
                    job = next(fresh, None)
                    if job is None:
                        break
                    try:
                        future = self._submit(pool, job[1])
                    except (BrokenProcessPool, RuntimeError):  # another run saw a crash, replaced them
                        pool = self._replace(pool)
                        future = self._submit(pool, job[1])
                    in_flight[future] = job
                if not in_flight:
                    finished = True
                    return
                done, _ = wait(in_flight, timeout=STOP_POLL_S, return_when=FIRST_COMPLETED)
                _check(self.stopping)
                crashed = any(_lost(f) for f in done)
                for future in done:
                    if not _lost(future):
                        key, _data = in_flight.pop(future)
                        yield key, future.result()
                if crashed:
                    suspects = list(in_flight.values())
                    in_flight.clear()
                    pool = self._replace(pool)
                    yield from self._one_at_a_time(suspects)
        finally:
            self._give_back(finished)

    def _one_at_a_time(self, suspects: list[tuple[int, bytes]]) -> Iterator[tuple[int, Outcome]]:
        """A crash's suspects, each alone on a process of this run's: the one that crashes it is the cause."""
        alone = self._pool(1)
        try:
            for key, data in suspects:
                future = self._submit(alone, data)
                while not wait([future], timeout=STOP_POLL_S).done:
                    _check(self.stopping)
                _check(self.stopping)
                if _lost(future):
                    yield key, AnalysisFailure("the face-analysis worker process crashed on this photo")
                    _kill_workers(alone)
                    alone = self._pool(1)
                else:
                    yield key, future.result()
        finally:
            _kill_workers(alone)


def _lost(future: Future[Outcome]) -> bool:
    """The photo's process died under it, or its pool was ended (by a run that saw the crash)
    before the photo reached a process."""
    return future.cancelled() or isinstance(future.exception(), BrokenProcessPool)


@contextmanager
def _main_script_hidden() -> Iterator[None]:
    """Spawned workers do not run the parent's main script (the `eventface` command) again.

    multiprocessing's spawn re-runs the script as `__mp_main__` in every child unless `__main__`
    has no `__file__`; for the console script that imported the whole CLI and web app into each
    indexing worker (~100 MB resident each, issue 15). The workers' code lives in packages.
    """
    main = sys.modules["__main__"]
    path = getattr(main, "__file__", None)
    if path is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Ends a pool now: its workers ignore SIGTERM, and a photo in flight can take seconds."""
    # Python 3.14 has pool.kill_workers(); until then the pool's own table of its processes
    workers = list((pool._processes or {}).values())
    for worker in workers:
        worker.kill()
    pool.shutdown(wait=True, cancel_futures=True)  # its manager thread sees them gone and cleans up
    for worker in workers:
        worker.join()
