"""Events' faces in memory, searched exactly in float32 or, for big events, compactly (compact_faces.py).

Below `compact_from_faces` an event is a float32 matrix scanned whole, all queries in one matrix
product: exact, and fast enough (benchmarks/README.md, "Big events"). From there on its faces are
float16 codes in an IVF index with an exact re-rank: about half the memory, and a search reads a
few inverted lists instead of every face. Over the memory budget, the events searched least
recently are dropped; the next search of one loads it again.

With `saved`, a compact event is also kept on disk (saved_faces.py), at the revision it was built
at and again every RESAVE_AFTER revisions after: the next process to search it, or this one after
the event left memory, reads it back instead of building it.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from eventface.domain.distance import Matrix, Metric
from eventface.domain.models import FaceMatrix
from eventface.errors import NotFoundError
from eventface.matching.blas_threads import one_blas_thread
from eventface.matching.compact_faces import CompactFaces, Probing, compact
from eventface.matching.index import EventFaces, Hits, Ids
from eventface.matching.saved_faces import SavedEvent, SavedFaces

log = logging.getLogger(__name__)

COMPACT_FROM_FACES = 50_000  # an exact scan of 65 queries over 50 000 faces: ~0.1 s on two loaded cores
# revisions (about one per photo indexed or removed) after which a saved copy is written again: a
# copy far behind makes every process that reads it catch up with all those photos from the database
RESAVE_AFTER = 1000


@dataclass(frozen=True)
class _Attributes:
    """What a hit reports besides its distance, sorted by face id."""

    face_ids: Ids
    photo_ids: Ids
    heights: Matrix
    sharpness: Matrix

    @staticmethod
    def of(faces: FaceMatrix) -> _Attributes:
        order = np.argsort(faces.face_ids, kind="stable")
        return _Attributes(
            np.asarray(faces.face_ids, np.int64)[order],
            np.asarray(faces.photo_ids, np.int64)[order],
            np.asarray(faces.heights, np.float32)[order],
            np.asarray(faces.sharpness, np.float32)[order],
        )

    def rows(self, face_ids: Ids) -> Ids:
        """Positions of these faces; NotFoundError if any is not held."""
        rows = np.searchsorted(self.face_ids, face_ids)
        inside = np.clip(rows, 0, max(len(self.face_ids) - 1, 0))
        if len(face_ids) and (len(self.face_ids) == 0 or not np.array_equal(self.face_ids[inside], face_ids)):
            raise NotFoundError("some of these faces are not in the event's index")
        found: Ids = inside.astype(np.int64)
        return found

    def without_photos(self, photo_ids: Ids) -> tuple[_Attributes, Ids]:
        """These attributes less the faces of `photo_ids`, and the face ids taken out."""
        gone = np.isin(self.photo_ids, photo_ids)
        kept = _Attributes(
            self.face_ids[~gone], self.photo_ids[~gone], self.heights[~gone], self.sharpness[~gone]
        )
        return kept, self.face_ids[gone]

    def plus(self, added: FaceMatrix) -> _Attributes:
        if len(added) == 0:
            return self
        ids = np.asarray(added.face_ids, np.int64)
        if (len(self.face_ids) == 0 or ids[0] > self.face_ids[-1]) and bool(np.all(ids[1:] > ids[:-1])):
            # new faces have the newest ids: no need to sort a million rows for each new photo
            return _Attributes(
                np.concatenate([self.face_ids, ids]),
                np.concatenate([self.photo_ids, np.asarray(added.photo_ids, np.int64)]),
                np.concatenate([self.heights, np.asarray(added.heights, np.float32)]),
                np.concatenate([self.sharpness, np.asarray(added.sharpness, np.float32)]),
            )
        both = FaceMatrix(
            np.concatenate([self.face_ids, added.face_ids]),
            np.concatenate([self.photo_ids, added.photo_ids]),
            np.zeros((0, 0), np.float32),
            np.concatenate([self.heights, added.heights]),
            np.concatenate([self.sharpness, added.sharpness]),
        )
        return _Attributes.of(both)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.face_ids, self.photo_ids, self.heights, self.sharpness))

    def hits(self, query: Ids, face_ids: Ids, distances: Matrix) -> Hits:
        """Hits on held faces; a face an update added after this snapshot was taken is left out."""
        rows = np.clip(np.searchsorted(self.face_ids, face_ids), 0, max(len(self.face_ids) - 1, 0))
        held = self.face_ids[rows] == face_ids if len(self.face_ids) else np.zeros(len(face_ids), bool)
        rows = rows[held]
        return Hits(
            query[held].astype(np.intp),
            face_ids[held],
            self.photo_ids[rows],
            distances[held],
            self.heights[rows],
            self.sharpness[rows],
        )


def _per_row(tolerance: float, limits: Matrix | None) -> Matrix | float:
    """The distance each query row reaches: its own limit (never beyond the tolerance), or the tolerance."""
    if limits is None:
        return tolerance
    per_row: Matrix = np.minimum(np.asarray(limits, np.float32), np.float32(tolerance))[:, None]
    return per_row


def _no_hits() -> Hits:
    no_ids = np.zeros(0, np.int64)
    none = np.zeros(0, np.float32)
    return Hits(np.zeros(0, np.intp), no_ids, no_ids, none, none, none)


@dataclass(frozen=True)
class _ExactFaces:
    """An immutable float32 snapshot: searches read it while a writer builds the next one."""

    metric: Metric
    attributes: _Attributes
    embeddings: Matrix  # row-aligned with attributes
    terms: Matrix  # the metric's per-face precomputation, row-aligned too

    @staticmethod
    def of(metric: Metric, faces: FaceMatrix) -> _ExactFaces:
        order = np.argsort(faces.face_ids, kind="stable")
        embeddings = np.ascontiguousarray(np.asarray(faces.embeddings, np.float32)[order])
        return _ExactFaces(metric, _Attributes.of(faces), embeddings, metric.face_terms(embeddings))

    def __len__(self) -> int:
        return len(self.attributes.face_ids)

    @property
    def nbytes(self) -> int:
        return self.attributes.nbytes + self.embeddings.nbytes + self.terms.nbytes

    def search(
        self, queries: Matrix, tolerance: float, thorough: bool = True, limits: Matrix | None = None
    ) -> Hits:
        if len(self) == 0 or len(queries) == 0:
            return _no_hits()
        distances = self.metric.distances(queries, self.embeddings, self.terms)
        query, column = np.nonzero(distances <= _per_row(tolerance, limits))
        return self.attributes.hits(query, self.attributes.face_ids[column], distances[query, column])

    def vectors(self, face_ids: Ids) -> Matrix:
        return self.embeddings[self.attributes.rows(face_ids)]

    def changed(self, removed_photo_ids: Ids, added: FaceMatrix) -> FaceMatrix:
        """All the faces after the change, as one matrix."""
        keep = ~np.isin(self.attributes.photo_ids, removed_photo_ids)
        a = self.attributes
        embeddings = self.embeddings[keep]
        if len(added):
            embeddings = np.vstack([embeddings.reshape(-1, added.embeddings.shape[1]), added.embeddings])
        return FaceMatrix(
            np.concatenate([a.face_ids[keep], added.face_ids]),
            np.concatenate([a.photo_ids[keep], added.photo_ids]),
            np.asarray(embeddings, np.float32),
            np.concatenate([a.heights[keep], added.heights]).astype(np.float32),
            np.concatenate([a.sharpness[keep], added.sharpness]).astype(np.float32),
        )


@dataclass(frozen=True)
class _CompactEvent:
    """A big event: codes in a faiss index (updated in place under its own lock), attributes beside."""

    store: CompactFaces
    attributes: _Attributes

    @property
    def metric(self) -> Metric:
        return self.store.metric

    def __len__(self) -> int:
        return len(self.store)

    @property
    def nbytes(self) -> int:
        return self.store.nbytes + self.attributes.nbytes

    def search(
        self, queries: Matrix, tolerance: float, thorough: bool = True, limits: Matrix | None = None
    ) -> Hits:
        if len(self) == 0 or len(queries) == 0:
            return _no_hits()
        candidates, vectors = self.store.candidates(queries, tolerance, thorough=thorough, limits=limits)
        if len(candidates) == 0:
            return _no_hits()
        # the exact re-rank: every query against every candidate, in the metric's own float32 arithmetic
        with one_blas_thread():
            distances = self.metric.pairwise(queries, vectors)
        query, column = np.nonzero(distances <= _per_row(tolerance, limits))
        return self.attributes.hits(query, candidates[column], distances[query, column])

    def vectors(self, face_ids: Ids) -> Matrix:
        self.attributes.rows(face_ids)  # NotFoundError for a face not held
        return self.store.vectors(face_ids)

    def saved(self, revision: int) -> SavedEvent:
        a = self.attributes
        return SavedEvent(revision, self.store, a.face_ids, a.photo_ids, a.heights, a.sharpness)

    @staticmethod
    def of_saved(saved: SavedEvent) -> _CompactEvent:
        return _CompactEvent(
            saved.store, _Attributes(saved.face_ids, saved.photo_ids, saved.heights, saved.sharpness)
        )

    def changed(self, removed_photo_ids: Ids, added: FaceMatrix) -> _CompactEvent:
        attributes, gone = self.attributes.without_photos(removed_photo_ids)
        self.store.remove(gone)
        self.store.add(np.asarray(added.embeddings, np.float32), added.face_ids)
        return _CompactEvent(self.store, attributes.plus(added))


_Faces = _ExactFaces | _CompactEvent


@dataclass(frozen=True)
class _Held:
    revision: int
    faces: _Faces


class NumpyVectorIndex:
    """Each event at a revision; searches read what is held while writers swap in the next state."""

    def __init__(
        self,
        *,
        memory_budget_bytes: int = 0,
        compact_from_faces: int | None = None,  # None: COMPACT_FROM_FACES
        probing: Probing | None = None,  # None: the defaults
        saved: SavedFaces | None = None,
    ) -> None:
        self._events: OrderedDict[int, _Held] = OrderedDict()  # least recently searched first
        self._lock = threading.Lock()  # the dict of events, briefly
        self._updating = threading.Lock()
        self._budget = memory_budget_bytes  # 0: no limit
        self._compact_from = COMPACT_FROM_FACES if compact_from_faces is None else compact_from_faces
        self._probing = probing or Probing()
        self._saved = saved
        self._saved_at: dict[int, int] = {}  # revision of each event's copy on disk

    def revision(self, event_id: int) -> int | None:
        held = self._events.get(event_id)
        return held.revision if held else None

    def restore(self, event_id: int, metric: Metric) -> int | None:
        held = self._events.get(event_id)
        if held is not None:
            return held.revision
        saved = self._saved.load(event_id, metric, self._probing) if self._saved else None
        if saved is None:
            return None
        self._saved_at[event_id] = saved.revision
        self._hold(event_id, saved.revision, _CompactEvent.of_saved(saved))
        return saved.revision

    def load(self, event_id: int, revision: int, metric: Metric, faces: FaceMatrix) -> None:
        state = self._faces(metric, faces)
        self._hold(event_id, revision, state)
        if isinstance(state, _CompactEvent):
            self._save(event_id, revision, state)

    def _hold(self, event_id: int, revision: int, state: _Faces) -> None:
        with self._lock:
            self._events[event_id] = _Held(revision, state)
            self._events.move_to_end(event_id)
            self._evict(keep=event_id)

    def _save(self, event_id: int, revision: int, state: _CompactEvent) -> None:
        if self._saved is None:
            return
        try:
            self._saved.save(event_id, state.saved(revision))
        except OSError:  # a full or read-only disk costs the next process a build, not this search
            log.exception("event %s: could not save its index", event_id)
            return
        self._saved_at[event_id] = revision

    def apply(
        self,
        event_id: int,
        revision: int,
        removed_photo_ids: Ids,
        added: FaceMatrix,
        *,
        since: int | None = None,
    ) -> None:
        # one update at a time (a compact event changes in place), while searches go on
        with self._updating:
            held = self._events.get(event_id)
            if held is None or held.revision != (revision - 1 if since is None else since):
                return  # not held, or at another revision: the next search catches up from what is held
            faces = held.faces
            if isinstance(faces, _ExactFaces):
                state: _Faces = self._faces(faces.metric, faces.changed(removed_photo_ids, added))
            else:
                state = faces.changed(removed_photo_ids, added)
            with self._lock:
                if self._events.get(event_id) is not held:  # dropped or loaded anew meanwhile
                    return
                self._events[event_id] = _Held(revision, state)
                self._evict(keep=event_id)
            # saved again when far behind, or first saved when it has just grown compact
            behind = revision - self._saved_at.get(event_id, revision - RESAVE_AFTER)
            if isinstance(state, _CompactEvent) and behind >= RESAVE_AFTER:
                self._save(event_id, revision, state)

    def search(
        self,
        event_id: int,
        queries: Matrix,
        max_distance: float,
        *,
        thorough: bool = True,
        limits: Matrix | None = None,
    ) -> Hits:
        if limits is not None and len(limits) != len(queries):
            raise ValueError(f"{len(limits)} limits for {len(queries)} queries")
        with self._lock:
            held = self._held(event_id)
            self._events.move_to_end(event_id)
        return held.faces.search(np.asarray(queries, np.float32), max_distance, thorough, limits)

    def vectors(self, event_id: int, face_ids: Ids) -> Matrix:
        return self._held(event_id).faces.vectors(np.asarray(face_ids, np.int64))

    def every_face(self, event_id: int) -> EventFaces | None:
        faces = self._held(event_id).faces
        if not isinstance(faces, _ExactFaces):
            return None
        a = faces.attributes
        matrix = FaceMatrix(a.face_ids, a.photo_ids, faces.embeddings, a.heights, a.sharpness)
        return EventFaces(faces.metric, matrix, faces.terms)

    def drop(self, event_id: int) -> None:
        with self._lock:
            self._events.pop(event_id, None)
        self._saved_at.pop(event_id, None)
        if self._saved is not None:
            self._saved.remove(event_id)

    @property
    def nbytes(self) -> int:
        """Memory the held events take (their arrays and codes)."""
        return sum(held.faces.nbytes for held in list(self._events.values()))

    def _faces(self, metric: Metric, faces: FaceMatrix) -> _Faces:
        if len(faces) >= self._compact_from:
            store = compact(metric, faces, self._probing)
            if store is not None:
                return _CompactEvent(store, _Attributes.of(faces))
        return _ExactFaces.of(metric, faces)

    def _evict(self, keep: int) -> None:
        """Drops the least recently searched events until the budget holds (never `keep`)."""
        if not self._budget:
            return
        total = sum(held.faces.nbytes for held in self._events.values())
        for event_id in list(self._events):
            if total <= self._budget:
                return
            if event_id != keep:
                total -= self._events.pop(event_id).faces.nbytes
                log.info("event %s left the vector index: over its memory budget", event_id)

    def _held(self, event_id: int) -> _Held:
        held = self._events.get(event_id)
        if held is None:
            raise NotFoundError(f"event {event_id} is not loaded in the vector index")
        return held
