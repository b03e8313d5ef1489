"""The matching rule: which photos a guest's query embeddings find, with query expansion
and the "not nearer to a stranger" guard."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from eventface.domain.distance import Matrix
from eventface.domain.models import Match
from eventface.matching.index import Hits, VectorIndex
from eventface.matching.ranking import rank_photos
from eventface.matching.strangers import Nearest, Verdict, guard

MAX_EXPANSION_QUERIES = 64  # the closest confident matches; bounds the cost of a search
# a face nearer to a stranger is kept when this many of the guest's other matches are nearer
# still (benchmarks/README.md, "Accuracy in a crowd": keeps a guest's second look)
SUPPORT = 3


def match_faces(
    index: VectorIndex,
    event_id: int,
    queries: Matrix,
    *,
    tolerance: float,
    expansion_tolerance: float | None,
    expansion_reach: float | None = None,
    min_face_px: int = 0,
    min_sharpness: float = 0.0,
    strangers: bool = True,
    support: int = SUPPORT,
) -> list[Match]:
    """Photos with a face within `tolerance` of any query, closest first.

    With `expansion_tolerance`, query expansion: in each photo, the best face within that
    stricter limit joins the queries, so a guest is also found by how they look at this
    event (light, make-up, angle) rather than only by the selfies. An expansion face's
    matches reach `expansion_reach` (default: `tolerance`). A face never matches itself as
    an extra query.

    With `strangers` (matching/strangers.py), a matched face is dropped when an event face
    that no query matches is closer to it than its nearest query (expansion faces count as
    queries; faces found through them are guarded too), unless `support` other matched faces
    are nearer to it still. Faces too small or blurry to be shown still count as matched,
    not as strangers: they are mostly the guest, smaller.
    """
    hits = index.search(event_id, queries, tolerance)
    via_expansion = np.zeros(len(hits), bool)
    usable = hits.usable(min_face_px, min_sharpness)
    if expansion_tolerance is not None and len(usable):
        confident = rank_photos(usable.where(usable.distances <= expansion_tolerance))
        if confident := confident[:MAX_EXPANSION_QUERIES]:
            extra_ids = np.array([m.face_id for m in confident], np.int64)
            reach = tolerance if expansion_reach is None else expansion_reach
            expanded = index.search(event_id, index.vectors(event_id, extra_ids), reach)
            expanded = expanded.where(expanded.face_ids != extra_ids[expanded.query])
            hits = hits.merge(expanded)
            via_expansion = np.r_[via_expansion, np.ones(len(expanded), bool)]
    if len(hits) == 0:
        return []
    nearest = Nearest.of(hits, via_expansion)
    if not strangers:
        return _explained(rank_photos(hits.usable(min_face_px, min_sharpness)), nearest, None)
    verdict = guard(index, event_id, nearest, support)
    kept: Hits = hits.where(verdict.kept_mask(hits.face_ids))
    return _explained(rank_photos(kept.usable(min_face_px, min_sharpness)), nearest, verdict)


def _explained(matches: list[Match], nearest: Nearest, verdict: Verdict | None) -> list[Match]:
    """Each match with whether its face was found by expansion, and its margin."""
    out = []
    for m in matches:
        k = int(np.searchsorted(nearest.face_ids, m.face_id))
        margin = verdict.margin_of(m.face_id) if verdict else None
        out.append(replace(m, margin=margin, expanded=bool(nearest.expansion[k])))
    return out
