"""Driving the real ingest and search services with the fake colour-square engine, and reading the result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from eventface.db.tables import FaceRow, IndexTaskRow, PhotoRow
from eventface.domain.models import Event
from eventface.faces.pool import InlineAnalyzer
from eventface.runtime import Runtime, build_runtime
from eventface.services import events, ingest, search
from eventface.services.ingest import EngineInfo, IndexReport, ProgressCallback
from eventface.settings import Settings
from eventface.sources.base import PhotoSource
from eventface.sources.local_folder import LocalFolderSource
from tests.fakes.face_engine import ColourSquareEngine
from tests.fakes.photos import Square, jpeg_with_squares


def build_with_fake_engine(settings: Settings) -> Runtime:
    """The real runtime, with the fake engine in the composition root's cache of engines."""
    rt = build_runtime(settings)
    engine = ColourSquareEngine()
    rt._engines[engine.name] = engine
    return rt


def create_event(rt: Runtime, folder: Path, engine: str = "fake") -> Event:
    with rt.transactions() as uow:
        policy = events.FolderPolicy.anywhere_but_data(rt.settings.data_dir)
        return events.create_event(uow, "Wedding", folder, engine, policy=policy)


def index_event(
    rt: Runtime,
    event: Event,
    engine: ColourSquareEngine,
    *,
    source: PhotoSource | None = None,
    on_progress: ProgressCallback | None = None,
) -> IndexReport:
    with rt.transactions() as uow:
        task = ingest.create_task(uow, str(event.id))
    return ingest.run_indexing(
        rt.transactions,
        task.task_id,
        source or LocalFolderSource(Path(event.source_uri)),
        InlineAnalyzer(engine, rt.settings.max_image_pixels),
        EngineInfo(engine.name, engine.model),
        rt.index,
        on_progress=on_progress,
    )


def search_squares(
    rt: Runtime, event: Event, engine: ColourSquareEngine, *selfies: list[Square]
) -> search.SearchResult:
    with rt.transactions() as uow:
        return search.find_photos(
            uow,
            rt.index,
            engine,
            str(event.id),
            [search.Selfie(f"selfie{i}.jpg", jpeg_with_squares(s)) for i, s in enumerate(selfies)],
            search.SearchLimits(engine.default_tolerance, rt.settings.max_image_pixels),
        )


@dataclass(frozen=True)
class PhotoState:
    id: int
    status: str
    face_count: int
    error: str | None
    engine: str | None


def photo_states(rt: Runtime, event: Event) -> dict[str, PhotoState]:
    with rt.transactions() as uow:
        rows = uow.session.scalars(select(PhotoRow).where(PhotoRow.event_id == event.id))
        return {r.name: PhotoState(r.id, r.status, r.face_count, r.error, r.engine) for r in rows}


def faces_by_photo(rt: Runtime, event: Event) -> dict[str, list[FaceRow]]:
    with rt.transactions() as uow:
        rows = uow.session.execute(
            select(PhotoRow.name, FaceRow)
            .join(FaceRow, FaceRow.photo_id == PhotoRow.id)
            .where(PhotoRow.event_id == event.id)
            .order_by(FaceRow.id)
        )
        found: dict[str, list[FaceRow]] = {}
        for name, face in rows:
            found.setdefault(name, []).append(face)
        return found


def row_counts(rt: Runtime, event_id: int) -> dict[str, int]:
    """How many photo, face and task rows the event has in the database."""
    with rt.transactions() as uow:
        return {
            table: int(
                uow.session.scalar(select(func.count()).select_from(row).where(row.event_id == event_id)) or 0
            )
            for table, row in (("photos", PhotoRow), ("faces", FaceRow), ("tasks", IndexTaskRow))
        }
