"""The matching rule: which photos a guest's query embeddings find, with query expansion
and the "not nearer to a stranger" guard."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from eventface.domain.distance import Matrix
from eventface.domain.models import Match
from eventface.matching.index import EventFaces, Hits, VectorIndex
from eventface.matching.people import PeopleGroups, PeopleRule, match_people
from eventface.matching.people_cache import PeopleCache
from eventface.matching.ranking import rank_photos
from eventface.matching.strangers import Nearest, Verdict, guard

MAX_EXPANSION_QUERIES = 64  # the closest confident matches; bounds the cost of a search
# a face nearer to a stranger is kept when this many of the guest's other matches are nearer
# still (benchmarks/README.md, "Accuracy in a crowd": keeps a guest's second look)
SUPPORT = 3
# The people rule reads every face of the event for each group the guest joins, so its cost
# grows with the event's faces times the guest's (benchmarks/README.md, "People matching in the
# product": ~0.1 s at 3 000 faces; "Issue 11, fourth round": 3.2 s of CPU and ~0.5 GiB for a
# bride at 30 000, 9.4 s while the groups are built): bigger events get the guard rule.
PEOPLE_MAX_FACES = 6000


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
    people: PeopleRule | None = None,
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

    With `people` (matching/people.py), the guest joins the event's people groups by average
    linkage instead, guarded the same way, for an event of at most PEOPLE_MAX_FACES faces held
    exactly by the index; a bigger event falls back to the rule above. With `people.metric` (an
    event's centred metric in a crowd, matching/centring.py) the groups and the guest's
    distances are measured in it rather than in the index's metric. The groups are
    kept per index (matching/people_cache.py); while a big event's are built in the background,
    or with `people.link` 0, the guest joins single faces.
    """
    if people is not None:
        joined = _match_people(index, event_id, queries, people, tolerance, min_face_px, min_sharpness)
        if joined is not None:
            return joined
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


def _match_people(
    index: VectorIndex,
    event_id: int,
    queries: Matrix,
    rule: PeopleRule,
    tolerance: float,
    min_face_px: int,
    min_sharpness: float,
) -> list[Match] | None:
    held = index.every_face(event_id)
    if held is not None and len(held.faces) > PEOPLE_MAX_FACES:
        held = None
    if held is not None and rule.metric is not None and rule.metric != held.metric:
        held = EventFaces(rule.metric, held.faces, np.zeros(0, np.float32))  # terms only if needed, below
    cache = PeopleCache.of(index)
    groups = cache.groups(event_id, held, rule.link, rule.hub_weight > 0) if rule.link > 0 else None
    if held is None:  # (the cache has forgotten the event: nothing is kept for it)
        return None
    f = held.faces
    if groups is None:  # singletons asked for (link 0), or the event's groups are being built
        terms = held.terms if len(held.terms) == len(f) else held.metric.face_terms(f.embeddings)
        groups = PeopleGroups.singletons(held.metric, f.face_ids, f.photo_ids, f.embeddings, terms)
    accepted = match_people(groups, queries, rule)
    rows = np.searchsorted(f.face_ids, accepted.face_ids)  # every_face is sorted by face id
    hits = Hits(
        np.zeros(len(rows), np.intp),
        accepted.face_ids,
        accepted.photo_ids,
        accepted.distances.astype(np.float32),
        np.asarray(f.heights)[rows],
        np.asarray(f.sharpness)[rows],
    )
    # "expanded": found through the guest's other faces, farther from every selfie than the tolerance
    return [
        replace(m, expanded=m.distance > tolerance)
        for m in rank_photos(hits.usable(min_face_px, min_sharpness))
    ]


def _explained(matches: list[Match], nearest: Nearest, verdict: Verdict | None) -> list[Match]:
    """Each match with whether its face was found by expansion, and its margin."""
    out = []
    for m in matches:
        k = int(np.searchsorted(nearest.face_ids, m.face_id))
        margin = verdict.margin_of(m.face_id) if verdict else None
        out.append(replace(m, margin=margin, expanded=bool(nearest.expansion[k])))
    return out
