"""Stopping mid-index (issue 13), with real spawned worker processes running fake engines.

A stopping run kills its workers and starts no other; workers ignore the signals a terminal or
systemd sends to the whole process group (the parent decides); a SIGKILLed parent takes its
workers and multiprocessing's resource tracker with it; a run stopped by a shutdown is resumed.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from eventface.domain.models import TaskStatus
from eventface.faces.pool import INDEXING_NICENESS, AnalysisFailure, InlineAnalyzer, ProcessPoolAnalyzer
from eventface.processes import ShuttingDown
from eventface.runtime import Runtime, build_runtime
from eventface.services import ingest
from eventface.services.ingest import EngineInfo
from eventface.settings import Settings
from eventface.sources.local_folder import LocalFolderSource
from tests.fakes.face_engine import ColourSquareEngine, SlowEngine
from tests.fakes.photos import jpeg_with_squares
from tests.harness.processes import alive_in, wait_until_none_left
from tests.integration.fake_indexing import build_with_fake_engine, create_event, photo_states

MAX_PIXELS = 10**8
ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 30  # for spawning workers on a busy machine; a stop itself must take under STOP_S
STOP_S = 3


def jobs(count: int = 6) -> list[tuple[int, bytes]]:
    return [(k, jpeg_with_squares([("red", (10 + k, 10), 40)])) for k in range(1, count + 1)]


def wait_until(what: str, condition: Callable[[], bool], deadline_s: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {deadline_s} s waiting for {what}")
        time.sleep(0.05)


def started_pids(started_dir: Path) -> set[int]:
    """The worker processes that have started on a photo (SlowEngine leaves a file each)."""
    return {int(p.name) for p in started_dir.iterdir()}


def pool_workers() -> list[psutil.Process]:
    """This process's spawned pool workers (its resource tracker, which lives as long as it does, aside)."""
    return [c for c in psutil.Process().children() if "spawn_main" in " ".join(c.cmdline())]


class RunInThread:
    """`analyze_many` consumed on its own thread, as a job runs it; keeps what it returned or raised."""

    def __init__(self, analyzer: ProcessPoolAnalyzer, work: list[tuple[int, bytes]]) -> None:
        self.results: list[tuple[int, Any]] = []
        self.raised: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(analyzer, work))
        self.thread.start()

    def _run(self, analyzer: ProcessPoolAnalyzer, work: list[tuple[int, bytes]]) -> None:
        try:
            self.results.extend(analyzer.analyze_many(work))
        except BaseException as exc:  # the test looks at what it was
            self.raised = exc

    def join(self, deadline_s: float) -> None:
        self.thread.join(deadline_s)
        assert not self.thread.is_alive(), f"the run did not end within {deadline_s} s"


def test_a_stopping_run_kills_its_busy_workers_at_once_and_starts_no_other(tmp_path: Path) -> None:
    stopping = threading.Event()
    engine = functools.partial(SlowEngine, "fake", 600.0, str(tmp_path))  # photos that never finish
    run = RunInThread(ProcessPoolAnalyzer(engine, 2, MAX_PIXELS, stopping=stopping), jobs())
    wait_until("both workers busy with a photo", lambda: len(started_pids(tmp_path)) == 2)
    busy = started_pids(tmp_path)

    stopped_at = time.monotonic()
    stopping.set()
    run.join(STOP_S)

    assert time.monotonic() - stopped_at < STOP_S
    assert isinstance(run.raised, ShuttingDown), run.raised
    assert run.results == []
    assert not any(psutil.pid_exists(pid) for pid in busy)
    assert pool_workers() == []  # and none was started after the stop
    assert started_pids(tmp_path) == busy


def test_a_stop_during_a_run_on_processes_kept_warm_ends_them_too(tmp_path: Path) -> None:
    stopping = threading.Event()
    engine = functools.partial(SlowEngine, "fake", 0.2, str(tmp_path))
    pool = ProcessPoolAnalyzer(engine, 2, MAX_PIXELS, keep_warm_s=60, stopping=stopping)
    try:
        assert len(list(pool.analyze_many(jobs(2)))) == 2
        warm = {p.pid for p in pool_workers()}
        for started in tmp_path.iterdir():
            started.unlink()
        run = RunInThread(pool, jobs(40))  # the next sync's run takes the warm processes
        wait_until("the warm workers busy again", lambda: len(started_pids(tmp_path)) == 2)

        stopping.set()
        run.join(STOP_S)
    finally:
        pool.close()

    assert isinstance(run.raised, ShuttingDown), run.raised
    assert len(warm) == 2 and started_pids(tmp_path) == warm
    assert pool_workers() == []


def test_workers_ignore_the_groups_stop_signals_and_run_niced(tmp_path: Path) -> None:
    # Ctrl+C and systemd signal the whole process group; a worker that died of it looked like a
    # crash, and the pool started new workers while the server was shutting down
    engine = functools.partial(SlowEngine, "fake", 0.5, str(tmp_path))
    run = RunInThread(ProcessPoolAnalyzer(engine, 2, MAX_PIXELS), jobs())
    wait_until("both workers busy with a photo", lambda: len(started_pids(tmp_path)) == 2)
    workers = started_pids(tmp_path)
    niceness = {psutil.Process(pid).nice() for pid in workers}
    for pid in workers:
        os.kill(pid, signal.SIGINT)
        os.kill(pid, signal.SIGTERM)

    run.join(DEADLINE_S)

    assert run.raised is None
    assert sorted(key for key, _ in run.results) == [1, 2, 3, 4, 5, 6]
    assert not [o for _, o in run.results if isinstance(o, AnalysisFailure)]
    assert started_pids(tmp_path) == workers  # the same two did every photo: no new pool
    assert niceness == {min(19, os.nice(0) + INDEXING_NICENESS)}


SIGKILLED_PARENT = """
import functools, sys
from eventface.faces.pool import ProcessPoolAnalyzer
from tests.fakes.face_engine import SlowEngine
from tests.integration.test_stop import MAX_PIXELS, jobs

engine = functools.partial(SlowEngine, "fake", 600.0, sys.argv[1])
for _ in ProcessPoolAnalyzer(engine, 2, MAX_PIXELS).analyze_many(jobs()):
    pass
"""


def test_workers_and_the_resource_tracker_die_with_a_sigkilled_parent(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", SIGKILLED_PARENT, str(tmp_path)], cwd=ROOT, start_new_session=True
    )
    try:
        wait_until("both workers busy with a photo", lambda: len(started_pids(tmp_path)) == 2)
        before = alive_in(parent.pid)
        # the parent, its two workers, and the resource tracker multiprocessing started
        assert len(before) == 4, "\n".join(map(str, before))
        assert any("resource_tracker" in p.command for p in before), "\n".join(map(str, before))

        parent.kill()  # no shutdown code runs
        parent.wait(DEADLINE_S)

        wait_until_none_left(parent.pid, STOP_S, "after the parent was SIGKILLed")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = build_with_fake_engine(settings)
    yield runtime
    runtime.close()


def test_a_run_stopped_by_a_shutdown_is_left_to_resume_and_indexes_each_photo_once(
    rt: Runtime, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for k in range(5):
        (folder / f"{k}.jpg").write_bytes(jpeg_with_squares([("red", (10 + k, 10), 40)]))
    event = create_event(rt, folder)
    engine = ColourSquareEngine()
    stopping = threading.Event()
    with rt.transactions() as uow:
        stopped_task = ingest.create_task(uow, str(event.id)).task_id

    def stop_after_two(done: int, total: int, failed: int, faces: int) -> None:
        if done == 2:
            stopping.set()  # what closing the runtime at shutdown does

    with pytest.raises(ShuttingDown):
        ingest.run_indexing(
            rt.transactions,
            stopped_task,
            LocalFolderSource(folder),
            InlineAnalyzer(engine, MAX_PIXELS, stopping=stopping),
            EngineInfo(engine.name, engine.model),
            on_progress=stop_after_two,
        )

    with rt.transactions() as uow:
        assert uow.tasks.get(stopped_task).status is TaskStatus.RUNNING  # resumed at the next start
        assert [t.task_id for t in uow.tasks.unfinished()] == [stopped_task]
    assert sorted(s.status for s in photo_states(rt, event).values()) == ["indexed"] * 2 + ["pending"] * 3

    with rt.transactions() as uow:
        resumed = ingest.create_task(uow, str(event.id)).task_id
    report = ingest.run_indexing(
        rt.transactions,
        resumed,
        LocalFolderSource(folder),
        InlineAnalyzer(engine, MAX_PIXELS),
        EngineInfo(engine.name, engine.model),
    )

    assert report.indexed == 3
    assert engine.photos_seen == 5  # each photo analysed once over both runs
    assert [s.status for s in photo_states(rt, event).values()] == ["indexed"] * 5
    with rt.transactions() as uow:
        assert uow.tasks.get(stopped_task).status is TaskStatus.INTERRUPTED
        assert uow.tasks.get(resumed).status is TaskStatus.DONE


def test_indexing_runs_in_niced_worker_processes_unless_one_in_process_is_asked_for(
    settings: Settings,
) -> None:
    automatic = build_runtime(settings.model_copy(update={"workers": 0}))
    in_process = build_with_fake_engine(settings.model_copy(update={"workers": 1}))
    try:
        pool = automatic.analyzer("fusion")  # builds no engine here: the workers do
        inline = in_process.analyzer("fake")
    finally:
        automatic.close()
        in_process.close()

    assert isinstance(pool, ProcessPoolAnalyzer)
    assert pool.workers == (os.cpu_count() or 1) and pool.niceness == INDEXING_NICENESS
    assert pool.stopping is automatic.stopping and pool.stopping.is_set()  # closing the runtime stops it
    assert isinstance(inline, InlineAnalyzer)
