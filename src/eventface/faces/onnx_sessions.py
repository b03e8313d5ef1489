"""onnxruntime sessions for the face models, one setting for the whole process: how many threads.

onnxruntime is optional: without it OpenCV's DNN module runs the same files (YuNet, SFace), a
little slower, with the same results.
"""

from __future__ import annotations

import contextlib
import ctypes
from typing import Any

# threads per session: indexing workers (one per core) set 1, as they do OpenCV's
_intra_op_threads = 0  # onnxruntime's default: one per core


def set_intra_op_threads(threads: int) -> None:
    """Threads for sessions created from now on (0: onnxruntime's default)."""
    global _intra_op_threads  # noqa: PLW0603 - a process-wide setting, like cv2.setNumThreads
    _intra_op_threads = threads


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401, PLC0415 - optional: OpenCV runs the models without it
    except ImportError:
        return False
    return True


def cpu_session(model: bytes, *, one_shape: bool) -> Any:
    """A CPU session of the ONNX `model`; `one_shape`: every run has the same input shape, so
    onnxruntime may plan its memory once (a detector's bands of every size may not)."""
    import onnxruntime as ort  # noqa: PLC0415 - optional dependency, imported where used

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if _intra_op_threads:
        options.intra_op_num_threads = _intra_op_threads
    options.inter_op_num_threads = 1
    options.enable_mem_pattern = one_shape
    options.log_severity_level = 3  # the files' unused shape initializers are warned about
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    del model
    _release_freed_memory()
    return session


def _release_freed_memory() -> None:
    """Hands the heap pages freed since back to the system (glibc's malloc_trim).

    Rewriting SFace's weights goes through ~150 MB of short-lived arrays that glibc keeps for
    reuse; an indexing worker would carry them to its peak (issue 15's 450 MB budget: 66 MB
    less resident after loading, measured). Elsewhere than glibc this does nothing.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
