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
        # One product per part, each over its own half of the stored matrix, and the arithmetic in
        # place: a guest's search with query expansion asks for ~65 rows at once, where one product
        # of block-diagonal queries did twice the multiplications (half of them by zeros) and the
        # temporaries cost as much again (30 000 faces x 65 queries: 23.8 -> 12.6 ms on one core).
        s = self.split
        cosine_queries, euclidean_queries = queries[:, :s], queries[:, s:]
        euclidean = euclidean_queries @ faces[:, s:].T
        euclidean *= -2.0
        euclidean += terms[None, :]
        euclidean += np.einsum("ij,ij->i", euclidean_queries, euclidean_queries)[:, None]
        np.maximum(euclidean, 0.0, out=euclidean)
        np.sqrt(euclidean, out=euclidean)
        euclidean *= (1.0 - self.weight) / self.euclidean_scale
        fused = cosine_queries @ faces[:, :s].T  # cosine similarity, then 1 - it, scaled
        fused *= -self.weight / self.cosine_scale
        fused += self.weight / self.cosine_scale
        fused += euclidean
        distances: Matrix = fused.astype(np.float32, copy=False)
        return distances
