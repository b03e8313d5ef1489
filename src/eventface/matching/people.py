"""People groups: an event's faces grouped into people, so a guest is matched to people (issue 11).

Grouping is average-linkage agglomerative clustering on the engine's metric, with the free
"cannot-link" pairs of an event: two faces of one photo are two people, so their groups never
merge. Two groups merge while their mean face-to-face distance is within `link`.

Average linkage only merges groups with a mean distance within `link`, hence with at least
one pair of faces within `link`: every group lies inside one connected component of the
graph "faces within `link` of each other, in different photos". Grouping is run per
component, on the component's faces in face-id order, which makes it incremental and exact:
a new photo's faces touch a few components, only those are grouped again, and the result is
the one grouping the whole event at once would give (`PeopleGroups`, tested against
`group_faces`). A group is named by its smallest face id.

A guest is matched to people by `match_people`: the guest joins the groups by the same
average linkage, and faces nearer to a stranger than to the guest are dropped.

Hubs (issue 11): in a crowd of look-alikes (one band's idols, same styling) some faces sit near
everyone. With `PeopleRule.hub_weight`, in a crowd (at least `crowd_people` groups of two faces or
more), distances are corrected for how crowded each event face's neighbourhood is, as adaptive
score normalisation and CSLS do, on the event faces' side only: d - w (mu_f - mu), mu_f the mean
distance from face f to its HUB_NEIGHBOURS nearest faces of other photos and of other groups than
f's own (a guest's many photos of themselves do not make their neighbourhood look crowded), mu
the event's mean of it; the guest then joins up to `crowd_join` (a group holding a face within
`crowd_near` of a query, up to `crowd_join` + `crowd_room`; with `crowd_link`, only a group holding
a face within it of a query or of a face already joined). No selfie-side term. Each face
keeps its nearest distances (`PeopleGroups.near`, kept exact as photos come and go and groups
change); the grouping itself stays on the uncorrected distance. In a crowd that distance is the
event's own centred metric (`PeopleRule.metric`, matching/centring.py), frozen between refits
because the groups and neighbour lists are kept exact on a fixed metric. Smaller events keep the plain rule:
the correction's gain is in the crowd, while on the Western dev event (second round) it cost a
tenth of the recall (benchmarks/README.md, "Issue 11, third round").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from eventface.domain.distance import Matrix, Metric

Ids = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
BLOCK_ROWS = 1024  # rows of the face x face distances held at once when grouping a whole event
# the neighbours whose mean distance measures how crowded a face's neighbourhood is (hubs, above),
# and the correction's weight (0.5: CSLS's own); the engines' joins with the correction were
# calibrated on crowd seed 2 (benchmarks/README.md, "Issue 11, third round").
HUB_NEIGHBOURS = 20
HUB_WEIGHT = 0.5
# the correction applies from this many groups of two faces or more: the crowd events of 64
# guests have 118-120 (seeds 1, 2), the dev events 21 and 31 (they keep the plain rule)
CROWD_PEOPLE = 40


def group_faces(face_ids: Ids, photo_ids: Ids, embeddings: Matrix, metric: Metric, link: float) -> Ids:
    """Per face, its group's id (the smallest face id in the group)."""
    face_ids = np.asarray(face_ids, np.int64)
    order = np.argsort(face_ids, kind="stable")
    ids, photos = face_ids[order], np.asarray(photo_ids, np.int64)[order]
    vectors = np.ascontiguousarray(embeddings[order], np.float32)
    labels = np.empty(len(ids), np.int64)
    for members in _components(photos, vectors, metric, link):
        between = metric.pairwise(vectors[members], vectors[members]).astype(np.float64)
        local = average_linkage(between, photos[members], link)
        labels[members] = _named(local, ids[members])
    out = np.empty_like(labels)
    out[order] = labels
    return out


def average_linkage(between: Floats, photo_ids: Ids, link: float) -> Ids:
    """Per face, the index of its group's first face. Groups merge closest first while their
    mean distance is within `link`; never two faces of one photo in a group."""
    n = len(between)
    d = np.array(between, np.float64)
    d[photo_ids[:, None] == photo_ids[None, :]] = np.inf  # cannot-link, and the diagonal
    size = np.ones(n)
    owner = np.arange(n)
    nearest = np.argmin(d, axis=1) if n else np.zeros(0, np.int64)
    nearest_d = d[np.arange(n), nearest]
    while n:
        a = int(np.argmin(nearest_d))
        if not nearest_d[a] <= link:
            break
        a, b = sorted((a, int(nearest[a])))
        # Lance-Williams for average linkage; inf (a cannot-link) stays inf
        row = (size[a] * d[a] + size[b] * d[b]) / (size[a] + size[b])
        row[a] = np.inf
        d[a], d[:, a] = row, row
        d[b], d[:, b] = np.inf, np.inf
        size[a] += size[b]
        owner[owner == b] = a
        nearest_d[b] = np.inf
        stale = (nearest == a) | (nearest == b)
        stale[a] = True
        stale[b] = False
        for k in np.flatnonzero(stale):
            nearest[k] = int(np.argmin(d[k]))
            nearest_d[k] = d[k, nearest[k]]
        closer = row < nearest_d
        nearest[closer] = a
        nearest_d[closer] = row[closer]
    return owner


def _named(local: Ids, ids: Ids) -> Ids:
    """Local group numbers -> the smallest face id in each group."""
    smallest: dict[int, int] = {}
    for g, face in zip(local.tolist(), ids.tolist(), strict=True):
        smallest[g] = min(face, smallest.get(g, face))
    return np.array([smallest[g] for g in local.tolist()], np.int64)


def _components(photos: Ids, vectors: Matrix, metric: Metric, link: float) -> list[Ids]:
    """Connected components of "within `link`, in different photos", as sorted index arrays."""
    n = len(photos)
    terms = metric.face_terms(vectors)
    pairs = []
    for start in range(0, n, BLOCK_ROWS):
        block = metric.distances(vectors[start : start + BLOCK_ROWS], vectors, terms)
        rows, cols = np.nonzero(block <= link)
        rows += start
        keep = (rows < cols) & (photos[rows] != photos[cols])
        pairs.append((rows[keep], cols[keep]))
    left = np.concatenate([p[0] for p in pairs]) if pairs else np.zeros(0, np.int64)
    right = np.concatenate([p[1] for p in pairs]) if pairs else np.zeros(0, np.int64)
    # every face takes the smallest label among its neighbours until nothing changes
    label = np.arange(n)
    while True:
        before = label.copy()
        np.minimum.at(label, left, label[right])
        np.minimum.at(label, right, label[left])
        label = label[label]  # pointer jumping: a label's own label is smaller or equal
        if np.array_equal(label, before):
            break
    order = np.argsort(label, kind="stable")
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    return [np.sort(part) for part in np.split(order, cuts)] if n else []


class PeopleGroups:
    """An event's people groups, kept current as photos are added and removed.

    Adding a photo groups again only the components its faces reach (see the module
    docstring), so the groups always equal `group_faces` on the faces held.
    """

    def __init__(self, metric: Metric, link: float, dim: int, *, neighbours: bool = False) -> None:
        self.metric = metric
        self.link = link
        self.face_ids: Ids = np.zeros(0, np.int64)
        self.photo_ids: Ids = np.zeros(0, np.int64)
        self.embeddings: Matrix = np.zeros((0, dim), np.float32)
        self.labels: Ids = np.zeros(0, np.int64)  # per face: its group's id
        self.component: Ids = np.zeros(0, np.int64)  # per face: its component's smallest face id
        # the metric's per-face precomputation (a value or a row per face)
        self.terms: Matrix = metric.face_terms(np.zeros((0, dim), np.float32))
        # with `neighbours` (for the hub correction), per face: its HUB_NEIGHBOURS smallest distances
        # to faces of other photos (ascending, inf where there are fewer) and those faces' ids (-1
        # there); else None (they cost about as much again as the grouping)
        self.near: Floats | None = np.zeros((0, HUB_NEIGHBOURS)) if neighbours else None
        self.near_ids: Ids | None = np.zeros((0, HUB_NEIGHBOURS), np.int64) if neighbours else None

    def __len__(self) -> int:
        return len(self.face_ids)

    @classmethod
    def singletons(
        cls, metric: Metric, face_ids: Ids, photo_ids: Ids, embeddings: Matrix, terms: Matrix
    ) -> PeopleGroups:
        """Every face its own group: the guest still joins faces by average linkage (most of the
        rule's gain, benchmarks/README.md "People groups"), with no grouping to keep current."""
        groups = cls(metric, 0.0, embeddings.shape[1] if embeddings.ndim == 2 else 0)
        groups.face_ids = np.asarray(face_ids, np.int64)
        groups.photo_ids = np.asarray(photo_ids, np.int64)
        groups.embeddings = np.asarray(embeddings, np.float32)
        groups.terms = np.asarray(terms, np.float32)
        groups.labels = groups.face_ids.copy()
        groups.component = groups.face_ids.copy()
        groups.near = groups.near_ids = None  # not measured: no hub correction (match_people)
        return groups

    def add(self, face_ids: Ids, photo_ids: Ids, embeddings: Matrix) -> None:
        """New faces (of new photos) join the groups."""
        if len(face_ids) == 0:
            return
        new = np.asarray(embeddings, np.float32)
        reached = np.zeros(len(self), bool)
        old_count = len(self)
        if len(self):
            near = self.metric.distances(new, self.embeddings, self.terms)
            linked = (near <= self.link) & (np.asarray(photo_ids)[:, None] != self.photo_ids[None, :])
            reached = np.isin(self.component, self.component[linked.any(axis=0)])
        self.face_ids = np.concatenate([self.face_ids, np.asarray(face_ids, np.int64)])
        self.photo_ids = np.concatenate([self.photo_ids, np.asarray(photo_ids, np.int64)])
        self.embeddings = np.vstack([self.embeddings, new])
        self.terms = np.concatenate([self.terms, self.metric.face_terms(new)]).astype(np.float32)
        self.labels = np.concatenate([self.labels, np.zeros(len(face_ids), np.int64)])
        self.component = np.concatenate([self.component, np.zeros(len(face_ids), np.int64)])
        changed = self._regroup(np.concatenate([reached, np.ones(len(face_ids), bool)]), old_count)
        self._add_neighbours(old_count, changed)

    def remove(self, photo_ids: Ids) -> None:
        """Faces of these photos leave; the components they were in are grouped again."""
        gone = np.isin(self.photo_ids, photo_ids)
        if not gone.any():
            return
        touched = np.isin(self.component, self.component[gone]) & ~gone
        keep = ~gone
        self.face_ids, self.photo_ids = self.face_ids[keep], self.photo_ids[keep]
        self.embeddings, self.terms = self.embeddings[keep], self.terms[keep]
        self.labels, self.component = self.labels[keep], self.component[keep]
        changed = self._regroup(touched[keep], len(self))
        if self.near is not None and self.near_ids is not None:
            self.near, self.near_ids = self.near[keep], self.near_ids[keep]  # copies: snapshots keep theirs
            stale = np.isin(self.near_ids, self.face_ids, invert=True) & (self.near_ids >= 0)
            self._measure_neighbours(np.union1d(np.flatnonzero(stale.any(axis=1)), changed))

    def people(self, min_faces: int = 2) -> int:
        """How many groups have at least `min_faces` faces."""
        _, size = np.unique(self.labels, return_counts=True)
        return int((size >= min_faces).sum())

    def hub_means(self, k: int = HUB_NEIGHBOURS) -> Floats | None:
        """Per face: the mean distance to its k nearest faces of other photos and other groups
        (None if not kept)."""
        if self.near is None:
            return None
        part = self.near[:, :k]
        finite = np.isfinite(part)
        counts = finite.sum(axis=1)
        sums = np.where(finite, part, 0.0).sum(axis=1)
        means = np.divide(sums, counts, out=np.full(len(part), np.nan), where=counts > 0)
        fill = float(np.nanmean(means)) if np.isfinite(means).any() else 0.0
        out: Floats = np.where(np.isnan(means), fill, means)  # a face alone: the event's mean
        return out

    def _add_neighbours(self, old_count: int, changed: Ids) -> None:
        """The nearest-neighbour lists after faces [old_count:] came in: the old faces take in
        the new ones of other groups where nearer, the new ones and the old ones whose group
        changed (`changed`: other old faces are left out now) are measured against everyone."""
        if self.near is None or self.near_ids is None:
            return
        near, near_ids = self.near, self.near_ids
        new_near, new_ids = [], []
        # the new faces against everyone, once: their own lists, and the old faces' take-in; a
        # block at a time (a whole event's first build would otherwise hold faces^2 distances:
        # ~0.8 GiB at 6 000 faces)
        for start in range(old_count, len(self), BLOCK_ROWS):
            new_rows = np.arange(start, min(start + BLOCK_ROWS, len(self)))
            d = self._neighbour_distances(new_rows)
            if old_count:
                both = np.concatenate([near, d[:, :old_count].T], axis=1)
                ids = np.concatenate(
                    [near_ids, np.broadcast_to(self.face_ids[new_rows], (old_count, len(new_rows)))], axis=1
                )
                near, near_ids = _smallest(both, ids)
            block_near, block_ids = _smallest(d, np.broadcast_to(self.face_ids, d.shape))
            new_near.append(block_near)
            new_ids.append(block_ids)
        self.near = np.vstack([near, *new_near])
        self.near_ids = np.vstack([near_ids, *new_ids])
        self._measure_neighbours(changed)

    def _measure_neighbours(self, rows: Ids) -> None:
        """These faces' nearest-neighbour lists, measured against every face held (but those of
        their own photo and their own group)."""
        if self.near is None or self.near_ids is None or len(rows) == 0:
            return
        near, near_ids = self.near.copy(), self.near_ids.copy()
        for start in range(0, len(rows), BLOCK_ROWS):
            at = rows[start : start + BLOCK_ROWS]
            d = self._neighbour_distances(at)
            near[at], near_ids[at] = _smallest(d, np.broadcast_to(self.face_ids, d.shape))
        self.near, self.near_ids = near, near_ids

    def _neighbour_distances(self, rows: Ids) -> Floats:
        """These faces x every face held, inf for faces of their own photo or group."""
        d = self.metric.distances(self.embeddings[rows], self.embeddings, self.terms).astype(np.float64)
        d[self.photo_ids[rows][:, None] == self.photo_ids[None, :]] = np.inf  # cannot-link, itself
        d[self.labels[rows][:, None] == self.labels[None, :]] = np.inf  # their own group
        return d

    def _regroup(self, mask: npt.NDArray[np.bool_], old_count: int) -> Ids:
        """Groups these rows again; returns the rows below `old_count` whose group's faces below
        `old_count` changed. (A group that only took in new faces keeps its faces' neighbour
        lists: the new faces were in none of them, and are left out where they join.)"""
        rows = np.flatnonzero(mask)
        if len(rows) == 0:
            return rows
        before = self.labels[rows].copy()
        ids, photos, vectors = self.face_ids[rows], self.photo_ids[rows], self.embeddings[rows]
        order = np.argsort(ids, kind="stable")
        for members in _components(photos[order], vectors[order], self.metric, self.link):
            at = rows[order[members]]
            between = self.metric.pairwise(self.embeddings[at], self.embeddings[at]).astype(np.float64)
            local = average_linkage(between, self.photo_ids[at], self.link)
            self.labels[at] = _named(local, self.face_ids[at])
            self.component[at] = self.face_ids[at].min()
        old = rows < old_count
        return rows[old][_changed_groups(before[old], self.labels[rows][old])]


def _changed_groups(before: Ids, after: Ids) -> npt.NDArray[np.bool_]:
    """Per face, whether its group's faces differ between two labellings of the same faces
    (a group renamed but with the same faces has not changed)."""
    _, old, old_size = np.unique(before, return_inverse=True, return_counts=True)
    _, new, new_size = np.unique(after, return_inverse=True, return_counts=True)
    _, both, both_size = np.unique(old * len(new_size) + new, return_inverse=True, return_counts=True)
    same = (both_size[both] == old_size[old]) & (both_size[both] == new_size[new])
    out: npt.NDArray[np.bool_] = ~same
    return out


def _smallest(d: Floats, ids: Ids) -> tuple[Floats, Ids]:
    """Per row, the HUB_NEIGHBOURS smallest distances (ascending, inf-padded) and their ids (-1)."""
    k = HUB_NEIGHBOURS
    if d.shape[1] < k:
        pad = k - d.shape[1]
        d = np.concatenate([d, np.full((len(d), pad), np.inf)], axis=1)
        ids = np.concatenate([ids, np.full((len(ids), pad), -1, np.int64)], axis=1)
    part = np.argpartition(d, k - 1, axis=1)[:, :k] if d.shape[1] > k else np.argsort(d, axis=1)
    picked = np.take_along_axis(d, part, axis=1)
    order = np.argsort(picked, axis=1, kind="stable")
    cols = np.take_along_axis(part, order, axis=1)
    out_d = np.take_along_axis(d, cols, axis=1)
    out_ids = np.where(np.isfinite(out_d), np.take_along_axis(np.asarray(ids), cols, axis=1), -1)
    return out_d, out_ids.astype(np.int64)


@dataclass(frozen=True)
class PeopleRule:
    """How a guest is matched to people groups (issue 11; numbers in benchmarks/README.md)."""

    link: float  # grouping: two groups merge while their mean distance is within this
    join: float  # the guest joins groups while the mean distance to them is within this
    guard: bool = True  # drop a face that is nearer to a face not joined than to the guest
    # hubs (module docstring): in an event of at least `crowd_people` groups of two faces or more,
    # the guest's distances are corrected by this weight, joining up to `crowd_join` instead of
    # `join`, where the groups keep their faces' neighbours (not `singletons`)
    hub_weight: float = 0.0
    crowd_join: float = 0.0
    crowd_people: int = CROWD_PEOPLE
    # with the correction: a group holding a face within `crowd_near` of a query (plain distance;
    # the engine's expansion limit) may join up to crowd_join + crowd_room, and the guest joins
    # the group with the most room left first (benchmarks/README.md, "Issue 11, fourth round")
    crowd_near: float = 0.0
    crowd_room: float = 0.0
    # with the correction: a group is joined only if one of its faces lies within `crowd_link`
    # (plain distance) of a query or of a face already joined; the correction can pull a lonely
    # stranger's whole group within the crowd join while no face of it is near the guest's
    # (benchmarks/README.md, "Issue 11, fifth round"). 0: no such check
    crowd_link: float = 0.0
    # the metric the groups and the guest's distances are measured in, when not the index's: an
    # event's own centred metric in a crowd (matching/centring.py), the same for every search
    metric: Metric | None = None

    def scaled(self, scale: float) -> PeopleRule:
        """The rule with its joins (and the reach and room near a query) scaled, its grouping
        kept: a stricter rule over the same groups (poor selfies)."""
        return replace(
            self,
            join=self.join * scale,
            crowd_join=self.crowd_join * scale,
            crowd_near=self.crowd_near * scale,
            crowd_room=self.crowd_room * scale,
            crowd_link=self.crowd_link * scale,
        )

    def corrects(self, groups: PeopleGroups) -> bool:
        """Whether the hub correction applies to these groups (a crowd, neighbours kept)."""
        return bool(self.hub_weight) and groups.near is not None and groups.people() >= self.crowd_people


@dataclass(frozen=True)
class Accepted:
    """The faces a guest is matched to, row-aligned."""

    face_ids: Ids
    photo_ids: Ids
    distances: Floats  # to the nearest query
    group_ids: Ids


DISTANCE_CAP = 10.0  # a far face counts at most this much in a mean (any real match is near 1)


def match_people(groups: PeopleGroups, queries: Matrix, rule: PeopleRule) -> Accepted:
    """The guest's faces: the guest (their queries, one point at each face's nearest query)
    joins the event's groups by average linkage, closest first, while the mean distance from
    everything joined so far to the next group is within `rule.join`, never two groups that
    share a photo (in a crowd, a group near a query has `crowd_room` more: the one with the most
    room left is joined first, and with `crowd_link` only a group holding a face within it, plain
    distance, of a query or a joined face). With `rule.guard`, a joined face nearer to a face
    outside the joined groups than to the guest is dropped ("not nearer to a stranger")."""
    n = len(groups)
    if n == 0 or len(queries) == 0:
        return _accepted(groups, np.zeros(n, bool), np.zeros(n))
    metric = groups.metric
    near = metric.distances(np.asarray(queries, np.float32), groups.embeddings, groups.terms).astype(
        np.float64
    )
    plain = near.min(axis=0)
    hubs = groups.hub_means() if rule.corrects(groups) else None
    join = rule.join
    if hubs is not None:  # d - w (mu_face - mu_event): see the module docstring
        offset = rule.hub_weight * (hubs - float(hubs.mean()))
        near = near - offset[None, :]
        join = rule.crowd_join
    d = near.min(axis=0)
    _, inverse, size = np.unique(groups.labels, return_inverse=True, return_counts=True)
    # per group h: the sum over the joined cluster's points of (weight x mean distance to h)
    total = np.bincount(inverse, weights=np.minimum(d, DISTANCE_CAP)) / size
    room = np.zeros(len(size))  # per group: how far beyond `join` it may still be joined
    if hubs is not None and rule.crowd_room:
        room[np.bincount(inverse, weights=plain <= rule.crowd_near, minlength=len(size)) > 0] = (
            rule.crowd_room
        )
    # per group: whether it may be joined (the single-link check; every group without it)
    linked = np.ones(len(size), bool)
    if hubs is not None and rule.crowd_link:
        linked = np.bincount(inverse, weights=plain <= rule.crowd_link, minlength=len(size)) > 0
    mass = 1.0
    joined = np.zeros(len(size), bool)
    rows: list[Floats] = []  # joined faces x every face, for the guard
    joined_faces: list[Ids] = []
    while True:
        h = int(np.argmin(np.where(joined | ~linked, np.inf, total / mass - room)))
        if joined[h] or not linked[h] or not total[h] / mass <= join + room[h]:
            break
        members = np.flatnonzero(inverse == h)
        between = metric.distances(groups.embeddings[members], groups.embeddings, groups.terms).astype(
            np.float64
        )
        if hubs is not None and rule.crowd_link:
            linked |= (
                np.bincount(inverse, weights=(between <= rule.crowd_link).any(axis=0), minlength=len(size))
                > 0
            )
        if hubs is not None:
            between = between - offset[members][:, None] - offset[None, :]
        between = np.minimum(between, DISTANCE_CAP)
        same_photo = groups.photo_ids[members][:, None] == groups.photo_ids[None, :]
        sums = np.bincount(inverse, weights=between.sum(axis=0), minlength=len(size))
        mean = sums / (size * len(members))
        mean[np.bincount(inverse, weights=same_photo.any(axis=0), minlength=len(size)) > 0] = np.inf
        total += len(members) * mean
        mass += len(members)
        joined[h] = True
        rows.append(np.where(same_photo, np.inf, between))  # a face is no stranger to itself
        joined_faces.append(members)
    chosen = joined[inverse]
    if rule.guard and rows:
        faces = np.concatenate(joined_faces)
        nearer = (np.vstack(rows) < d[faces][:, None]) & ~chosen[None, :]
        chosen[faces[nearer.any(axis=1)]] = False
    return _accepted(groups, chosen, plain)


def _accepted(groups: PeopleGroups, chosen: npt.NDArray[np.bool_], d: Floats) -> Accepted:
    return Accepted(groups.face_ids[chosen], groups.photo_ids[chosen], d[chosen], groups.labels[chosen])
