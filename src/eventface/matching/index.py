"""The vector-index protocol: an event's face embeddings, searchable by distance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from eventface.domain.distance import Matrix, Metric
from eventface.domain.models import FaceMatrix

Ids = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Hits:
    """Every (query, face) pair within the distance limit, as parallel arrays."""

    query: npt.NDArray[np.intp]
    face_ids: Ids
    photo_ids: Ids
    distances: Matrix
    heights: Matrix  # face box height in the full-resolution photo
    sharpness: Matrix  # the aligned face chip's variance of the Laplacian

    def __len__(self) -> int:
        return len(self.face_ids)

    def usable(self, min_height_px: float, min_sharpness: float) -> Hits:
        """Only faces at least this tall and this sharp: the others stay indexed but do not match."""
        if min_height_px <= 0 and min_sharpness <= 0:
            return self
        return self.where((self.heights >= min_height_px) & (self.sharpness >= min_sharpness))

    def merge(self, other: Hits) -> Hits:
        """Both sets of hits; `other`'s query numbers follow this one's."""
        offset = int(self.query.max()) + 1 if len(self) else 0
        return Hits(
            np.concatenate([self.query, other.query + offset]),
            np.concatenate([self.face_ids, other.face_ids]),
            np.concatenate([self.photo_ids, other.photo_ids]),
            np.concatenate([self.distances, other.distances]),
            np.concatenate([self.heights, other.heights]),
            np.concatenate([self.sharpness, other.sharpness]),
        )

    def where(self, mask: npt.NDArray[np.bool_]) -> Hits:
        return Hits(
            self.query[mask],
            self.face_ids[mask],
            self.photo_ids[mask],
            self.distances[mask],
            self.heights[mask],
            self.sharpness[mask],
        )


@dataclass(frozen=True)
class EventFaces:
    metric: Metric
    faces: FaceMatrix
    terms: Matrix  # the metric's per-face precomputation, row-aligned


class VectorIndex(Protocol):
    """Per-event face embeddings kept in memory and updated incrementally.

    Each event is held at a revision, the database's count of changes to the event's faces.
    `apply` steps an event from revision `since` (by default r-1) to r: the faces of
    `removed_photo_ids` go, `added` come in. If the index holds any other revision (another
    process changed the faces meanwhile) it leaves the event as it is, and the next search
    catches up from the revision held, with only the photos changed since (services/search.py).
    An implementation may drop events it has not searched lately; `revision` is then None.
    """

    def revision(self, event_id: int) -> int | None: ...

    def restore(self, event_id: int, metric: Metric) -> int | None:
        """Holds the event again from a copy saved on disk for this metric, if there is one (it may be
        behind the database: catch it up from the revision returned). The revision now held, or None."""
        ...

    def load(self, event_id: int, revision: int, metric: Metric, faces: FaceMatrix) -> None: ...

    def apply(
        self,
        event_id: int,
        revision: int,
        removed_photo_ids: Ids,
        added: FaceMatrix,
        *,
        since: int | None = None,
    ) -> None: ...

    def search(
        self,
        event_id: int,
        queries: Matrix,
        max_distance: float,
        *,
        thorough: bool = True,
        limits: Matrix | None = None,
    ) -> Hits:
        """Every (query, face) pair within `max_distance`. `thorough=False` is for a caller that
        can do with most of them at less cost (the stranger guard, looking for any nearer face): an
        approximate index reads less of the event; an exact one ignores it. `limits`, one per
        query row, narrows each query to its own distance (never beyond `max_distance`): queries
        that each need a different reach (the guard's) pay only for their own."""
        ...

    def every_face(self, event_id: int) -> EventFaces | None:
        """The event's faces with their exact float32 embeddings; None when the event is held
        compactly (too many faces to read whole in a search)."""
        ...

    def vectors(self, event_id: int, face_ids: Ids) -> Matrix:
        """The stored embeddings of these faces, in the order given."""
        ...

    def drop(self, event_id: int) -> None:
        """Forgets the event, and deletes any copy saved of it: the event is gone."""
        ...
