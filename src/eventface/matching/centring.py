"""An event's own metric in a crowd: its faces centred on the event's mean (issue 11).

The models were trained mostly on Western faces; in an all-East-Asian crowd most of an embedding
is the event's common component (benchmarks/README.md, "Issue 11, sixth round"). Taking the
event's mean out of each engine half and re-normalising (`CentredFusedMetric`) separates
look-alikes better in the tail that matters, and the people rule, recalibrated on it, keeps every
precision target on every scored crowd seed (sixth and seventh rounds).

Only a crowd is centred: an event whose plain people groups hold `PeopleRule.crowd_people`
groups of two faces or more, within the people rule's reach (at most PEOPLE_MAX_FACES faces,
held exactly). Smaller events keep the engine's metric: centring cost the East Asian dev event
its recall target, fitted on 21-31 people.

The metric is frozen. The people groups and their faces' neighbour lists are kept exact
incrementally (matching/people.py), which needs a fixed metric, while the event's mean moves
as photos arrive: so the fit is stored (db/centrings.py) and used by every process until the
event holds REFIT_GROWTH times the faces it was fitted on (or faces of another model); the
refit then changes the metric, and the groups are built again on it (matching/people_cache.py
keeps an event's groups for one metric).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from eventface.domain.distance import (
    CENTRED_NORM_FLOOR,
    CentredFusedMetric,
    EventCentring,
    FusedMetric,
    Matrix,
    Metric,
)
from eventface.matching.expansion import PEOPLE_MAX_FACES
from eventface.matching.index import VectorIndex
from eventface.matching.people import PeopleRule
from eventface.matching.people_cache import PeopleCache

Floats = npt.NDArray[np.float64]
# a refit once the event holds this many times the faces its centring was fitted on: the mean of
# a crowd moves little once it holds a few hundred faces, and each refit groups the event again
REFIT_GROWTH = 2.0


def fit_centring(
    base: FusedMetric, photo_ids: npt.NDArray[np.int64], embeddings: Matrix
) -> CentredFusedMetric:
    """The event's centred metric, from its faces alone (no labels): each half's mean, and each
    half's scale times median(same-photo distance after) / median(before), so the event's own
    impostors (two faces of one photo are two people) stay where they were (1.0 without any)."""
    x = np.asarray(embeddings, np.float64)
    s = base.split
    cosine_mean, euclidean_mean = x[:, :s].mean(axis=0), x[:, s:].mean(axis=0)
    plain = base
    centred = CentredFusedMetric(base, tuple(cosine_mean.tolist()), tuple(euclidean_mean.tolist()))
    i, j = _same_photo_pairs(np.asarray(photo_ids, np.int64))
    if len(i) == 0:
        return centred
    before = _half_distances(plain, x[i], x[j])
    moved = _moved(centred, x)
    after = _half_distances(plain, moved[i], moved[j])
    ratios = [float(np.median(a) / np.median(b)) for a, b in zip(after, before, strict=True)]
    return CentredFusedMetric(base, centred.cosine_mean, centred.euclidean_mean, ratios[0], ratios[1])


def centring_for(
    index: VectorIndex,
    event_id: int,
    rule: PeopleRule,
    base: Metric,
    model: str,
    stored: EventCentring | None,
) -> EventCentring | None:
    """The centring the people rule uses for this event: `stored` while it holds; a new one (to
    be stored, then the stored one used) when the event has just become a crowd, has grown
    REFIT_GROWTH times since the fit, or holds faces of another model; None: the engine's metric.
    Events the people rule does not read (compact, or over PEOPLE_MAX_FACES) keep what they have."""
    if not isinstance(base, FusedMetric) or not rule.hub_weight or rule.link <= 0:
        return None  # the crowd rule (hub correction, crowd join) is what was calibrated centred
    held = index.every_face(event_id)
    if held is None or len(held.faces) > PEOPLE_MAX_FACES or len(held.faces) == 0:
        return stored
    faces = len(held.faces)
    if stored is not None:
        if stored.model == model and faces < REFIT_GROWTH * stored.faces:
            return stored
        return _fitted(base, held.faces.photo_ids, held.faces.embeddings, model, stored.version + 1)
    # a crowd on the plain metric: the groups the people rule reads anyway (same cache entry)
    plain = PeopleCache.of(index).groups(event_id, held, rule.link, neighbours=True)
    if plain is None or plain.people() < rule.crowd_people:
        return None
    return _fitted(base, held.faces.photo_ids, held.faces.embeddings, model, 0)


def _fitted(
    base: FusedMetric, photo_ids: npt.NDArray[np.int64], embeddings: Matrix, model: str, version: int
) -> EventCentring:
    return EventCentring(fit_centring(base, photo_ids, embeddings), len(photo_ids), model, version)


def _same_photo_pairs(photo_ids: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Every pair (i < j) of faces of one photo."""
    order = np.argsort(photo_ids, kind="stable")
    cuts = np.flatnonzero(np.diff(photo_ids[order])) + 1
    left, right = [], []
    for rows in np.split(order, cuts):
        if len(rows) > 1:
            a, b = np.triu_indices(len(rows), k=1)
            left.append(rows[a])
            right.append(rows[b])
    if not left:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    return np.concatenate(left), np.concatenate(right)


def _moved(metric: CentredFusedMetric, x: Floats) -> Floats:
    """The rows as the centred metric sees them: each half centred and L2-normalised."""
    out = x.copy()
    s = metric.split
    for half, mean in ((slice(0, s), metric.cosine_mean), (slice(s, None), metric.euclidean_mean)):
        centred = x[:, half] - np.asarray(mean)
        out[:, half] = centred / np.maximum(
            np.linalg.norm(centred, axis=1, keepdims=True), CENTRED_NORM_FLOOR
        )
    return out


def _half_distances(metric: FusedMetric, x: Floats, y: Floats) -> tuple[Floats, Floats]:
    """Row-wise cosine (1 - cos) and Euclidean distances of paired rows, half by half."""
    s = metric.split
    cosine = 1.0 - np.einsum("ij,ij->i", x[:, :s], y[:, :s])
    euclidean = np.linalg.norm(x[:, s:] - y[:, s:], axis=1)
    return cosine, euclidean
