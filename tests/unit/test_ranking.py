"""rank_photos: one match per photo at its closest face, closest first, ties broken by photo id."""

from __future__ import annotations

import numpy as np

from eventface.domain.models import Match
from eventface.matching.index import Hits
from eventface.matching.ranking import rank_photos


def hits(rows: list[tuple[int, int, int, float]]) -> Hits:
    """Hits from (query, face_id, photo_id, distance) rows."""
    query, face_ids, photo_ids, distances = zip(*rows, strict=True) if rows else ((), (), (), ())
    return Hits(
        query=np.array(query, np.intp),
        face_ids=np.array(face_ids, np.int64),
        photo_ids=np.array(photo_ids, np.int64),
        distances=np.array(distances, np.float32),
        heights=np.full(len(rows), 100.0, np.float32),
        sharpness=np.full(len(rows), 100.0, np.float32),
    )


def test_no_hits_rank_no_photos() -> None:
    assert rank_photos(hits([])) == []


def test_each_photo_appears_once_at_its_best_face_distance() -> None:
    ranked = rank_photos(
        hits([(0, 10, 1, 0.5), (0, 11, 1, 0.2), (0, 20, 2, 0.3), (0, 12, 1, 0.4)]),
    )

    assert ranked == [
        Match(photo_id=1, distance=np.float32(0.2), face_id=11),
        Match(photo_id=2, distance=np.float32(0.3), face_id=20),
    ]


def test_photos_are_ordered_closest_first_regardless_of_input_order() -> None:
    ranked = rank_photos(hits([(0, 1, 7, 0.9), (0, 2, 3, 0.1), (0, 3, 5, 0.5)]))

    assert [m.photo_id for m in ranked] == [3, 5, 7]
    assert [m.distance for m in ranked] == sorted(m.distance for m in ranked)


def test_equal_distances_are_ordered_by_photo_id() -> None:
    ranked = rank_photos(hits([(0, 1, 9, 0.25), (0, 2, 4, 0.25), (0, 3, 6, 0.25), (0, 4, 2, 0.1)]))

    assert [m.photo_id for m in ranked] == [2, 4, 6, 9]


def test_best_distance_is_taken_over_every_query() -> None:
    # the same face matched by two selfies counts once, at the closer selfie's distance
    ranked = rank_photos(hits([(0, 5, 1, 0.4), (1, 5, 1, 0.15), (1, 6, 2, 0.3)]))

    assert [(m.photo_id, m.face_id) for m in ranked] == [(1, 5), (2, 6)]
    assert ranked[0].distance == np.float32(0.15)
