"""`eventface worker` analyses photos in processes of its own, even with EVENTFACE_WORKERS=1 (then
one), each running its face models on one thread: one core's worth per worker process, so two
worker processes on two cores do not fight over them, and the models' memory apart from the
worker's queue and database libraries (issue 15: 2 workers >= 1.8x one, 450 MB per indexing
process; benchmarks/README.md "Scale-out")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eventface.cli.worker import _register
from eventface.faces.pool import InlineAnalyzer, PhotoAnalysis, ProcessPoolAnalyzer
from eventface.jobs.queue import make_huey
from eventface.jobs.tasks import Tasks, register_tasks
from eventface.settings import Settings
from tests.fakes.face_engine import ThreadsProbeEngine
from tests.fakes.photos import jpeg_with_squares

pytest.importorskip("cv2")


def _worker_tasks(tmp_path: Path, workers: int) -> Tasks:
    settings = Settings(data_dir=tmp_path / f"data{workers}", workers=workers, face_engine="sface")
    return _register(make_huey(settings), settings)


@pytest.mark.parametrize(("workers", "processes"), [(1, 1), (2, 2), (0, os.cpu_count() or 1)])
def test_the_worker_command_analyses_in_processes_of_its_own(
    tmp_path: Path, workers: int, processes: int
) -> None:
    tasks = _worker_tasks(tmp_path, workers)
    try:
        analyzer = tasks.runtime.analyzer("sface")

        assert isinstance(analyzer, ProcessPoolAnalyzer)
        assert analyzer.workers == processes
    finally:
        tasks.runtime.close()


def test_the_web_servers_own_worker_analyses_in_its_process_with_one_worker(tmp_path: Path) -> None:
    # no extra process or copy of the models on a small machine (README: EVENTFACE_WORKERS=1)
    settings = Settings(data_dir=tmp_path / "data", workers=1, face_engine="sface")
    tasks = register_tasks(make_huey(settings), settings)
    try:
        assert isinstance(tasks.runtime.analyzer("sface"), InlineAnalyzer)
    finally:
        tasks.runtime.close()


def test_analysis_processes_run_their_models_on_one_thread_each() -> None:
    pool = ProcessPoolAnalyzer(ThreadsProbeEngine, workers=1, max_pixels=10**8)

    ((_, outcome),) = pool.analyze_many([(1, jpeg_with_squares([("red", (10, 10), 40)]))])

    assert isinstance(outcome, PhotoAnalysis)
    assert outcome.faces[0].embedding.tolist() == [1.0, 1.0]  # OpenCV's threads, onnxruntime's
