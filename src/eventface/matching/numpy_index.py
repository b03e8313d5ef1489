"""Brute-force search over float32 matrices: 10 000 photos' faces take milliseconds, no ANN needed."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from eventface.domain.distance import Matrix, Metric
from eventface.domain.models import FaceMatrix
from eventface.errors import NotFoundError
from eventface.matching.index import Hits, Ids


@dataclass(frozen=True)
class _EventFaces:
    revision: int
    metric: Metric
    faces: FaceMatrix
    terms: Matrix  # the metric's per-face precomputation, row-aligned with faces


class NumpyVectorIndex:
    """Searches read an immutable snapshot; writers swap in a new one under a lock."""

    def __init__(self) -> None:
        self._events: dict[int, _EventFaces] = {}
        self._lock = threading.Lock()

    def revision(self, event_id: int) -> int | None:
        held = self._events.get(event_id)
        return held.revision if held else None

    def load(self, event_id: int, revision: int, metric: Metric, faces: FaceMatrix) -> None:
        snapshot = FaceMatrix(
            np.asarray(faces.face_ids, np.int64),
            np.asarray(faces.photo_ids, np.int64),
            np.ascontiguousarray(faces.embeddings, np.float32),
            np.asarray(faces.heights, np.float32),
            np.asarray(faces.sharpness, np.float32),
        )
        with self._lock:
            self._events[event_id] = _EventFaces(
                revision, metric, snapshot, metric.face_terms(snapshot.embeddings)
            )

    def apply(self, event_id: int, revision: int, removed_photo_ids: Ids, added: FaceMatrix) -> None:
        with self._lock:
            held = self._events.get(event_id)
            if held is None:
                return
            if held.revision != revision - 1:
                del self._events[event_id]
                return
            old = held.faces
            keep = ~np.isin(old.photo_ids, removed_photo_ids)
            embeddings = old.embeddings[keep]
            if len(added):
                base = embeddings if len(embeddings) else np.zeros((0, added.embeddings.shape[1]), np.float32)
                embeddings = np.vstack([base, added.embeddings.astype(np.float32)])
            faces = FaceMatrix(
                np.concatenate([old.face_ids[keep], added.face_ids]),
                np.concatenate([old.photo_ids[keep], added.photo_ids]),
                embeddings,
                np.concatenate([old.heights[keep], added.heights]).astype(np.float32),
                np.concatenate([old.sharpness[keep], added.sharpness]).astype(np.float32),
            )
            terms = held.terms[keep]
            if len(added):
                terms = np.concatenate([terms, held.metric.face_terms(added.embeddings.astype(np.float32))])
            self._events[event_id] = _EventFaces(revision, held.metric, faces, terms.astype(np.float32))

    def search(self, event_id: int, queries: Matrix, max_distance: float) -> Hits:
        held = self._held(event_id)
        faces = held.faces
        if len(faces) == 0 or len(queries) == 0:
            no_ids = np.zeros(0, np.int64)
            none = np.zeros(0, np.float32)
            return Hits(np.zeros(0, np.intp), no_ids, no_ids, none, none, none)
        distances = held.metric.distances(np.asarray(queries, np.float32), faces.embeddings, held.terms)
        query, column = np.nonzero(distances <= max_distance)
        return Hits(
            query=query,
            face_ids=faces.face_ids[column],
            photo_ids=faces.photo_ids[column],
            distances=distances[query, column],
            heights=faces.heights[column],
            sharpness=faces.sharpness[column],
        )

    def vectors(self, event_id: int, face_ids: Ids) -> Matrix:
        faces = self._held(event_id).faces
        if len(face_ids) == 0:
            return faces.embeddings[:0]
        order = np.argsort(faces.face_ids)
        positions = np.searchsorted(faces.face_ids, face_ids, sorter=order)
        rows = order[np.clip(positions, 0, max(len(order) - 1, 0))] if len(order) else positions
        if len(order) == 0 or not np.array_equal(faces.face_ids[rows], face_ids):
            raise NotFoundError(f"some of these faces are not in event {event_id}'s index")
        return faces.embeddings[rows]

    def _held(self, event_id: int) -> _EventFaces:
        held = self._events.get(event_id)
        if held is None:
            raise NotFoundError(f"event {event_id} is not loaded in the vector index")
        return held

    def drop(self, event_id: int) -> None:
        with self._lock:
            self._events.pop(event_id, None)
