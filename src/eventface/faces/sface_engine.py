"""OpenCV Zoo's YuNet detector and SFace embedder (Apache-2.0), run by OpenCV's DNN module.

YuNet finds faces and five landmarks; SFace embeds a 112x112 chip aligned to the ArcFace
template from those landmarks. Both are small int8 models: about 30 ms per photo to detect
and 20 ms per face to embed on one CPU core.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from eventface.domain.distance import CosineMetric
from eventface.domain.models import Box, DetectedFace
from eventface.faces.images import DecodedImage, PhotoImage
from eventface.faces.model_files import SFACE_FILE, YUNET_FILE, opencv_zoo_model
from eventface.faces.quality import sharpness

NMS_THRESHOLD = 0.3
TOP_K = 5000


@dataclass(frozen=True)
class YuNetFace:
    """One YuNet detection in decoded-image pixels: the raw row alignCrop needs, plus its box."""

    row: npt.NDArray[np.float32]  # x, y, w, h, 5 landmarks (x, y), score
    box: Box  # full-resolution display pixels
    score: float


class SFaceEngine:
    name = "sface"
    metric = CosineMetric()
    default_tolerance = 0.62  # 1 - cosine; calibrated on seed-2 dev events (benchmarks/README.md)

    def __init__(self, *, detect_max_side_px: int = 2000, min_score: float = 0.6, threads: int = 1) -> None:
        self.detect_max_side_px = detect_max_side_px
        self.min_score = min_score
        self.threads = threads
        self.model = f"yunet-2023mar-int8bq+sface-2021dec-int8bq@{detect_max_side_px}"
        self._lock = threading.Lock()
        self._detector: Any = None
        self._recognizer: Any = None

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._detector is None:
                cv2.setNumThreads(self.threads)
                self._detector = cv2.FaceDetectorYN.create(
                    str(opencv_zoo_model(YUNET_FILE)), "", (320, 320), self.min_score, NMS_THRESHOLD, TOP_K
                )
                self._recognizer = cv2.FaceRecognizerSF.create(str(opencv_zoo_model(SFACE_FILE)), "")
            return self._detector, self._recognizer

    def detect(self, decoded: DecodedImage) -> list[YuNetFace]:
        detector, _ = self._load()
        bgr = np.ascontiguousarray(decoded.rgb[:, :, ::-1])
        height, width = bgr.shape[:2]
        with self._lock:  # a cv2 detector holds its input size: one caller at a time
            detector.setInputSize((width, height))
            _, rows = detector.detect(bgr)
        faces = []
        for row in rows if rows is not None else []:
            x, y, w, h = (float(v) / decoded.scale for v in row[:4])
            box = Box(
                left=max(0, round(x)),
                top=max(0, round(y)),
                right=min(decoded.full_width, round(x + w)),
                bottom=min(decoded.full_height, round(y + h)),
            )
            faces.append(YuNetFace(row=row.astype(np.float32), box=box, score=float(row[14])))
        return faces

    def embed(self, decoded: DecodedImage, face: YuNetFace) -> tuple[npt.NDArray[np.float32], float]:
        """The L2-normalised SFace embedding and the chip's sharpness."""
        _, recognizer = self._load()
        bgr = np.ascontiguousarray(decoded.rgb[:, :, ::-1])
        chip = recognizer.alignCrop(bgr, face.row)
        feature = recognizer.feature(chip).reshape(-1).astype(np.float32)
        return feature / max(float(np.linalg.norm(feature)), 1e-12), sharpness(chip[:, :, ::-1])

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        decoded = image.decode(self.detect_max_side_px)
        found = []
        for face in self.detect(decoded):
            embedding, sharp = self.embed(decoded, face)
            found.append(DetectedFace(box=face.box, score=face.score, embedding=embedding, sharpness=sharp))
        return found
