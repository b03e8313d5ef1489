"""The matching rule: which photos a guest's query embeddings find, with query expansion."""

from __future__ import annotations

import numpy as np

from eventface.domain.distance import Matrix
from eventface.domain.models import Match
from eventface.matching.index import VectorIndex
from eventface.matching.ranking import rank_photos

MAX_EXPANSION_QUERIES = 64  # the closest confident matches; bounds the cost of a search


def match_faces(
    index: VectorIndex,
    event_id: int,
    queries: Matrix,
    *,
    tolerance: float,
    expansion_tolerance: float | None,
    min_face_px: int = 0,
    min_sharpness: float = 0.0,
) -> list[Match]:
    """Photos with a face within `tolerance` of any query, closest first.

    With `expansion_tolerance`, query expansion: in each photo, the best face within that
    stricter limit joins the queries, so a guest is also found by how they look at this
    event (light, make-up, angle) rather than only by the selfies. A face never matches
    itself as an extra query.
    """
    hits = index.search(event_id, queries, tolerance).usable(min_face_px, min_sharpness)
    if expansion_tolerance is None or len(hits) == 0:
        return rank_photos(hits)
    confident = rank_photos(hits.where(hits.distances <= expansion_tolerance))[:MAX_EXPANSION_QUERIES]
    if not confident:
        return rank_photos(hits)
    extra_ids = np.array([m.face_id for m in confident], np.int64)
    expanded = index.search(event_id, index.vectors(event_id, extra_ids), tolerance)
    expanded = expanded.usable(min_face_px, min_sharpness)
    expanded = expanded.where(expanded.face_ids != extra_ids[expanded.query])
    return rank_photos(hits.merge(expanded))
