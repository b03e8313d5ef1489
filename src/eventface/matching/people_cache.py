"""Each event's people groups, kept in step with the faces the vector index holds (issue 11).

A search hands the cache the faces the index holds now (`VectorIndex.every_face`); the cache
diffs them against the faces its groups hold and applies the difference with
`PeopleGroups.remove` / `add`, which is exact (incremental == batch `group_faces`), so an
event is grouped once and then only its changed photos are, never the whole event per search.

Grouping a big event takes long (benchmarks/README.md "People matching in the product": 540
faces 0.02 s, 6 000 faces seconds, 30 000 faces minutes), so work above `background_above`
faces (the first build of a big event, a big batch of new photos) runs on a background thread,
one per event at a time; until it is done `groups` returns None and the search matches the
guest to single faces instead.

The groups are kept for one metric, link and neighbour setting per event: asked for another (an
event that has just become a crowd is grouped in its centred metric, matching/centring.py, and
again after a refit), the cache groups the event anew. The metrics compare by value, so the same
stored fit read by every search keeps the groups.

The cache lives as long as the index it mirrors (`PeopleCache.of`), and forgets an event the
index no longer holds exactly, or the least recently searched beyond `max_events`.
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from eventface.domain.distance import Metric
from eventface.matching.index import EventFaces, VectorIndex
from eventface.matching.people import PeopleGroups

BACKGROUND_ABOVE = 1000  # faces to group in one go above which a search does not wait for it
MAX_EVENTS = 32  # events whose groups are kept (an event's groups are ~its embeddings again)


@dataclass
class _Entry:
    metric: Metric
    link: float
    neighbours: bool  # the groups keep each face's nearest neighbours (PeopleGroups)
    groups: PeopleGroups | None = None  # None until first built
    lock: threading.Lock = field(default_factory=threading.Lock)  # held while `groups` changes
    builder: threading.Thread | None = None  # the background update running, if any


class PeopleCache:
    """Per event: the people groups of the faces the index holds. Safe for concurrent searches."""

    def __init__(self, background_above: int = BACKGROUND_ABOVE, max_events: int = MAX_EVENTS) -> None:
        self.background_above = background_above
        self.max_events = max_events
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = threading.Lock()  # the dict of entries, briefly

    @classmethod
    def of(cls, index: VectorIndex) -> PeopleCache:
        """The cache of this index: created on first use, gone with the index (no caller,
        runtime or settings has to carry it)."""
        with _BY_INDEX_LOCK:
            cache = _BY_INDEX.get(index)
            if cache is None:
                cache = _BY_INDEX[index] = cls()
            return cache

    @classmethod
    def attach(cls, index: VectorIndex, cache: PeopleCache) -> None:
        """Use this cache for this index (tests, benchmarks: another background threshold)."""
        with _BY_INDEX_LOCK:
            _BY_INDEX[index] = cache

    def groups(
        self, event_id: int, held: EventFaces | None, link: float, neighbours: bool = False
    ) -> PeopleGroups | None:
        """The groups of exactly the faces in `held` (a snapshot: later changes do not touch
        it), or None while a background update of the event runs, or when the index does not
        hold the event exactly (then the event is forgotten)."""
        if held is None:
            self.forget(event_id)
            return None
        entry = self._entry(event_id, held.metric, link, neighbours)
        with entry.lock:
            if entry.builder is not None:
                return None
            dim = held.faces.embeddings.shape[1]
            groups = entry.groups or PeopleGroups(held.metric, link, dim, neighbours=neighbours)
            gone, new = _diff(groups, held)
            if int(gone.sum()) + len(new) > self.background_above:
                entry.builder = threading.Thread(
                    target=self._update_in_background,
                    args=(entry, _snapshot(groups), held),
                    name=f"people-groups-{event_id}",
                    daemon=True,  # a half-built cache is worth nothing at shutdown
                )
                entry.builder.start()
                return None
            _apply(groups, held, gone, new)
            entry.groups = groups
            return _snapshot(groups)

    def forget(self, event_id: int) -> None:
        with self._lock:
            self._entries.pop(event_id, None)

    def wait(self, timeout: float) -> bool:
        """Waits for the background updates running now; whether they all finished in time."""
        with self._lock:
            builders = [e.builder for e in self._entries.values() if e.builder is not None]
        for builder in builders:
            builder.join(timeout)
        return not any(b.is_alive() for b in builders)

    def _entry(self, event_id: int, metric: Metric, link: float, neighbours: bool) -> _Entry:
        with self._lock:
            entry = self._entries.get(event_id)
            if entry is None or (entry.link, entry.metric, entry.neighbours) != (link, metric, neighbours):
                entry = self._entries[event_id] = _Entry(metric, link, neighbours)  # another rule: group anew
            self._entries.move_to_end(event_id)
            while len(self._entries) > self.max_events:
                self._entries.popitem(last=False)
            return entry

    @staticmethod
    def _update_in_background(entry: _Entry, groups: PeopleGroups, held: EventFaces) -> None:
        done = False
        try:
            _apply(groups, held, *_diff(groups, held))
            done = True
        finally:  # on an error the next search starts over from the groups last published
            with entry.lock:
                if done:
                    entry.groups = groups
                entry.builder = None


# each index's cache, kept as long as the index is (the index is what the groups mirror)
_BY_INDEX: weakref.WeakKeyDictionary[VectorIndex, PeopleCache] = weakref.WeakKeyDictionary()
_BY_INDEX_LOCK = threading.Lock()


def _diff(groups: PeopleGroups, held: EventFaces) -> tuple[np.ndarray, np.ndarray]:
    """(per grouped face: whether its photo must leave, the held rows to add). A photo whose
    faces changed leaves whole and its held faces come back: `remove` takes photos."""
    held_ids = held.faces.face_ids
    missing = ~np.isin(groups.face_ids, held_ids)
    gone = np.isin(groups.photo_ids, groups.photo_ids[missing])
    staying = groups.face_ids[~gone]
    new = np.flatnonzero(~np.isin(held_ids, staying))
    return gone, new


def _apply(groups: PeopleGroups, held: EventFaces, gone: np.ndarray, new: np.ndarray) -> None:
    if gone.any():
        groups.remove(np.unique(groups.photo_ids[gone]))
    if len(new):
        f = held.faces
        groups.add(f.face_ids[new], f.photo_ids[new], f.embeddings[new])


def _snapshot(groups: PeopleGroups) -> PeopleGroups:
    """A copy later updates do not touch: `add` and `remove` replace the face arrays, and only
    the group and component labels are written in place."""
    out = copy.copy(groups)
    out.labels = groups.labels.copy()
    out.component = groups.component.copy()
    return out
