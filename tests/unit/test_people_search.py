"""match_faces with the people rule (the guest joins the event's faces by average linkage), on
hand-made embeddings: unit vectors at an angle (degrees) from the selfie, cosine distance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eventface.domain.distance import CosineMetric
from eventface.domain.models import FaceMatrix
from eventface.faces import fusion_engine
from eventface.matching.expansion import match_faces
from eventface.matching.numpy_index import NumpyVectorIndex
from eventface.matching.people import PeopleRule
from eventface.services.search import people_rule_of


def unit(degrees: float) -> list[float]:
    return [math.cos(math.radians(degrees)), math.sin(math.radians(degrees))]


def cos_distance(degrees: float) -> float:
    return 1 - math.cos(math.radians(degrees))


TOLERANCE = cos_distance(30)
RULE = PeopleRule(link=cos_distance(20), join=cos_distance(30))
SELFIE = np.array([unit(0)], np.float32)


def index_of(faces: list[tuple[int, float]], **options: int) -> NumpyVectorIndex:
    """Face k is (photo id, angle in degrees)."""
    n = len(faces)
    index = NumpyVectorIndex(**options)
    matrix = FaceMatrix(
        np.arange(n, dtype=np.int64),
        np.array([photo for photo, _ in faces], np.int64),
        np.array([unit(angle) for _, angle in faces], np.float32),
        np.full(n, 200.0, np.float32),
        np.full(n, 100.0, np.float32),
    )
    index.load(1, 1, CosineMetric(), matrix)
    return index


def found(index: NumpyVectorIndex, people: PeopleRule | None = RULE) -> dict[int, bool]:
    """Photo id -> whether it was found through the guest's other faces (beyond the tolerance)."""
    matches = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=None, people=people)
    return {m.photo_id: m.expanded for m in matches}


def test_the_guest_is_found_along_their_own_faces_beyond_the_tolerance() -> None:
    # the guest drifts away from the selfie in small steps (light, angle): each face is near the last
    index = index_of([(1, 5), (2, 15), (3, 25), (4, 33), (5, 38)])

    assert found(index) == {1: False, 2: False, 3: False, 4: True, 5: True}
    # the tolerance rule alone stops at 30 degrees, and its guard drops the face at 25: the guest's
    # own face at 33, outside the tolerance, looks like a stranger nearer to it than the selfie
    assert found(index, people=None) == {1: False, 2: False}


def test_a_lone_face_far_from_the_guest_is_not_joined() -> None:
    index = index_of([(1, 5), (2, 10), (3, 60), (4, -90)])

    assert set(found(index)) == {1, 2}


def test_a_face_nearer_to_a_stranger_than_to_the_guest_is_dropped() -> None:
    # the face at 25 degrees is joined, but three faces at 40-44 (too far from the guest's faces
    # on average to join) are nearer to it than the guest is
    index = index_of([(1, 0.5), (2, 3), (3, 25), (4, 40), (5, 42), (6, 44)])

    assert found(index) == {1: False, 2: False}


def test_two_faces_of_one_photo_are_never_both_the_guest() -> None:
    index = index_of([(1, 0), (2, 4), (2, 8)])
    matches = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=None, people=RULE)

    assert [m.photo_id for m in matches] == [1, 2]
    assert matches[1].face_id == 1  # the nearer face of photo 2


def test_an_event_held_compactly_falls_back_to_the_tolerance_rule() -> None:
    faces = [(1, 5), (2, 15), (3, 25), (4, 33), (5, 38)] + [(10 + k, 90 + k) for k in range(60)]
    compact = index_of(faces, compact_from_faces=10)

    assert compact.every_face(1) is None
    assert found(compact) == found(index_of(faces), people=None) == {1: False, 2: False}


def test_an_engine_s_rule_gives_groups_near_a_selfie_their_room_scaled_with_the_tolerance() -> None:
    # guest search and "more photos of this person" both take the engine's rule through people_rule_of
    rule = people_rule_of((1.0, 1.2, 1.27, 0.9775, 0.03))
    stricter = people_rule_of((1.0, 1.2, 1.27, 0.9775, 0.03), scale=0.5)

    assert (rule.crowd_join, rule.crowd_near, rule.crowd_room) == (1.27, 0.9775, 0.03)
    assert (stricter.crowd_near, stricter.crowd_room) == pytest.approx((0.9775 / 2, 0.015))
    # the fusion engine's "near a selfie" is its expansion limit (its room: 0, not landed)
    assert people_rule_of(fusion_engine.PEOPLE_RULE).crowd_near == fusion_engine.EXPANSION_TOLERANCE
