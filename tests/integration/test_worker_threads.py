"""An `eventface worker` process that analyses photos itself (EVENTFACE_WORKERS=1) is one core's worth:
its face models run on one thread each, so two worker processes on two cores do not fight over
them (issue 15: 2 workers >= 1.8x one; benchmarks/README.md "Scale-out")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")

# in a child process: OpenCV's and onnxruntime's thread settings are process-wide
LOADS_THE_WORKERS_MODELS = """
import json, sys
from pathlib import Path
import cv2
from eventface.cli.worker import analyses_here
from eventface.runtime import build_runtime
from eventface.settings import Settings

settings = Settings(data_dir=Path(sys.argv[1]), workers=int(sys.argv[2]), face_engine="sface")
default_opencv = cv2.getNumThreads()
pinned = analyses_here(settings)
rt = build_runtime(settings)
detector, _ = rt.face_engine("sface")._engine._load()  # what an indexing job here loads
options = detector._session.get_session_options()
print(json.dumps([pinned, cv2.getNumThreads(), default_opencv, options.intra_op_num_threads]))
rt.close()
"""


def _threads(tmp_path: Path, workers: int) -> tuple[bool, int, int, int]:
    out = subprocess.run(
        [sys.executable, "-c", LOADS_THE_WORKERS_MODELS, str(tmp_path / f"data{workers}"), str(workers)],
        capture_output=True,
        text=True,
        check=True,
    )
    pinned, opencv, default_opencv, onnxruntime = json.loads(out.stdout.strip().splitlines()[-1])
    return pinned, opencv, default_opencv, onnxruntime


def test_a_worker_that_analyses_in_process_runs_its_models_on_one_thread_each(tmp_path: Path) -> None:
    pinned, opencv, _, onnxruntime = _threads(tmp_path, workers=1)

    assert (pinned, opencv, onnxruntime) == (True, 1, 1)


def test_a_worker_with_a_pool_leaves_its_own_threads_alone(tmp_path: Path) -> None:
    # the pool's processes pin themselves (faces/pool.py); the worker process itself analyses nothing
    pinned, opencv, default_opencv, onnxruntime = _threads(tmp_path, workers=2)

    assert (pinned, opencv, onnxruntime) == (False, default_opencv, 0)
