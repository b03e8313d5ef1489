"""dlib's HOG (or CNN) detector, 5-point alignment and ResNet descriptor (public-domain models).

The descriptor is strong on Western faces and measurably weak on East Asian ones (see
benchmarks/README.md); the fusion engine uses it beside SFace rather than alone.
"""

from __future__ import annotations

import threading
from typing import Any

import dlib
import numpy as np
import numpy.typing as npt
from PIL import Image

from eventface.domain.distance import EuclideanMetric
from eventface.domain.models import Box, DetectedFace
from eventface.faces.dlib_onnx import CHIP_PX, DlibResNetDnn
from eventface.faces.images import RGB, DecodedImage, PhotoImage
from eventface.faces.model_files import (
    DLIB_CNN_FILE,
    DLIB_FIVE_POINT_FILE,
    DLIB_RESNET_FILE,
    dlib_model,
)

CHIP_PADDING = 0.25  # dlib's own default for compute_face_descriptor


class DlibEmbedder:
    """5-point alignment and the 128-d ResNet descriptor for given face boxes.

    dlib aligns (its shape predictor and chip extraction, exactly as `compute_face_descriptor`
    does); the ResNet runs on OpenCV, converted from the same weights (faces/dlib_onnx.py): the
    same descriptors to ~1e-6, a photo's faces in one pass, ~8x less CPU, and the GIL released.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._predictor: Any = None
        self._resnet: DlibResNetDnn | None = None

    def load(self) -> tuple[Any, DlibResNetDnn]:
        with self._lock:
            if self._resnet is None:
                self._predictor = dlib.shape_predictor(str(dlib_model(DLIB_FIVE_POINT_FILE)))
                self._resnet = DlibResNetDnn(dlib_model(DLIB_RESNET_FILE))
            return self._predictor, self._resnet

    def embed_many(self, rgb: RGB, rects: list[Any]) -> npt.NDArray[np.float32]:
        """One descriptor per rectangle (a row each), all of a photo's faces in one batch."""
        predictor, resnet = self.load()
        chips = [dlib.get_face_chip(rgb, predictor(rgb, rect), CHIP_PX, CHIP_PADDING) for rect in rects]
        return resnet.descriptors(chips)

    def embed(self, rgb: RGB, rect: Any) -> npt.NDArray[np.float32]:
        vector: npt.NDArray[np.float32] = self.embed_many(rgb, [rect])[0]
        return vector


class DlibFaceEngine:
    name = "dlib"
    metric = EuclideanMetric()
    # calibrated on the Western seed-2 and seed-3 dev events: no threshold serves East Asian faces
    # (at 0.385, the loosest that keeps their precision, Western recall is 0.29; benchmarks/README.md)
    default_tolerance = 0.6175
    expansion_tolerance: float | None = None
    people_rule: tuple[float, float, float, float, float] | None = None

    def __init__(
        self,
        *,
        detect_max_side_px: int = 2000,
        upsample: int = 1,
        detector: str = "hog",
        min_score: float = 0.0,
    ) -> None:
        self.detect_max_side_px = detect_max_side_px
        self.upsample = upsample
        self.detector_kind = detector
        self.min_score = min_score
        self.model = f"dlib-{detector}-up{upsample}+resnet-v1@{detect_max_side_px}"
        self._embedder = DlibEmbedder()
        self._lock = threading.Lock()
        self._detector: Any = None

    def _load(self) -> Any:
        with self._lock:
            if self._detector is None:
                if self.detector_kind == "cnn":
                    self._detector = dlib.cnn_face_detection_model_v1(str(dlib_model(DLIB_CNN_FILE)))
                else:
                    self._detector = dlib.get_frontal_face_detector()
            return self._detector

    def _detect(self, decoded: DecodedImage) -> list[tuple[Any, float]]:
        detector = self._load()
        if self.detector_kind == "cnn":
            return [(d.rect, float(d.confidence)) for d in detector(decoded.rgb, self.upsample)]
        rects, scores, _ = detector.run(decoded.rgb, self.upsample, -0.5)
        return [(r, float(s)) for r, s in zip(rects, scores, strict=True)]

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        decoded = image.decode(self.detect_max_side_px)
        kept = [(rect, score) for rect, score in self._detect(decoded) if score >= self.min_score]
        embeddings = self._embedder.embed_many(decoded.rgb, [rect for rect, _ in kept])
        found = []
        for (rect, score), embedding in zip(kept, embeddings, strict=True):
            inv = 1.0 / decoded.scale
            box = Box(
                left=max(0, round(rect.left() * inv)),
                top=max(0, round(rect.top() * inv)),
                right=min(decoded.full_width, round(rect.right() * inv)),
                bottom=min(decoded.full_height, round(rect.bottom() * inv)),
            )
            found.append(DetectedFace(box=box, score=score, embedding=embedding, sharpness=0.0))
        return found


# dlib's predictors were trained on HOG's square boxes; a YuNet box maps onto one like this
# (fitted on the dev face set: side 1.08 x YuNet's width, centred 0.56 of the way down)
YUNET_TO_DLIB_SIDE = 1.08
YUNET_TO_DLIB_CENTRE_Y = 0.56
VERIFY_CONTEXT = 2.2  # crop this many face widths around the box
VERIFY_FACE_PX = 160  # and scale the crop so HOG (80 px window, upsampled once) sees the face well


def dlib_rect_for_yunet(x: float, y: float, w: float, h: float) -> Any:
    side = YUNET_TO_DLIB_SIDE * w
    cx, cy = x + w / 2, y + YUNET_TO_DLIB_CENTRE_Y * h
    return dlib.rectangle(
        round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2)
    )


class HogVerifier:
    """A second opinion on an unsure detection: does dlib's HOG see a face there too?

    YuNet scores some animal faces 0.65-0.83; HOG, trained on human faces only, rejects them
    and confirmed every true face YuNet was unsure of on the dev events (benchmarks/README.md).
    """

    def __init__(self) -> None:
        self._detector: Any = None

    def __call__(self, rgb: RGB, box: tuple[float, float, float, float]) -> bool:
        if self._detector is None:
            self._detector = dlib.get_frontal_face_detector()
        x, y, w, h = box
        side = max(w, h) * VERIFY_CONTEXT
        cx, cy = x + w / 2, y + h / 2
        left, top = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
        crop = Image.fromarray(rgb[top : int(cy + side / 2), left : int(cx + side / 2)])
        ratio = VERIFY_FACE_PX / side
        crop = crop.resize((max(1, round(crop.width * ratio)), max(1, round(crop.height * ratio))))
        rects, _, _ = self._detector.run(np.asarray(crop), 1, -0.3)
        return len(rects) > 0
