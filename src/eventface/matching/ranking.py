"""Turning face hits into a ranked list of photos. Pure functions."""

from __future__ import annotations

import numpy as np

from eventface.domain.models import Match
from eventface.matching.index import Hits


def rank_photos(hits: Hits) -> list[Match]:
    """One match per photo, at its closest face to any query; closest first, ties by photo id."""
    if len(hits) == 0:
        return []
    order = np.lexsort((hits.photo_ids, hits.distances))
    seen: set[int] = set()
    matches: list[Match] = []
    for i in order:
        photo_id = int(hits.photo_ids[i])
        if photo_id in seen:
            continue
        seen.add(photo_id)
        matches.append(
            Match(photo_id=photo_id, distance=float(hits.distances[i]), face_id=int(hits.face_ids[i]))
        )
    return matches
