"""Running a face engine over many photos, in worker processes that each load the models once."""

from __future__ import annotations

import hashlib
import multiprocessing
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from eventface.domain.models import DetectedFace
from eventface.errors import ImageError
from eventface.faces.engine import FaceEngine
from eventface.faces.images import PhotoImage

EngineFactory = Callable[[], FaceEngine]


@dataclass(frozen=True)
class PhotoAnalysis:
    faces: list[DetectedFace]
    width: int  # display orientation, full resolution
    height: int
    content_hash: str


@dataclass(frozen=True)
class AnalysisFailure:
    error: str


Outcome = PhotoAnalysis | AnalysisFailure


def analyze(engine: FaceEngine, data: bytes, max_pixels: int) -> Outcome:
    """One photo's faces, or why it cannot be used. Never raises for a bad image."""
    content_hash = hashlib.sha256(data).hexdigest()
    try:
        image = PhotoImage(data, max_pixels)
        faces = engine.find_faces(image)
    except ImageError as exc:
        return AnalysisFailure(str(exc))
    return PhotoAnalysis(faces, image.full_width, image.full_height, content_hash)


class InlineAnalyzer:
    """Analyses in the calling process: for one worker, tests, and searches.

    Jobs on several threads (a resumed indexing run and a sync, say) may share one engine; its
    native models are not thread-safe, so `lock`, shared by everyone using that engine, lets one
    photo through at a time.
    """

    def __init__(self, engine: FaceEngine, max_pixels: int, lock: threading.Lock | None = None) -> None:
        self.engine = engine
        self.max_pixels = max_pixels
        self.lock = lock or threading.Lock()

    def analyze_many(self, jobs: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, Outcome]]:
        for key, data in jobs:
            with self.lock:
                outcome = analyze(self.engine, data, self.max_pixels)
            yield key, outcome


# --- worker-process side: one engine per process, built by the initializer, models loaded on first use
_worker_engine: FaceEngine | None = None


def _init_worker(factory: EngineFactory) -> None:
    global _worker_engine  # noqa: PLW0603 - the per-process engine is the point of a worker
    _worker_engine = factory()


def _analyze_in_worker(data: bytes, max_pixels: int) -> Outcome:
    assert _worker_engine is not None, "worker started without an engine"
    return analyze(_worker_engine, data, max_pixels)


class ProcessPoolAnalyzer:
    """Analyses on `workers` processes with at most two photos in flight per worker (bounded memory).

    With `keep_warm_s`, the processes (and the models they loaded) outlive a run by that long, so
    the next run starts at once: a live event's syncs bring a photo or two every few seconds, and
    starting the processes and loading the models took longer than indexing them (issue 12).
    """

    def __init__(
        self, factory: EngineFactory, workers: int, max_pixels: int, keep_warm_s: float = 0.0
    ) -> None:
        self.factory = factory
        self.workers = workers
        self.max_pixels = max_pixels
        self.keep_warm_s = keep_warm_s
        self._warm: ProcessPoolExecutor | None = None
        self._cooling: threading.Timer | None = None
        self._warm_lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Stops the processes kept warm; a run still going stops its own when it ends."""
        with self._warm_lock:
            self._closed = True
        self._cool()

    def _take(self) -> ProcessPoolExecutor:
        with self._warm_lock:
            if self._cooling is not None:
                self._cooling.cancel()
                self._cooling = None
            pool, self._warm = self._warm, None
        return pool or self._pool()

    def _give_back(self, pool: ProcessPoolExecutor) -> None:
        with self._warm_lock:
            if self.keep_warm_s > 0 and self._warm is None and not self._closed:
                self._warm = pool
                self._cooling = threading.Timer(self.keep_warm_s, self._cool)
                self._cooling.daemon = True
                self._cooling.start()
                return
        pool.shutdown(wait=True, cancel_futures=True)  # another run's pool is kept already

    def _cool(self) -> None:
        with self._warm_lock:
            pool, self._warm = self._warm, None
            if self._cooling is not None:
                self._cooling.cancel()
                self._cooling = None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent may run threads (web server, queue) that fork would copy mid-lock
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.factory,),
        )

    def analyze_many(self, jobs: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, Outcome]]:
        """Results in completion order.

        When a worker dies (out of memory, a crash in native code) every photo in flight is a
        suspect: a fresh pool retries the suspects one at a time, so only the photo that
        crashes a worker on its own is reported failed, and the rest of the run goes on.
        """
        fresh = iter(jobs)
        suspects: list[tuple[int, bytes]] = []
        in_flight: dict[Future[Outcome], tuple[int, bytes]] = {}
        pool = self._take()
        finished = False
        try:
            while True:
                limit = 1 if suspects else 2 * self.workers
                while len(in_flight) < limit:
                    job = suspects.pop(0) if suspects else next(fresh, None)
                    if job is None:
                        break
                    in_flight[pool.submit(_analyze_in_worker, job[1], self.max_pixels)] = job
                if not in_flight:
                    finished = True
                    return
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                crashed = [f for f in done if isinstance(f.exception(), BrokenProcessPool)]
                for future in done:
                    if future not in crashed:
                        key, _data = in_flight.pop(future)
                        yield key, future.result()
                if not crashed:
                    continue
                if len(in_flight) == 1:  # it crashed alone: this photo is the cause
                    key, _data = in_flight.popitem()[1]
                    yield key, AnalysisFailure("the face-analysis worker process crashed on this photo")
                else:
                    suspects.extend(in_flight.values())
                    in_flight.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = self._pool()
        finally:
            if finished:
                self._give_back(pool)
            else:  # stopped part-way: futures may still be running
                pool.shutdown(wait=True, cancel_futures=True)
