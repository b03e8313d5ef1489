"""A large event made of synthetic embeddings, for search-latency benchmarks.

Random unit vectors cost the vector search exactly what real ones do. `planted` photos get a
noisy copy of a given embedding (the benchmark's selfie), so a search returns real matches.
"""

from __future__ import annotations

import numpy as np

from eventface.db.tables import EventRow, FaceRow, PhotoRow
from eventface.domain.models import PhotoStatus
from eventface.faces.engine import FaceEngine
from eventface.runtime import Runtime


def synthetic_event(
    rt: Runtime,
    engine: FaceEngine,
    dim: int,
    *,
    photos: int = 10_000,
    faces_per_photo: int = 3,
    planted: np.ndarray | None = None,
    planted_photos: int = 0,
    slug: str = "bench10k",
    owner_id: int | None = None,
) -> int:
    """Adds the event to `rt`'s database; returns its id."""
    rng = np.random.default_rng(0)
    with rt.transactions() as uow:
        event = EventRow(
            name="10k",
            slug=slug,
            source_kind="local_folder",
            source_uri="/nonexistent",
            engine=engine.name,
            faces_revision=1,
            owner_id=owner_id,
        )
        uow.session.add(event)
        uow.session.flush()
        for p in range(photos):
            photo = PhotoRow(
                event_id=event.id,
                source_file_id=f"p{p:05d}.jpg",
                name=f"p{p:05d}.jpg",
                source_version="1",
                size_bytes=1,
                status=PhotoStatus.INDEXED.value,
                face_count=faces_per_photo,
                engine=engine.name,
                width=4000,
                height=3000,
            )
            uow.session.add(photo)
            uow.session.flush()
            vectors = rng.normal(size=(faces_per_photo, dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            if planted is not None and p % max(1, photos // max(1, planted_photos)) == 0:
                noise = rng.normal(scale=0.01, size=dim).astype(np.float32)
                vectors[0] = planted + noise
            uow.session.add_all(
                FaceRow(
                    photo_id=photo.id,
                    event_id=event.id,
                    engine=engine.name,
                    model=engine.model,
                    left=0,
                    top=0,
                    right=100,
                    bottom=100,
                    score=1.0,
                    sharpness=100.0,
                    embedding=v.astype("<f4").tobytes(),
                )
                for v in vectors
            )
        return event.id
