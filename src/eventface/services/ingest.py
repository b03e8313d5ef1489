"""Indexing an event: diff its source against the database, then find the faces in new photos.

Every photo is committed in its own transaction together with its faces and the task's
progress, so a run killed at any moment loses at most the photos in flight: they are still
pending, and the next run picks them up. A photo's faces are replaced, never appended, so no
photo is ever indexed twice.

Work is spread per photo (issue 15): a run claims pending photos under a lease (db/claims.py),
one at a time when it shares the event, so any number of runs, in any number of worker processes
and machines, share one event; a worker killed mid-photo leaves a lease that runs out, and
another run takes the photo over. The run that stores the event's last pending photo marks the
task done.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np

from eventface.db.repositories import ClaimLostError
from eventface.db.unit_of_work import Transactions, UnitOfWork
from eventface.domain.models import DetectedFace, FaceMatrix, IndexProgress, Photo, PhotoStatus, TaskStatus
from eventface.errors import CursorExpiredError, InvalidInputError, PhotoGoneError, SourceUnavailableError
from eventface.faces.pool import AnalysisFailure, Outcome, PhotoAnalysis
from eventface.matching.index import VectorIndex
from eventface.processes import ShuttingDown
from eventface.services.thumbnails import ThumbnailStore
from eventface.sources.base import ChangeFeed, PhotoSource, SourceUpdate

log = logging.getLogger(__name__)

# a claimed photo is another worker's to take this long after its worker last showed life
# (EVENTFACE_INDEX_LEASE_S); a big photo on a busy core takes seconds, not a minute
DEFAULT_LEASE_S = 60.0
# a run with nothing left to claim looks this often whether other workers' photos got stored
LEASE_POLL_S = 1.0
RENEWALS_PER_LEASE = 4
# photos a run that shares with nobody (the embedded mode, `eventface index`) claims at once
SOLO_CLAIM_BATCH = 16


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
    *,
    lease: Lease | None = None,
    share: Callable[[str, int], None] | None = None,
) -> IndexReport:
    """Brings the event's index up to date with its source. Safe to run again at any time.

    Raises `SourceUnavailableError` (and marks the task failed) when the source cannot be
    listed: nothing is removed on the strength of an empty listing. A source with a change feed
    is asked only for what changed since the cursor stored with the event. The renditions the
    analyzer made of a photo go into `caches` (by their size) before the photo is committed.

    The pending photos are claimed under `lease` (db/claims.py); `share(task, n)`, when given,
    enqueues jobs that run `continue_indexing` on this task, so that other workers
    claim photos of the event too. The task is done when the event has no pending photo left,
    whichever run stores the last one.

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
        total = len(uow.photos.pending(event.id))
        uow.tasks.start(task_id, total=total)
        if share is None:
            # a run that shares with nobody supersedes the runs before it (they stop claiming, as
            # their tasks are interrupted): photos a killed `eventface index` held are free now
            uow.claims.release(event_id=event.id)
    if share is not None and total > 1:
        share(task_id, total - 1)  # this run takes photos too
    report = IndexReport(task_id=task_id, sync=sync)
    # shared with other workers, a run claims one photo at a time; alone, a few per transaction
    batch = 1 if share is not None else SOLO_CLAIM_BATCH
    run = _Run(task_id, event.id, total, lease or Lease(), uuid.uuid4().hex, leads=True, batch=batch)
    _index_claimed(transactions, run, source, analyzer, engine, index, report, on_progress, caches)
    return report


def continue_indexing(
    transactions: Transactions,
    task_id: str,
    source: PhotoSource,
    analyzer: Analyzer,
    engine: EngineInfo,
    index: VectorIndex | None = None,
    caches: Sequence[ThumbnailStore] = (),
    *,
    lease: Lease | None = None,
) -> IndexReport:
    """Joins a running task started by `run_indexing`: claims and indexes its event's pending
    photos until none is left. A task that is no longer running is left alone."""
    with transactions() as uow:
        task = uow.tasks.get(task_id)
    report = IndexReport(task_id=task_id, sync=SyncResult(0, 0, 0, 0, full_rescan=False))
    if task.status is not TaskStatus.RUNNING:
        log.info("indexing job skipped", extra={"fields": {"task_id": task_id, "status": task.status.value}})
        return report
    run = _Run(task_id, task.event_id, task.total, lease or Lease(), uuid.uuid4().hex)
    _index_claimed(transactions, run, source, analyzer, engine, index, report, None, caches)
    return report


def stalled_tasks(uow: UnitOfWork, now: datetime, lease: Lease) -> list[str]:
    """Running tasks whose every worker died (no heartbeat for a lease, no live lease on their
    pending photos) that this caller takes over: a job of `continue_indexing` each resumes them."""
    quiet_since = now - timedelta(seconds=lease.seconds)
    return uow.claims.adopt(uow.claims.stalled_tasks(now, quiet_since), now, quiet_since)


@dataclass(frozen=True)
class Lease:
    """How long a claimed photo stays a worker's own without a sign of life from it, and how
    often a run with nothing left to claim looks again while other workers hold photos."""

    seconds: float = DEFAULT_LEASE_S
    poll_s: float = LEASE_POLL_S
    stopping: threading.Event | None = None  # set: the process is stopping (ShuttingDown)


@dataclass
class _Run:
    task_id: str
    event_id: int
    total: int
    lease: Lease
    token: str  # this run's name on the photos it claims
    leads: bool = False  # the run that listed the source: its failure is the task's
    batch: int = 1  # photos claimed per transaction
    renewed_at: float = field(default_factory=time.monotonic)  # when its leases were last renewed
    photos: dict[int, Photo] = field(default_factory=dict)  # claimed, not stored yet

    def renewal_due(self) -> bool:
        """Leases are renewed a few times per lease, not for every photo: a statement saved."""
        now = time.monotonic()
        if now - self.renewed_at < self.lease.seconds / RENEWALS_PER_LEASE:
            return False
        self.renewed_at = now
        return True


def _index_claimed(
    transactions: Transactions,
    run: _Run,
    source: PhotoSource,
    analyzer: Analyzer,
    engine: EngineInfo,
    index: VectorIndex | None,
    report: IndexReport,
    on_progress: ProgressCallback | None,
    caches: Sequence[ThumbnailStore],
) -> None:
    try:
        while True:
            for photo_id, outcome in analyzer.analyze_many(_claim_and_read(transactions, run, source)):
                photo = run.photos.pop(photo_id)
                _store(transactions, run.task_id, photo, outcome, engine, index, report, caches, run)
                if on_progress:
                    done = report.indexed + len(report.failed)
                    on_progress(done, run.total, len(report.failed), report.faces)
            if _wait_for_others(transactions, run):
                return
    except ShuttingDown:
        log.info(
            "indexing stopped by shutdown; the next start resumes it",
            extra={"fields": {"task_id": run.task_id, "done": report.indexed + len(report.failed)}},
        )
        raise
    except SourceUnavailableError as exc:
        # the source cannot be read here (a folder not mounted on this worker machine): nothing is
        # taken for removed; the run that listed it fails the task, a helper only its own job
        if run.leads:
            with transactions() as uow:
                uow.tasks.finish(run.task_id, TaskStatus.FAILED, str(exc))
        log.warning(
            "indexing job failed: the source cannot be read here",
            extra={"fields": {"task_id": run.task_id, "reason": str(exc)}},
        )
        raise
    except BaseException as exc:
        with transactions() as uow:
            uow.tasks.finish(run.task_id, TaskStatus.INTERRUPTED, f"stopped: {type(exc).__name__}")
        raise
    finally:
        # photos this run claimed but did not store go back at once, not when the lease ends
        with transactions() as uow:
            uow.claims.release(run.token)


def _wait_for_others(transactions: Transactions, run: _Run) -> bool:
    """Nothing left to claim: True when the run is over (no pending photo left, or the task was
    ended by someone else); otherwise waits until another worker's lease may have run out."""
    now = datetime.now(UTC)
    with transactions() as uow:
        if uow.claims.finish_if_drained(run.task_id, run.event_id):
            return True
        if uow.tasks.get(run.task_id).status is not TaskStatus.RUNNING:
            return True
        outlook = uow.claims.outlook(run.event_id, now)
    if outlook.pending == 0:
        return True
    # photos other workers hold: they store them, or die and their leases run out; then claim again
    wait_s = run.lease.poll_s
    if outlook.next_expiry is not None:
        wait_s = min(wait_s, max(0.0, (outlook.next_expiry - now).total_seconds()) + 0.05)
    stopping = run.lease.stopping or threading.Event()
    if stopping.wait(wait_s):
        raise ShuttingDown("the process is stopping")
    return False


def _claim_and_read(
    transactions: Transactions, run: _Run, source: PhotoSource
) -> Iterator[tuple[int, bytes]]:
    """Claims the event's pending photos one at a time, as the analyzer asks for them: a photo
    stays free for other workers until this one has room for it."""
    while True:
        now = datetime.now(UTC)
        with transactions() as uow:
            # the heartbeat a few times a lease (and with every photo stored: `advance`), not per claim
            if run.renewal_due():
                if not uow.claims.touch_task(run.task_id, now):
                    return  # the task ended (a newer run of the event took over): leave the rest to it
                uow.claims.extend(run.token, now, run.lease.seconds)  # the photos in flight are alive too
            # nothing once the task has ended, as for an event with nothing left to claim
            claimed = uow.claims.take(run.event_id, run.task_id, run.token, now, run.lease.seconds, run.batch)
        if not claimed:
            return
        for photo in claimed:
            try:
                data = source.read(photo.source_file_id)
            except PhotoGoneError as exc:
                log.info("photo %s left the source before indexing: %s", photo.id, exc)
                with transactions() as uow:
                    if uow.claims.settle(photo.id, run.token):
                        uow.photos.mark_removed([photo.id])
                        # a changed photo may still have its old faces in an index
                        uow.events.bump_faces_revision(photo.event_id, [photo.id])
                continue
            run.photos[photo.id] = photo
            yield photo.id, data


def _store(
    transactions: Transactions,
    task_id: str,
    photo: Photo,
    outcome: Outcome,
    engine: EngineInfo,
    index: VectorIndex | None,
    report: IndexReport,
    caches: Sequence[ThumbnailStore] = (),
    run: _Run | None = None,
) -> None:
    if not isinstance(outcome, AnalysisFailure):
        _cache_renditions(photo, outcome, caches)
    try:
        with transactions() as uow:
            added = _save(uow, task_id, photo, outcome, engine, None if run is None else run.token)
            if run is not None and run.renewal_due():
                uow.claims.extend(run.token, datetime.now(UTC), run.lease.seconds)
            # the stamp is also the notification hook: the worker matches subscribed guests against the
            # photos stamped since it last looked (services/notifications.py), whoever ran this indexing
            revision = uow.events.bump_faces_revision(photo.event_id, [photo.id])
            if index is not None:
                # keeps this process's in-memory index current without reloading the whole event
                index.apply(photo.event_id, revision, np.array([photo.id], np.int64), added)
    except ClaimLostError:
        # this worker was too slow: its lease ran out and another worker has the photo
        log.warning("photo %s was taken over by another worker; result dropped", photo.id)
        return
    if isinstance(outcome, AnalysisFailure):
        report.failed.append((photo.name, outcome.error))
        log.warning("photo %s (%s) failed: %s", photo.id, photo.name, outcome.error)
    else:
        report.indexed += 1
        report.faces += len(outcome.faces)


def _save(
    uow: UnitOfWork, task_id: str, photo: Photo, outcome: Outcome, engine: EngineInfo, token: str | None
) -> FaceMatrix:
    """The photo's result stored (while `token` still holds its lease: else `ClaimLostError`) and
    counted in the task; the faces added, as stored."""
    if isinstance(outcome, AnalysisFailure):
        uow.photos.save_failure(photo.id, outcome.error, held_by=token)
        uow.tasks.advance(task_id, failed=True, faces=0)
        return FaceMatrix.empty()
    face_ids = uow.photos.save_faces(
        photo.id,
        outcome.faces,
        engine=engine.name,
        model=engine.model,
        content_hash=outcome.content_hash,
        width=outcome.width,
        height=outcome.height,
        held_by=token,
    )
    uow.tasks.advance(task_id, failed=False, faces=len(outcome.faces))
    return _matrix(photo.id, face_ids, outcome.faces)


def _matrix(photo_id: int, face_ids: Sequence[int], faces: Sequence[DetectedFace]) -> FaceMatrix:
    """The photo's faces as stored, without reading them back (what `FaceRepository.matrix` gives)."""
    if not faces:
        return FaceMatrix.empty()
    return FaceMatrix(
        face_ids=np.array(face_ids, np.int64),
        photo_ids=np.full(len(faces), photo_id, np.int64),
        embeddings=np.vstack([np.asarray(f.embedding, dtype="<f4") for f in faces]).astype(np.float32),
        heights=np.array([f.box.bottom - f.box.top for f in faces], np.float32),
        sharpness=np.array([f.sharpness for f in faces], np.float32),
    )


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
