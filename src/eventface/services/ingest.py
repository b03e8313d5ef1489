"""Indexing an event: diff its source against the database, then find the faces in new photos.

Every photo is committed in its own transaction together with its faces and the task's
progress, so a run killed at any moment loses at most the photos in flight: they are still
pending, and the next run picks them up. A photo's faces are replaced, never appended, so no
photo is ever indexed twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from eventface.db.unit_of_work import Transactions, UnitOfWork
from eventface.domain.models import IndexProgress, Photo, PhotoStatus, TaskStatus
from eventface.errors import CursorExpiredError, InvalidInputError, PhotoGoneError
from eventface.faces.pool import AnalysisFailure, Outcome, PhotoAnalysis
from eventface.matching.index import VectorIndex
from eventface.processes import ShuttingDown
from eventface.services.thumbnails import ThumbnailStore
from eventface.sources.base import ChangeFeed, PhotoSource, SourceUpdate

log = logging.getLogger(__name__)


class Analyzer(Protocol):
    def analyze_many(self, jobs: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, Outcome]]: ...


@dataclass(frozen=True)
class EngineInfo:
    name: str
    model: str


@dataclass(frozen=True)
class SyncResult:
    added: int
    changed: int
    removed: int
    unchanged: int
    full_rescan: bool = True  # the whole source was listed, not just what changed since a cursor


@dataclass
class IndexReport:
    task_id: str
    sync: SyncResult
    indexed: int = 0
    faces: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (photo name, reason)


ProgressCallback = Callable[[int, int, int, int], None]  # done, total, failed, faces


def apply_update(uow: UnitOfWork, event_id: int, update: SourceUpdate) -> SyncResult:
    """Records what the source reported: new and changed files become pending photos, and files
    that left it (missing from a complete listing, or reported removed) go with their faces."""
    known = uow.photos.known(event_id)
    added = changed = unchanged = unfinished = 0
    seen: set[str] = set()
    for item in update.photos:
        seen.add(item.file_id)
        photo = known.get(item.file_id)
        if not item.finished:  # still being written: a later sync takes it; a known version stays
            unfinished += 1
        elif photo is None:
            uow.photos.add_pending(event_id, item.file_id, item.name, item.version, item.size_bytes)
            added += 1
        elif photo.version != item.version or photo.status is PhotoStatus.REMOVED:
            uow.photos.mark_pending(photo.photo_id, item.name, item.version, item.size_bytes)
            changed += 1
        else:
            unchanged += 1
    leaving = (fid for fid in known if fid not in seen) if update.complete else update.removed
    gone = [
        photo.photo_id
        for fid in leaving
        if (photo := known.get(fid)) is not None and photo.status is not PhotoStatus.REMOVED
    ]
    uow.photos.mark_removed(gone)
    if gone:
        uow.events.bump_faces_revision(event_id, gone)
    if unfinished:
        fields = {"event": event_id, "files": unfinished}
        log.info("files still being written wait for the next sync", extra={"fields": fields})
    return SyncResult(
        added=added, changed=changed, removed=len(gone), unchanged=unchanged, full_rescan=update.complete
    )


def fetch_update(transactions: Transactions, event_id: int, source: PhotoSource) -> SourceUpdate:
    """What changed at the source: a change feed is asked from the stored cursor, anything else is
    listed in full."""
    if not isinstance(source, ChangeFeed):
        return SourceUpdate(cursor="", photos=list(source.list_photos()), complete=True)
    with transactions() as uow:
        cursor = uow.events.source_cursor(event_id)
    if cursor is None:
        return source.snapshot()
    try:
        return source.changes(cursor)
    except CursorExpiredError as exc:
        # the one line the photographer's log shows for it; the new snapshot's cursor replaces it
        log.warning(
            "changes cursor no longer valid; listing the whole source again",
            extra={"fields": {"event": event_id, "reason": str(exc)}},
        )
        return source.snapshot()


def create_task(uow: UnitOfWork, ref: str) -> IndexProgress:
    event = uow.events.find(ref)
    return uow.tasks.create(event.id)


def run_indexing(
    transactions: Transactions,
    task_id: str,
    source: PhotoSource,
    analyzer: Analyzer,
    engine: EngineInfo,
    index: VectorIndex | None = None,
    on_progress: ProgressCallback | None = None,
    caches: Sequence[ThumbnailStore] = (),
) -> IndexReport:
    """Brings the event's index up to date with its source. Safe to run again at any time.

    Raises `SourceUnavailableError` (and marks the task failed) when the source cannot be
    listed: nothing is removed on the strength of an empty listing. A source with a change feed
    is asked only for what changed since the cursor stored with the event. The renditions the
    analyzer made of a photo go into `caches` (by their size) before the photo is committed.

    When the process stops (`ShuttingDown`) the task stays running, as if the process had been
    killed, so that the next start resumes it; any other interruption marks it interrupted.
    """
    with transactions() as uow:
        task = uow.tasks.get(task_id)
        event = uow.events.get(task.event_id)
        uow.tasks.interrupt_unfinished(event.id, keep=task_id)
        if event.engine != engine.name:
            raise InvalidInputError(f"event {event.id} is indexed with {event.engine!r}, not {engine.name!r}")
    try:
        update = fetch_update(transactions, event.id, source)
    except Exception as exc:
        with transactions() as uow:
            uow.tasks.finish(task_id, TaskStatus.FAILED, str(exc))
        raise
    with transactions() as uow:
        sync = apply_update(uow, event.id, update)
        if isinstance(source, ChangeFeed):
            # in the same transaction as the rows it covers: a crash repeats the changes, never skips them
            uow.events.set_source_cursor(event.id, update.cursor)
        # photos left by an engine switch (even an interrupted one) are indexed again
        uow.photos.requeue_other_engines(event.id, engine.name)
        pending = uow.photos.pending(event.id)
        uow.tasks.start(task_id, total=len(pending))
    report = IndexReport(task_id=task_id, sync=sync)
    by_id = {p.id: p for p in pending}
    try:
        for photo_id, outcome in analyzer.analyze_many(_read_all(transactions, source, pending)):
            _store(transactions, task_id, by_id[photo_id], outcome, engine, index, report, caches)
            if on_progress:
                on_progress(
                    report.indexed + len(report.failed), len(pending), len(report.failed), report.faces
                )
    except ShuttingDown:
        log.info(
            "indexing stopped by shutdown; the next start resumes it",
            extra={"fields": {"task_id": task_id, "done": report.indexed + len(report.failed)}},
        )
        raise
    except BaseException as exc:
        with transactions() as uow:
            uow.tasks.finish(task_id, TaskStatus.INTERRUPTED, f"stopped: {type(exc).__name__}")
        raise
    with transactions() as uow:
        uow.tasks.finish(task_id, TaskStatus.DONE)
    return report


def _read_all(
    transactions: Transactions, source: PhotoSource, photos: list[Photo]
) -> Iterator[tuple[int, bytes]]:
    for photo in photos:
        try:
            yield photo.id, source.read(photo.source_file_id)
        except PhotoGoneError as exc:
            log.info("photo %s left the source before indexing: %s", photo.id, exc)
            with transactions() as uow:
                uow.photos.mark_removed([photo.id])
                # a changed photo may still have its old faces in an index
                uow.events.bump_faces_revision(photo.event_id, [photo.id])


def _store(
    transactions: Transactions,
    task_id: str,
    photo: Photo,
    outcome: Outcome,
    engine: EngineInfo,
    index: VectorIndex | None,
    report: IndexReport,
    caches: Sequence[ThumbnailStore] = (),
) -> None:
    if not isinstance(outcome, AnalysisFailure):
        _cache_renditions(photo, outcome, caches)
    with transactions() as uow:
        if isinstance(outcome, AnalysisFailure):
            uow.photos.save_failure(photo.id, outcome.error)
            uow.tasks.advance(task_id, failed=True, faces=0)
        else:
            uow.photos.save_faces(
                photo.id,
                outcome.faces,
                engine=engine.name,
                model=engine.model,
                content_hash=outcome.content_hash,
                width=outcome.width,
                height=outcome.height,
            )
            uow.tasks.advance(task_id, failed=False, faces=len(outcome.faces))
        # the stamp is also the notification hook: the worker matches subscribed guests against the
        # photos stamped since it last looked (services/notifications.py), whoever ran this indexing
        revision = uow.events.bump_faces_revision(photo.event_id, [photo.id])
        if index is not None:
            # keeps this process's in-memory index current without reloading the whole event
            added = uow.faces.matrix(photo.event_id, engine.name, photo_id=photo.id)
            index.apply(photo.event_id, revision, np.array([photo.id], np.int64), added)
    if isinstance(outcome, AnalysisFailure):
        report.failed.append((photo.name, outcome.error))
        log.warning("photo %s (%s) failed: %s", photo.id, photo.name, outcome.error)
    else:
        report.indexed += 1
        report.faces += len(outcome.faces)


def _cache_renditions(photo: Photo, analysis: PhotoAnalysis, caches: Sequence[ThumbnailStore]) -> None:
    # before the commit: a guest who can find the photo finds its thumbnail made
    for cache in caches:
        jpeg = analysis.renditions.get(cache.max_side_px)
        if jpeg is None:
            continue
        try:
            cache.put(photo.event_id, photo.id, analysis.content_hash, jpeg)
        except OSError as exc:  # a full disk costs the guest a slower first view, not the photo
            log.warning("could not cache a thumbnail of photo %s: %s", photo.id, exc)
