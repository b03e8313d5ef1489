"""ProcessPoolAnalyzer: real spawned worker processes running the fake engine."""

from __future__ import annotations

import functools
import multiprocessing
import threading
from collections.abc import Callable
from pathlib import Path

from eventface.domain.models import DetectedFace
from eventface.faces.images import PhotoImage
from eventface.faces.pool import AnalysisFailure, InlineAnalyzer, PhotoAnalysis, ProcessPoolAnalyzer
from eventface.runtime import build_runtime
from eventface.settings import Settings
from tests.fakes.face_engine import ColourSquareEngine, CrashingEngine, SlowEngine
from tests.fakes.photos import jpeg_with_squares

MAX_PIXELS = 10**8


def jobs() -> list[tuple[int, bytes]]:
    return [
        (1, jpeg_with_squares([("red", (10, 10), 40)])),
        (2, jpeg_with_squares([("green", (10, 10), 40), ("blue", (100, 100), 50)])),
        (3, b"not a photo"),
        (4, jpeg_with_squares([])),
        (5, jpeg_with_squares([("cyan", (200, 50), 30)])),
    ]


def summary(outcome: PhotoAnalysis | AnalysisFailure) -> object:
    if isinstance(outcome, AnalysisFailure):
        return outcome.error
    return [(f.box, f.embedding.tolist()) for f in outcome.faces], outcome.content_hash


def test_worker_processes_give_the_same_outcomes_as_inline_analysis() -> None:
    pool = ProcessPoolAnalyzer(
        functools.partial(ColourSquareEngine, "fake"), workers=2, max_pixels=MAX_PIXELS
    )

    in_workers = dict(pool.analyze_many(jobs()))
    inline = dict(InlineAnalyzer(ColourSquareEngine("fake"), MAX_PIXELS).analyze_many(jobs()))

    assert sorted(in_workers) == [1, 2, 3, 4, 5]
    assert {k: summary(v) for k, v in in_workers.items()} == {k: summary(v) for k, v in inline.items()}
    assert isinstance(in_workers[3], AnalysisFailure)
    assert [len(in_workers[k].faces) for k in (1, 2, 4, 5)] == [1, 2, 0, 1]  # type: ignore[union-attr]


def test_a_crashed_worker_fails_its_photo_and_a_fresh_pool_carries_on() -> None:
    pool = ProcessPoolAnalyzer(functools.partial(CrashingEngine, "fake"), workers=1, max_pixels=MAX_PIXELS)
    work = jobs()
    work.insert(1, (99, jpeg_with_squares([("magenta", (10, 10), 40)])))

    outcomes = list(pool.analyze_many(work))

    keys = [key for key, _ in outcomes]
    assert sorted(keys) == [1, 2, 3, 4, 5, 99]  # every photo reported exactly once
    by_key = dict(outcomes)
    crashed = by_key[99]
    assert isinstance(crashed, AnalysisFailure)
    assert "worker process crashed" in crashed.error
    # photos submitted after the crash were analysed by a new worker
    assert isinstance(by_key[4], PhotoAnalysis) and isinstance(by_key[5], PhotoAnalysis)
    assert len(by_key[5].faces) == 1


def test_photos_in_flight_beside_a_crashing_one_are_retried_not_failed() -> None:
    pool = ProcessPoolAnalyzer(functools.partial(CrashingEngine, "fake"), workers=2, max_pixels=MAX_PIXELS)
    work = jobs()
    # four photos are in flight at once with two workers: the crash takes the others down with it
    work.insert(0, (99, jpeg_with_squares([("magenta", (10, 10), 40)])))

    by_key = dict(pool.analyze_many(work))

    assert isinstance(by_key[99], AnalysisFailure)
    assert "crashed on this photo" in by_key[99].error
    assert all(isinstance(by_key[k], PhotoAnalysis) for k in (1, 2, 4, 5))


class OverlapProbe(ColourSquareEngine):
    """Records how many threads are inside `find_faces` at once; a first caller waits (up to a
    deadline) for a second one to come in, which only an unguarded engine lets happen."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.most_inside = 0
        self.changed = threading.Condition()

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        with self.changed:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.changed.notify_all()
            self.changed.wait_for(lambda: self.inside >= 2, timeout=1.0)
        try:
            return super().find_faces(image)
        finally:
            with self.changed:
                self.inside -= 1
                self.changed.notify_all()


def test_jobs_on_two_threads_take_turns_on_the_runtimes_engine(settings: Settings) -> None:
    # a resumed indexing run and a sync run on two worker threads of one runtime: the native
    # models behind an engine crash (SIGSEGV) when two threads use them at once
    rt = build_runtime(settings.model_copy(update={"workers": 1}))
    probe = OverlapProbe()
    rt._engines[probe.name] = probe  # the composition root's cache, filled by the test
    photo = jpeg_with_squares([("red", (10, 10), 40)])
    try:
        threads = [
            threading.Thread(target=lambda: list(rt.analyzer(probe.name).analyze_many([(1, photo)])))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        rt.close()

    assert probe.photos_seen == 2
    assert probe.most_inside == 1


def test_kept_warm_the_same_processes_run_the_next_batch_until_closed() -> None:
    pool = ProcessPoolAnalyzer(
        functools.partial(ColourSquareEngine, "fake"), workers=2, max_pixels=MAX_PIXELS, keep_warm_s=60
    )
    try:
        assert len(list(pool.analyze_many(jobs()))) == 5
        first = {p.pid for p in multiprocessing.active_children()}
        assert len(list(pool.analyze_many(jobs()))) == 5

        assert first and {p.pid for p in multiprocessing.active_children()} == first
    finally:
        pool.close()
    assert not multiprocessing.active_children()


def test_without_keep_warm_the_processes_end_with_the_batch() -> None:
    pool = ProcessPoolAnalyzer(
        functools.partial(ColourSquareEngine, "fake"), workers=2, max_pixels=MAX_PIXELS
    )

    assert len(list(pool.analyze_many(jobs()))) == 5

    assert not multiprocessing.active_children()


def _side_by_side(*runs: Callable[[], object]) -> None:
    threads = [threading.Thread(target=run) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)


def test_runs_on_two_threads_share_one_set_of_processes(tmp_path: Path) -> None:
    # an indexing run and a sync beside it: one process (and one copy of the models) per worker,
    # not one set per run (issue 15: a worker process's memory and cores' worth are bounded)
    engine = functools.partial(SlowEngine, "fake", seconds=0.3, started_dir=str(tmp_path))
    pool = ProcessPoolAnalyzer(engine, workers=1, max_pixels=MAX_PIXELS)
    results: dict[str, list[int]] = {}

    def run(name: str) -> None:
        results[name] = [key for key, _ in pool.analyze_many(jobs()[:3])]

    _side_by_side(lambda: run("a"), lambda: run("b"))

    assert sorted(results["a"]) == sorted(results["b"]) == [1, 2, 3]
    assert len(list(tmp_path.iterdir())) == 1  # one worker process analysed all six photos
    assert not multiprocessing.active_children()


def test_a_crash_fails_only_its_own_photo_in_the_runs_sharing_the_processes() -> None:
    pool = ProcessPoolAnalyzer(functools.partial(CrashingEngine, "fake"), workers=1, max_pixels=MAX_PIXELS)
    crashing = [(99, jpeg_with_squares([("magenta", (10, 10), 40)])), *jobs()]
    outcomes: dict[str, dict[int, PhotoAnalysis | AnalysisFailure]] = {}

    def run(name: str, work: list[tuple[int, bytes]]) -> None:
        outcomes[name] = dict(pool.analyze_many(work))

    _side_by_side(lambda: run("crashing", crashing), lambda: run("other", jobs()))

    assert sorted(outcomes["crashing"]) == [1, 2, 3, 4, 5, 99]
    assert isinstance(outcomes["crashing"][99], AnalysisFailure)
    assert "crashed on this photo" in outcomes["crashing"][99].error
    for run_outcomes in outcomes.values():  # photo 3 is not a photo: its failure is its own
        assert all(isinstance(run_outcomes[k], PhotoAnalysis) for k in (1, 2, 4, 5))
    assert not multiprocessing.active_children()


def test_a_run_goes_on_when_another_run_replaced_the_shared_processes() -> None:
    # another run saw a crash and replaced the processes under this one: its photos in flight are
    # lost with them and checked again, and its next photos go to the new processes
    pool = ProcessPoolAnalyzer(
        functools.partial(ColourSquareEngine, "fake"), workers=1, max_pixels=MAX_PIXELS
    )
    run = pool.analyze_many(jobs())
    first = next(run)
    shared = pool._shared
    assert shared is not None

    pool._replace(shared)  # what the run that saw the crash does
    outcomes = dict([first, *run])

    assert sorted(outcomes) == [1, 2, 3, 4, 5]
    assert all(isinstance(outcomes[k], PhotoAnalysis) for k in (1, 2, 4, 5))
    assert not multiprocessing.active_children()
