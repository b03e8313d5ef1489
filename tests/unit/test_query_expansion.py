"""Matching rules on a hand-made index: query expansion, face-size filter, stored vectors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from eventface.domain.distance import CosineMetric
from eventface.domain.models import FaceMatrix
from eventface.errors import NotFoundError
from eventface.faces.fusion_engine import FusionFaceEngine
from eventface.matching.expansion import match_faces
from eventface.matching.numpy_index import NumpyVectorIndex
from eventface.services.search import expansion_limit


def unit(degrees: float) -> list[float]:
    return [math.cos(math.radians(degrees)), math.sin(math.radians(degrees))]


def index_of(
    angles: list[float], heights: list[float] | None = None, sharpness: list[float] | None = None
) -> NumpyVectorIndex:
    """Face k is in photo 100 + k, at `angles[k]` degrees from the selfie's direction (0)."""
    n = len(angles)
    index = NumpyVectorIndex()
    index.load(
        1,
        1,
        CosineMetric(),
        FaceMatrix(
            np.arange(n, dtype=np.int64),
            np.arange(100, 100 + n, dtype=np.int64),
            np.array([unit(a) for a in angles], np.float32),
            np.array(heights or [200.0] * n, np.float32),
            np.array(sharpness or [100.0] * n, np.float32),
        ),
    )
    return index


SELFIE = np.array([unit(0)], np.float32)
TOLERANCE = 1 - math.cos(math.radians(40))  # within 40 degrees
EXPANSION = 1 - math.cos(math.radians(10))  # confident within 10 degrees


def test_expansion_finds_a_photo_only_close_to_a_confident_match() -> None:
    # face 0 is confident (5 degrees); face 1 is 45 degrees from the selfie but 40 from face 0
    index = index_of([5, 45, 90])

    plain = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=None)
    expanded = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=EXPANSION)

    assert [m.photo_id for m in plain] == [100]
    assert [m.photo_id for m in expanded] == [100, 101]


def test_an_expansion_face_does_not_match_itself_at_distance_zero() -> None:
    index = index_of([5, 45])

    matches = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=EXPANSION)

    assert matches[0].photo_id == 100
    assert matches[0].distance == pytest.approx(1 - math.cos(math.radians(5)), abs=1e-5)


def test_expansion_needs_a_match_within_the_stricter_limit() -> None:
    # face 0 matches (20 degrees) but is not confident: it must not pull in face 1
    index = index_of([20, 55])

    matches = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=EXPANSION)

    assert [m.photo_id for m in matches] == [100]


def test_faces_below_the_minimum_height_are_not_matched() -> None:
    index = index_of([5, 6], heights=[40, 200])

    matches = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=None, min_face_px=60)

    assert [m.photo_id for m in matches] == [101]


def test_faces_blurrier_than_the_minimum_sharpness_are_not_matched() -> None:
    index = index_of([5, 6], sharpness=[3.0, 80.0])

    matches = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=None, min_sharpness=10)

    assert [m.photo_id for m in matches] == [101]


def test_vectors_returns_stored_embeddings_in_the_order_asked() -> None:
    index = index_of([0, 90, 180])

    vectors = index.vectors(1, np.array([2, 0], np.int64))

    np.testing.assert_allclose(vectors, [unit(180), unit(0)], atol=1e-6)
    with pytest.raises(NotFoundError):
        index.vectors(1, np.array([7], np.int64))


def test_a_tolerance_set_away_from_the_engines_scales_its_expansion_limit() -> None:
    engine: Any = FusionFaceEngine.__new__(FusionFaceEngine)  # class attributes only: no models

    assert expansion_limit(engine, FusionFaceEngine.default_tolerance) == FusionFaceEngine.expansion_tolerance
    assert expansion_limit(engine, 0.99) == pytest.approx(0.9775 * 0.99 / 1.075)
