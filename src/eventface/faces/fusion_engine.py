"""YuNet detection with both embedders, SFace and dlib's ResNet, fused at the score level.

The two descriptors make different mistakes: dlib's is the stronger on Western faces and
confuses East Asian ones, SFace the reverse (benchmarks/README.md). A face row stores the two
embeddings side by side; `FusedMetric` compares each part in its own space, scaled by its
own threshold, and averages.
"""

from __future__ import annotations

import numpy as np

from eventface.domain.distance import FusedMetric
from eventface.domain.models import DetectedFace
from eventface.faces.dlib_engine import DlibEmbedder
from eventface.faces.images import PhotoImage
from eventface.faces.sface_engine import SFaceEngine

SFACE_DIM = 128
# each engine's distance at which its part counts as 1.0 (its calibrated threshold)
SFACE_SCALE = 0.62
DLIB_SCALE = 0.55


class FusionFaceEngine:
    name = "fusion"
    metric = FusedMetric(split=SFACE_DIM, cosine_scale=SFACE_SCALE, euclidean_scale=DLIB_SCALE, weight=0.5)
    default_tolerance = 1.0

    def __init__(self, *, detect_max_side_px: int = 2000, min_score: float = 0.6) -> None:
        self._sface = SFaceEngine(detect_max_side_px=detect_max_side_px, min_score=min_score)
        self._dlib = DlibEmbedder()
        self.model = f"{self._sface.model}+dlib-resnet-v1"

    def find_faces(self, image: PhotoImage) -> list[DetectedFace]:
        decoded = image.decode(self._sface.detect_max_side_px)
        found = []
        for face in self._sface.detect(decoded):
            sface, sharp = self._sface.embed(decoded, face)
            x, y, w, h = (float(v) for v in face.row[:4])
            dlib_vec = self._dlib.embed(decoded.rgb, self._dlib.rect(x, y, x + w, y + h))
            embedding = np.concatenate([sface, dlib_vec]).astype(np.float32)
            found.append(DetectedFace(box=face.box, score=face.score, embedding=embedding, sharpness=sharp))
        return found
