"""Face quality measures that do not depend on an engine, and what a selfie needs to be searched."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


def sharpness(chip_rgb: npt.NDArray[np.uint8]) -> float:
    """Variance of the Laplacian of the grey chip: a cheap, well-known blur measure (higher is sharper)."""
    grey = chip_rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    lap = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4.0 * grey[1:-1, 1:-1]
    return float(lap.var()) if lap.size else 0.0


@dataclass(frozen=True)
class SelfieCheck:
    """The least a selfie's face must have to be matched like a good one (issue 11).

    A smaller or softer face matches almost anyone in a crowd, so such a selfie is not searched
    with: the guest is told what to change instead (benchmarks/README.md, "Selfie quality").
    """

    min_face_px: float  # the face box's height in the selfie as uploaded
    min_sharpness: float = 0.0  # the aligned chip's variance of the Laplacian; 0: not checked

    def fault(self, face_px: float, face_sharpness: float) -> str | None:
        """None for a usable face, else what is wrong with it: "face_too_small" | "face_blurry"."""
        if face_px < self.min_face_px:
            return "face_too_small"
        if face_sharpness < self.min_sharpness:
            return "face_blurry"
        return None
