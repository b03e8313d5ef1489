"""OpenCV Zoo's YuNet detector and SFace embedder (Apache-2.0), run by OpenCV's DNN module.

YuNet finds faces and five landmarks; SFace embeds a 112x112 chip aligned to the ArcFace
template from those landmarks. Both are small int8 models, run on onnxruntime when it is installed
(yunet_onnx.py, sface_onnx.py: the same rows and descriptors for less CPU) and by OpenCV's DNN
module otherwise: ~0.14 s to detect in a 2000 px photo and ~20 ms per face to embed on one CPU
core (benchmarks/README.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from eventface.domain.distance import CosineMetric
from eventface.domain.models import Box, DetectedFace
from eventface.faces import onnx_sessions, sface_onnx, yunet_onnx
from eventface.faces.images import RGB, DecodedImage, PhotoImage
from eventface.faces.model_files import SFACE_FILE, YUNET_FILE, opencv_zoo_model
from eventface.faces.quality import sharpness

NMS_THRESHOLD = 0.3
TOP_K = 5000
# YuNet's activations grow with the input area: two overlapping bands keep a 2000 px photo
# under the memory budget, and find the same faces as one pass (benchmarks/README.md)
BANDS = 2
BAND_OVERLAP_PX = 200
# faces larger than the band overlap (close-up portraits, selfies) are found by a coarse pass
COARSE_SIDE_PX = 640
# below this YuNet score a detection must be confirmed by the verifier (dog faces score 0.65-0.83)
CONFIDENT_SCORE = 0.9

# a YuNet row's x (or y) coordinates: the box corner and the five landmarks
_X_COLUMNS = [0, 4, 6, 8, 10, 12]
_Y_COLUMNS = [1, 5, 7, 9, 11, 13]

Verifier = Callable[[RGB, tuple[float, float, float, float]], bool]


@dataclass(frozen=True)
class YuNetFace:
    """One YuNet detection in decoded-image pixels: the row alignCrop needs, and its box."""

    row: npt.NDArray[np.float32]  # x, y, w, h, 5 landmarks (x, y), score
    box: Box  # full-resolution display pixels
    score: float


class SFaceEngine:
    name = "sface"
    metric = CosineMetric()
    default_tolerance = (
        0.505  # 1 - cosine, calibrated on the seed-2 and seed-3 dev events (benchmarks/README.md)
    )
    expansion_tolerance: float | None = None
    people_rule: tuple[float, float, float, float, float] | None = None

    def __init__(
        self,
        *,
        detect_max_side_px: int = 2000,
        min_score: float = 0.6,
        verifier: Verifier | None = None,
        yunet_side_px: int | None = None,
    ) -> None:
        """`detect_max_side_px`: the photo is decoded this large, and faces aligned from it;
        `yunet_side_px`: YuNet looks at a copy this large (None: the decoded pixels themselves)."""
        self.detect_max_side_px = detect_max_side_px
        self.yunet_side_px = yunet_side_px or detect_max_side_px
        self.min_score = min_score
        self.verifier = verifier
        verified = "+verified" if verifier else ""
        yunet_at = f"@{self.yunet_side_px}" if self.yunet_side_px < detect_max_side_px else ""
        self.model = f"yunet-2023mar-int8bq{yunet_at}{verified}+sface-2021dec-int8bq@{detect_max_side_px}"
        self._lock = threading.Lock()
        self._detector: Any = None
        self._recognizer: Any = None

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._detector is None:
                path, sface_path = opencv_zoo_model(YUNET_FILE), opencv_zoo_model(SFACE_FILE)
                # the same detections for ~40 % of OpenCV's CPU, the same descriptors for ~2/3;
                # OpenCV runs both files when onnxruntime is absent
                if onnx_sessions.available():
                    self._detector = yunet_onnx.YuNetOnnx(path, self.min_score, NMS_THRESHOLD, TOP_K)
                    self._recognizer = sface_onnx.SFaceOnnx(sface_path)
                else:
                    self._detector = cv2.FaceDetectorYN.create(
                        str(path), "", (320, 320), self.min_score, NMS_THRESHOLD, TOP_K
                    )
                    self._recognizer = cv2.FaceRecognizerSF.create(str(sface_path), "")
            return self._detector, self._recognizer

    def _run_detector(self, bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        detector, _ = self._load()
        if isinstance(detector, yunet_onnx.YuNetOnnx):
            return detector.detect(bgr)
        height, width = bgr.shape[:2]
        with self._lock:  # a cv2 detector holds its input size: one caller at a time
            detector.setInputSize((width, height))
            _, rows = detector.detect(bgr)
        return np.zeros((0, 15), np.float32) if rows is None else rows.astype(np.float32)

    def _bands(self, bgr: npt.NDArray[np.uint8]) -> list[npt.NDArray[np.float32]]:
        height, width = bgr.shape[:2]
        long_side, vertical = max(height, width), height >= width
        band = int(np.ceil((long_side + (BANDS - 1) * BAND_OVERLAP_PX) / BANDS))
        if band >= long_side:
            return [self._run_detector(bgr)]
        found = []
        for k in range(BANDS):
            start = min(k * (band - BAND_OVERLAP_PX), long_side - band)
            part = bgr[start : start + band] if vertical else bgr[:, start : start + band]
            rows = self._run_detector(np.ascontiguousarray(part))
            rows[:, _Y_COLUMNS if vertical else _X_COLUMNS] += start
            found.append(rows)
        return found

    def _coarse(self, bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        ratio = COARSE_SIDE_PX / max(bgr.shape[:2])
        if ratio >= 1:
            return np.zeros((0, 15), np.float32)
        small = np.asarray(cv2.resize(bgr, None, fx=ratio, fy=ratio, interpolation=cv2.INTER_AREA), np.uint8)
        rows = self._run_detector(small)
        rows[:, :14] /= ratio
        return rows

    def _yunet_rows(self, rgb: RGB) -> npt.NDArray[np.float32]:
        """Every YuNet row, in `rgb`'s pixels, found on a BGR copy at most `yunet_side_px` large.

        Only that copy is made BGR (what YuNet takes): the decoded pixels stay RGB, and the
        chips aligned from them are swapped instead (112 px, not 2000).
        """
        height, width = rgb.shape[:2]
        ratio = self.yunet_side_px / max(height, width)
        size = (max(1, round(width * ratio)), max(1, round(height * ratio))) if ratio < 1 else (width, height)
        small = rgb if ratio >= 1 else cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        bgr = np.asarray(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), np.uint8)
        rows = np.concatenate([*self._bands(bgr), self._coarse(bgr)])
        if ratio < 1:
            rows[:, [*_X_COLUMNS, 2]] *= width / size[0]
            rows[:, [*_Y_COLUMNS, 3]] *= height / size[1]
        return rows

    def detect(self, decoded: DecodedImage) -> list[YuNetFace]:
        rows = self._yunet_rows(decoded.rgb)
        if len(rows) == 0:
            return []
        keep = np.asarray(cv2.dnn.NMSBoxes(rows[:, :4].tolist(), rows[:, 14].tolist(), 0.0, NMS_THRESHOLD))
        faces = []
        for row in rows[keep.reshape(-1)]:
            x, y, w, h = (float(v) for v in row[:4])
            score = float(row[14])
            if score < CONFIDENT_SCORE and self.verifier and not self.verifier(decoded.rgb, (x, y, w, h)):
                continue
            inv = 1.0 / decoded.scale
            box = Box(
                left=max(0, round(x * inv)),
                top=max(0, round(y * inv)),
                right=min(decoded.full_width, round((x + w) * inv)),
                bottom=min(decoded.full_height, round((y + h) * inv)),
            )
            faces.append(YuNetFace(row=row, box=box, score=score))
        return faces

    def chip(self, rgb: RGB, row: npt.NDArray[np.float32]) -> RGB:
        """The 112 px chip aligned on the row's landmarks: a warp, channel by channel (RGB in, RGB out)."""
        _, recognizer = self._load()
        if isinstance(recognizer, sface_onnx.SFaceOnnx):
            return sface_onnx.align_crop(rgb, row)  # OpenCV's alignCrop, without OpenCV's copy of SFace
        return np.asarray(recognizer.alignCrop(rgb, row), np.uint8)

    def embed(self, rgb: RGB, face: YuNetFace) -> tuple[npt.NDArray[np.float32], float]:
        """The L2-normalised SFace embedding and the aligned chip's sharpness."""
        _, recognizer = self._load()
        chip = self.chip(rgb, face.row)
        if isinstance(recognizer, sface_onnx.SFaceOnnx):
            feature = recognizer.feature(chip)
        else:  # OpenCV's feature() takes BGR and swaps it to RGB itself
            bgr_chip = np.ascontiguousarray(chip[:, :, ::-1])
            feature = recognizer.feature(bgr_chip).reshape(-1).astype(np.float32)
        return feature / max(float(np.linalg.norm(feature)), 1e-12), sharpness(chip)

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        decoded = image.decode(self.detect_max_side_px)
        found = []
        for face in self.detect(decoded):
            embedding, sharp = self.embed(decoded.rgb, face)
            found.append(DetectedFace(box=face.box, score=face.score, embedding=embedding, sharpness=sharp))
        return found
