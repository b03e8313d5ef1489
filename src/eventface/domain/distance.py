"""How far apart two face embeddings are. Lower is closer for every metric.

Metrics live in the domain because both the face engines (which choose one) and the vector
index (which applies one) need them, and those two packages must not import each other.
A metric may precompute one number per stored face (`face_terms`, e.g. squared norms) so a
search is a single pass of matrix products over the stored embeddings.
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

    def face_terms(self, faces: Matrix) -> Matrix:
        """Per-face values `distances` needs, computed once when faces are stored in an index."""
        ...

    def distances(self, queries: Matrix, faces: Matrix, terms: Matrix) -> Matrix:
        """Pairwise distances, shape (len(queries), len(faces))."""
        ...

    def pairwise(self, queries: Matrix, faces: Matrix) -> Matrix:
        """`distances` without precomputed terms."""
        ...


def _squared_norms(rows: Matrix) -> Matrix:
    norms: Matrix = np.einsum("ij,ij->i", rows, rows).astype(np.float32)
    return norms


class _Pairwise:
    def pairwise(self: Metric, queries: Matrix, faces: Matrix) -> Matrix:
        return self.distances(queries, faces, self.face_terms(faces))


@dataclass(frozen=True)
class EuclideanMetric(_Pairwise):
    """dlib's descriptor space: the original system compared faces at distance 0.5 to 0.6."""

    name: str = "euclidean"

    def face_terms(self, faces: Matrix) -> Matrix:
        return _squared_norms(faces)

    def distances(self, queries: Matrix, faces: Matrix, terms: Matrix) -> Matrix:
        # |q - f|^2 = |q|^2 + |f|^2 - 2 q.f: one matrix product instead of a broadcast cube
        sq = np.einsum("ij,ij->i", queries, queries)[:, None] + terms[None, :] - 2.0 * (queries @ faces.T)
        distances: Matrix = np.sqrt(np.maximum(sq, 0.0)).astype(np.float32, copy=False)
        return distances


@dataclass(frozen=True)
class CosineMetric(_Pairwise):
    """1 - cosine similarity, for embeddings stored L2-normalised (SFace)."""

    name: str = "cosine"

    def face_terms(self, faces: Matrix) -> Matrix:
        return np.zeros(len(faces), np.float32)

    def distances(self, queries: Matrix, faces: Matrix, terms: Matrix) -> Matrix:
        distances: Matrix = (1.0 - queries @ faces.T).astype(np.float32, copy=False)
        return distances


@dataclass(frozen=True)
class FusedMetric(_Pairwise):
    """Score-level fusion of a cosine embedding and a Euclidean one, stored side by side.

    Each part's distance is divided by its own engine's threshold, so 1.0 means "at the
    threshold" for both, and the two are averaged with `weight` on the cosine part.
    """

    split: int  # dimension of the cosine part, which comes first
    cosine_scale: float
    euclidean_scale: float
    weight: float = 0.5
    name: str = "fused"

    def face_terms(self, faces: Matrix) -> Matrix:
        return _squared_norms(faces[:, self.split :])

    def distances(self, queries: Matrix, faces: Matrix, terms: Matrix) -> Matrix:
        s, q = self.split, len(queries)
        # both parts' dot products in one pass over the stored matrix: block-diagonal queries
        blocks = np.zeros((2 * q, faces.shape[1]), np.float32)
        blocks[:q, :s] = queries[:, :s]
        blocks[q:, s:] = queries[:, s:]
        dots = blocks @ faces.T
        cosine = 1.0 - dots[:q]
        q_sq = np.einsum("ij,ij->i", queries[:, s:], queries[:, s:])
        euclidean = np.sqrt(np.maximum(q_sq[:, None] + terms[None, :] - 2.0 * dots[q:], 0.0))
        fused = (
            self.weight / self.cosine_scale * cosine + (1.0 - self.weight) / self.euclidean_scale * euclidean
        )
        distances: Matrix = fused.astype(np.float32, copy=False)
        return distances
