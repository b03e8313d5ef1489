"""The "not nearer to a stranger" guard (issue 11): a crowd-safe acceptance test for matches.

A stranger is an event face that no query (selfie or expansion face) is within tolerance of.
A face the queries do match is kept only if no stranger is closer to it than its nearest
query: in a crowd, a look-alike of the guest is usually closer to someone else in the event
than to the guest, and the event itself says so. Measured on crowd events of 64 East Asian
identities (benchmarks/README.md, "Accuracy in a crowd"), this keeps precision from falling
as the crowd grows, which no single distance threshold does.

It runs through the VectorIndex protocol only: each matched face's own stored vector is
searched against the event, up to its own nearest query's distance plus `MARGIN_REACH`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from eventface.domain.distance import Matrix
from eventface.matching.index import Hits, Ids, VectorIndex

# how far beyond a face's query distance strangers are looked for, so that the margin of a
# kept face is known when it is small; a wider reach only returns more pairs, the distance
# computation is the same
MARGIN_REACH = 0.25
FACES_PER_SEARCH = 128  # matched faces searched at once: bounds the pairs one search returns
# each checked face costs a search of the whole event (~0.3 ms at 30 000 faces): this bounds
# a search's cost; a guest's most confident matches beyond it are kept unchecked
MAX_GUARDED = 256


@dataclass(frozen=True)
class Nearest:
    """Per distinct matched face (sorted by id): its nearest query, as the hits give it."""

    face_ids: Ids
    distances: npt.NDArray[np.float64]
    expansion: npt.NDArray[np.bool_]  # the nearest query is an event face, not a selfie

    @staticmethod
    def of(hits: Hits, expansion: npt.NDArray[np.bool_]) -> Nearest:
        """`expansion[i]`: hit i's query is an expansion face."""
        order = np.lexsort((hits.distances, hits.face_ids))
        ids = hits.face_ids[order]
        first = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.zeros(0, np.intp)
        picked = order[first]
        return Nearest(hits.face_ids[picked], hits.distances[picked].astype(np.float64), expansion[picked])


@dataclass(frozen=True)
class Verdict:
    """Per matched face (as in `Nearest`): the distance to its nearest stranger minus the
    distance to its nearest query. Negative: a stranger is closer, the face is not the guest
    (unless `supported`).
    +inf: no stranger within MARGIN_REACH beyond the query distance; NaN: not checked."""

    face_ids: Ids
    margins: npt.NDArray[np.float64]
    supported: npt.NDArray[np.bool_]  # nearer to a stranger, kept among the guest's other matches

    @property
    def kept(self) -> npt.NDArray[np.bool_]:
        kept: npt.NDArray[np.bool_] = ~(self.margins < 0) | self.supported  # NaN (not checked) is kept
        return kept

    def kept_mask(self, face_ids: Ids) -> npt.NDArray[np.bool_]:
        """For each of these (matched) faces: whether it is kept."""
        return np.isin(face_ids, self.face_ids[self.kept])

    def margin_of(self, face_id: int) -> float | None:
        """None when no stranger is within reach, or the face was not checked."""
        margin = float(self.margins[int(np.searchsorted(self.face_ids, face_id))])
        return margin if np.isfinite(margin) else None


def guard(index: VectorIndex, event_id: int, nearest: Nearest, support: int = 0) -> Verdict:
    """Each matched face's margin over the nearest stranger (the faces in `nearest` are the
    matched ones; every other face of the event is a stranger).

    With `support`, a face nearer to a stranger is still kept when at least that many other
    matched faces are nearer to it than the stranger: it sits among the guest's matches (a
    guest with two looks, the second only partly matched, has its unmatched faces as
    "strangers" right beside the matched ones).

    At most MAX_GUARDED faces are checked, the least confident first; the others (a guest
    with more matches than that, such as the bride) are kept unchecked, margin unknown.
    """
    margins = np.full(len(nearest.face_ids), np.nan)
    supported = np.zeros(len(nearest.face_ids), bool)
    checked = np.argsort(-nearest.distances, kind="stable")[:MAX_GUARDED]
    for start in range(0, len(checked), FACES_PER_SEARCH):
        rows = checked[start : start + FACES_PER_SEARCH]
        limits = nearest.distances[rows]
        stranger, matched = _neighbours(
            index, event_id, nearest.face_ids[rows], limits + MARGIN_REACH, nearest.face_ids
        )
        margins[rows] = stranger - limits
        supported[rows] = matched >= support if support else False
    margins[margins > MARGIN_REACH] = np.inf  # beyond reach for some faces of the chunk only
    return Verdict(nearest.face_ids, margins, supported)


def _neighbours(
    index: VectorIndex, event_id: int, face_ids: Ids, reach: npt.NDArray[np.float64], matched: Ids
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
    """Per face: the distance to its nearest stranger within its own `reach` (+inf if none), and
    how many other matched faces are nearer to it than that stranger."""
    vectors: Matrix = index.vectors(event_id, face_ids)
    # each face only out to its own reach: the chunk's widest reach made every face pay for the
    # least confident one's (a wider search returns more pairs, to decode and re-rank).
    # Not thorough: a stranger a big event's index misses moves a margin, rarely a verdict (issue 12)
    limits: Matrix = reach.astype(np.float32)
    around = index.search(event_id, vectors, float(reach.max()), thorough=False, limits=limits)
    stranger = ~np.isin(around.face_ids, matched)  # the face itself is matched: never its own stranger
    nearest = np.full(len(face_ids), np.inf)
    np.minimum.at(nearest, around.query[stranger], around.distances[stranger].astype(np.float64))
    closer = ~stranger & (around.face_ids != face_ids[around.query])
    closer &= around.distances < nearest[around.query]
    return nearest, np.bincount(around.query[closer], minlength=len(face_ids))
