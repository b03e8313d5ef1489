"""How far apart two face embeddings are. Lower is closer for every metric.

Metrics live in the domain because both the face engines (which choose one) and the vector
index (which applies one) need them, and those two packages must not import each other.
A metric may precompute a few numbers per stored face (`face_terms`: a vector, e.g. squared
norms, or one row per face) so a search is a single pass of matrix products over the stored
embeddings. `CentredFusedMetric` is an event's own fused metric in a crowd (issue 11): it
compares the embeddings as if each half had been centred on the event's mean and
re-normalised, from the stored rows, so no second copy of an event's faces is kept.
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
        """Per-face values `distances` needs, computed once when faces are stored in an index:
        one row (or one value) per face, sliced and stacked along the first axis."""
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


CENTRED_NORM_FLOOR = 1e-6  # a face at its event's mean (never seen) would have no direction


@dataclass(frozen=True)
class CentredFusedMetric(_Pairwise):
    """`base` on the embeddings moved per event (issue 11, benchmarks/README.md "Issue 11, sixth
    round"): each half minus the event's mean of it, L2-normalised again, and each half's scale
    times its `ratio` (the event's median same-photo distance after / before, so the event's own
    impostors stay where they were).

    Computed on the stored rows: for a half with mean m, (x-m).(y-m) = x.y - x.m - y.m + m.m and
    |x-m| comes from the face's own row, so `face_terms` keeps (x.m, |x-m|) per half and a search
    is still one matrix product. The means are tuples so that two metrics compare by value
    (matching/people_cache.py keeps an event's groups for one metric).
    """

    base: FusedMetric
    cosine_mean: tuple[float, ...]  # the event's mean of the cosine half
    euclidean_mean: tuple[float, ...]  # ... of the Euclidean half
    cosine_ratio: float = 1.0
    euclidean_ratio: float = 1.0
    name: str = "fused-centred"

    @property
    def split(self) -> int:
        return self.base.split

    @property
    def cosine_scale(self) -> float:
        return self.base.cosine_scale * self.cosine_ratio

    @property
    def euclidean_scale(self) -> float:
        return self.base.euclidean_scale * self.euclidean_ratio

    def face_terms(self, faces: Matrix) -> Matrix:
        """Per face: (x.m, |x-m|) of the cosine half, then of the Euclidean half."""
        return np.hstack([self._half_terms(faces, 0), self._half_terms(faces, 1)]).astype(np.float32)

    def distances(self, queries: Matrix, faces: Matrix, terms: Matrix) -> Matrix:
        s = self.split
        # one product per half, as FusedMetric does; the rest in place, in float32: within 2e-5 of
        # centring by hand near the thresholds (~1), the square root magnifying the rounding near 0
        # as FusedMetric's does (test_centred_metric.py)
        cosine, euclidean = queries[:, :s] @ faces[:, :s].T, queries[:, s:] @ faces[:, s:].T
        terms = np.asarray(terms, np.float32).reshape(len(faces), 4)
        for half in (0, 1):
            part = euclidean if half else cosine  # in place
            mean = self._mean(half)
            q_terms = self._half_terms(queries, half).astype(np.float32)
            part -= q_terms[:, :1]
            part -= terms[None, :, 2 * half]
            part += np.float32(mean @ mean)
            part /= q_terms[:, 1:]
            part /= terms[None, :, 2 * half + 1]  # now the centred rows' cosine
        w = self.base.weight
        fused = cosine
        np.subtract(1.0, fused, out=fused)
        fused *= np.float32(w / self.cosine_scale)
        np.multiply(euclidean, -2.0, out=euclidean)
        euclidean += 2.0  # unit rows: |u - v|^2 = 2 - 2 u.v
        np.maximum(euclidean, 0.0, out=euclidean)
        np.sqrt(euclidean, out=euclidean)
        fused += np.float32((1.0 - w) / self.euclidean_scale) * euclidean
        distances: Matrix = np.ascontiguousarray(fused)
        return distances

    def _mean(self, half: int) -> npt.NDArray[np.float64]:
        return np.asarray(self.euclidean_mean if half else self.cosine_mean, np.float64)

    def _half_terms(self, rows: Matrix, half: int) -> npt.NDArray[np.float64]:
        """Per row of this half: (x.m, |x-m|), the norm floored."""
        if len(rows) == 0:
            return np.zeros((0, 2))
        x = np.asarray(rows[:, self.split :] if half else rows[:, : self.split], np.float64)
        mean = self._mean(half)
        norms = np.maximum(np.linalg.norm(x - mean, axis=1), CENTRED_NORM_FLOOR)
        return np.stack([x @ mean, norms], axis=1)


@dataclass(frozen=True)
class EventCentring:
    """An event's centred metric as stored (db/centrings.py): fitted on `faces` faces of `model`,
    frozen until refitted (matching/centring.py), each refit one `version` up."""

    metric: CentredFusedMetric
    faces: int
    model: str
    version: int = 0
