"""The "not nearer to a stranger" guard on hand-made embeddings (issue 11).

Faces are unit vectors at an angle (degrees) from the selfie's direction, cosine distance;
the tolerance admits 40 degrees. A stranger is a face no query is within tolerance of.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from eventface.domain.distance import CosineMetric
from eventface.domain.models import FaceMatrix
from eventface.matching import strangers
from eventface.matching.expansion import match_faces
from eventface.matching.numpy_index import NumpyVectorIndex
from eventface.matching.strangers import FACES_PER_SEARCH


def unit(degrees: float) -> list[float]:
    return [math.cos(math.radians(degrees)), math.sin(math.radians(degrees))]


def cos_distance(degrees: float) -> float:
    return 1 - math.cos(math.radians(degrees))


def index_of(faces: list[tuple[int, float]], heights: list[float] | None = None) -> NumpyVectorIndex:
    """Face k is (photo id, angle in degrees)."""
    n = len(faces)
    index = NumpyVectorIndex()
    index.load(
        1,
        1,
        CosineMetric(),
        FaceMatrix(
            np.arange(n, dtype=np.int64),
            np.array([photo for photo, _ in faces], np.int64),
            np.array([unit(angle) for _, angle in faces], np.float32),
            np.array(heights or [200.0] * n, np.float32),
            np.full(n, 100.0, np.float32),
        ),
    )
    return index


SELFIE = np.array([unit(0)], np.float32)
TOLERANCE = cos_distance(40)
EXPANSION = cos_distance(10)


def photos(index: NumpyVectorIndex, expansion: float | None = None, **kw: object) -> list[int]:
    kw.setdefault("support", 0)
    found = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=expansion, **kw)  # type: ignore[arg-type]
    return [m.photo_id for m in found]


def test_a_face_nearer_to_a_stranger_than_to_the_guest_is_dropped() -> None:
    # photo 101's face (35) is 15 degrees from a stranger (50, beyond tolerance), 35 from the guest
    index = index_of([(100, 20), (101, 35), (102, 50)])

    assert photos(index, strangers=False) == [100, 101]
    assert photos(index) == [100]


def test_a_face_nearer_to_the_guest_than_to_any_stranger_is_kept_with_its_margin() -> None:
    index = index_of([(100, 30), (101, 75)])  # the stranger is 45 degrees from the match

    [match] = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=None)

    assert match.photo_id == 100
    assert match.margin == pytest.approx(cos_distance(45) - cos_distance(30), abs=1e-5)
    assert not match.expanded


def test_the_margin_is_none_when_no_stranger_is_near() -> None:
    index = index_of([(100, 10), (101, 180)])

    [match] = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=None)

    assert match.margin is None


def test_other_matches_of_the_guest_are_not_strangers() -> None:
    # 25 is nearer to 35 than to the guest, but 35 is matched too (the guest, another photo)
    index = index_of([(100, 25), (101, 35)])

    assert photos(index) == [100, 101]


def test_a_face_nearer_to_a_stranger_is_kept_among_enough_of_the_guests_other_matches() -> None:
    # the guest's second look: 33-37 matched, 41 and 43 beyond tolerance (so "strangers"); 37
    # is 4 degrees from the stranger 41 but 3 matched faces (34, 35, 36) are nearer to it still
    index = index_of([(100, 33), (101, 34), (102, 35), (103, 36), (104, 37), (105, 41), (106, 43)])

    assert 104 not in photos(index, support=0)
    assert photos(index, support=3) == [100, 101, 102, 103, 104]
    assert 104 not in photos(index, support=4)


def test_a_face_found_through_expansion_is_dropped_when_nearer_to_a_stranger() -> None:
    # 5 is confident and expands; 42 is beyond tolerance of the selfie but 37 from face 5;
    # with a stranger at 60 (18 degrees from 42), 42 is someone else
    alone = index_of([(100, 5), (101, 42)])
    crowded = index_of([(100, 5), (101, 42), (102, 60)])

    found = match_faces(alone, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=EXPANSION)
    assert [m.photo_id for m in found] == [100, 101]
    assert [m.expanded for m in found] == [False, True]
    assert photos(crowded, EXPANSION) == [100]


def test_faces_found_through_expansion_are_not_strangers() -> None:
    # 42 is matched only through expansion; 30 is nearer to it (12) than to the guest (30)
    index = index_of([(100, 5), (101, 30), (102, 42)])

    assert photos(index, EXPANSION) == [100, 101, 102]
    assert photos(index, None) == [100]  # without expansion 42 is a stranger, and 30 is nearer to it


def test_a_face_too_small_to_show_still_counts_as_matched_not_as_a_stranger() -> None:
    # 25 is small (not shown) and 5 degrees from 20: were it a stranger, 20 would be dropped
    index = index_of([(100, 20), (101, 25)], heights=[200, 40])

    assert photos(index, min_face_px=60) == [100]


def test_a_photo_is_kept_when_another_of_its_faces_passes() -> None:
    # photo 100 holds a dropped face (35, near the stranger at 50) and a good one (10)
    index = index_of([(100, 35), (100, 10), (101, 50)])

    [match] = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=None)

    assert (match.photo_id, match.face_id) == (100, 1)


def test_tapping_a_face_uses_the_same_rule() -> None:
    # the query is face 0 itself (an event face): it matches at 0 and is never its own stranger
    index = index_of([(100, 0), (101, 35), (102, 50)])

    found = match_faces(
        index, 1, index.vectors(1, np.array([0])), tolerance=TOLERANCE, expansion_tolerance=None
    )

    assert [m.photo_id for m in found] == [100]


def test_beyond_the_budget_the_most_confident_matches_are_kept_unchecked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # both matches are nearer to the stranger (50) than to the guest; only the least
    # confident one (35) is checked when one check is all a search may spend
    index = index_of([(100, 30), (101, 35), (102, 50)])
    monkeypatch.setattr(strangers, "MAX_GUARDED", 1)

    found = match_faces(index, 1, SELFIE, tolerance=TOLERANCE, expansion_tolerance=None)

    assert [(m.photo_id, m.margin) for m in found] == [(100, None)]


def reference(embeddings: np.ndarray, queries: np.ndarray, tolerance: float, support: int) -> set[int]:
    """The rule written out over every pair (benchmarks/crowd.py's face_level, no expansion)."""
    metric = CosineMetric()
    to_guest = metric.pairwise(queries, embeddings).min(axis=0)
    between = metric.pairwise(embeddings, embeddings)
    np.fill_diagonal(between, np.inf)
    hit = to_guest <= tolerance
    nearest_stranger = np.where(hit[None, :], np.inf, between).min(axis=1)
    kept = nearest_stranger >= to_guest
    if support:
        kept |= (np.where(hit[None, :], between, np.inf) < nearest_stranger[:, None]).sum(axis=1) >= support
    return set(np.flatnonzero(hit & kept).tolist())


@pytest.mark.parametrize("support", [0, 3])
@pytest.mark.parametrize("seed", range(4))
def test_the_guard_agrees_with_the_rule_written_over_every_pair(seed: int, support: int) -> None:
    # more matched faces than one guard search takes, so the chunks are exercised too
    rng = np.random.default_rng(seed)
    centre = rng.normal(size=8)
    faces = np.vstack(
        [centre + rng.normal(scale=0.5, size=(FACES_PER_SEARCH + 40, 8)), rng.normal(size=(200, 8))]
    )
    faces = (faces / np.linalg.norm(faces, axis=1, keepdims=True)).astype(np.float32)
    query = (centre / np.linalg.norm(centre)).astype(np.float32)[np.newaxis, :]
    index = NumpyVectorIndex()
    n = len(faces)
    ids = np.arange(n, dtype=np.int64)
    heights, sharpness = np.full(n, 200.0, np.float32), np.full(n, 100.0, np.float32)
    index.load(1, 1, CosineMetric(), FaceMatrix(ids, ids + 1000, faces, heights, sharpness))
    tolerance = 0.15

    found = match_faces(index, 1, query, tolerance=tolerance, expansion_tolerance=None, support=support)

    expected = reference(faces, query, tolerance, support)
    assert {m.face_id for m in found} == expected
    matched = int((CosineMetric().pairwise(query, faces) <= tolerance).sum())
    assert 10 < len(expected) <= matched
    assert support or len(expected) < matched  # the guard dropped some
