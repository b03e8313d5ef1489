"""Face quality measures that do not depend on an engine."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def sharpness(chip_rgb: npt.NDArray[np.uint8]) -> float:
    """Variance of the Laplacian of the grey chip: a cheap, well-known blur measure (higher is sharper)."""
    grey = chip_rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    lap = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4.0 * grey[1:-1, 1:-1]
    return float(lap.var()) if lap.size else 0.0
