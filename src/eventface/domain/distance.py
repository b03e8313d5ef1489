"""How far apart two face embeddings are. Lower is closer for every metric.

Metrics live in the domain because both the face engines (which choose one) and the vector
index (which applies one) need them, and those two packages must not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]


class Metric(Protocol):
    @property
    def name(self) -> str: ...

    def distances(self, queries: Matrix, faces: Matrix) -> Matrix:
        """Pairwise distances, shape (len(queries), len(faces))."""
        ...


@dataclass(frozen=True)
class EuclideanMetric:
    """dlib's descriptor space: the original system compared faces at distance 0.5 to 0.6."""

    name: str = "euclidean"

    def distances(self, queries: Matrix, faces: Matrix) -> Matrix:
        # |q - f|^2 = |q|^2 + |f|^2 - 2 q.f, one matrix product instead of a broadcast cube
        sq = (queries * queries).sum(1)[:, None] + (faces * faces).sum(1)[None, :] - 2.0 * (queries @ faces.T)
        distances: Matrix = np.sqrt(np.maximum(sq, 0.0)).astype(np.float32, copy=False)
        return distances


@dataclass(frozen=True)
class CosineMetric:
    """1 - cosine similarity, for embeddings stored L2-normalised (SFace)."""

    name: str = "cosine"

    def distances(self, queries: Matrix, faces: Matrix) -> Matrix:
        return (1.0 - queries @ faces.T).astype(np.float32, copy=False)


@dataclass(frozen=True)
class FusedMetric:
    """Score-level fusion of two engines whose embeddings are stored side by side.

    Each part's distance is divided by that engine's own threshold, so 1.0 means "at the
    threshold" in both, and the two are averaged with `weight` on the first part.
    """

    split: int  # the first part's dimension
    first: Metric
    first_scale: float
    second: Metric
    second_scale: float
    weight: float = 0.5
    name: str = "fused"

    def distances(self, queries: Matrix, faces: Matrix) -> Matrix:
        s = self.split
        a = self.first.distances(queries[:, :s], faces[:, :s]) / self.first_scale
        b = self.second.distances(queries[:, s:], faces[:, s:]) / self.second_scale
        return (self.weight * a + (1.0 - self.weight) * b).astype(np.float32, copy=False)
