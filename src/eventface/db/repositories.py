"""Repositories: typed queries over one session. They never commit; the caller owns the transaction."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, and_, case, delete, func, insert, inspect, or_, select, true, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from eventface.db.tables import (
    BrandRow,
    EventRow,
    FaceRow,
    GoogleAccountRow,
    IndexTaskRow,
    PhotoRow,
    RemovalRequestRow,
    SyncRunRow,
    utcnow,
)
from eventface.domain.models import (
    AccountStatus,
    Box,
    Brand,
    DetectedFace,
    Embedding,
    Event,
    EventVisibility,
    FaceMatrix,
    GoogleAccount,
    IndexProgress,
    Photo,
    PhotoFace,
    PhotoStatus,
    RemovalRequest,
    SourceKind,
    SyncRun,
    SyncTrigger,
    TaskStatus,
)
from eventface.errors import NotFoundError


class ClaimLostError(Exception):
    """A worker's lease on a photo ran out and another worker has it (or it was stored): its result
    is dropped (db/claims.py). Between a worker's store and its caller only: never an HTTP error."""


@dataclass(frozen=True)
class FaceChanges:
    """An event's faces that changed after some revision: replace these photos' faces by `faces`."""

    photo_ids: npt.NDArray[np.int64]  # every photo whose faces changed, removed ones included
    faces: FaceMatrix  # the searchable faces those photos have now


@dataclass(frozen=True)
class EventSummary:
    event: Event
    photos: int
    faces: int
    failed: int
    pending: int


@dataclass(frozen=True)
class AutoSyncState:
    enabled: bool
    interval_s: float | None
    last_sync_at: datetime | None
    next_sync_at: datetime | None
    last_error: str | None
    running_since: datetime | None


@dataclass(frozen=True)
class KnownPhoto:
    photo_id: int
    version: str
    status: PhotoStatus
    engine: str | None


def _event(row: EventRow) -> Event:
    return Event(
        id=row.id,
        name=row.name,
        slug=row.slug,
        source_kind=SourceKind(row.source_kind),
        source_uri=row.source_uri,
        engine=row.engine,
        created_at=_utc(row.created_at),
        owner_id=row.owner_id,
        event_date=row.event_date,
        google_account_id=row.google_account_id,
        visibility=EventVisibility(row.visibility),
        cover_photo_id=row.cover_photo_id,
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything eventface stores is UTC
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _held(token: str | None) -> list[ColumnElement[bool]]:
    """A photo still pending and leased to `token` (db/claims.py); no condition without one."""
    if token is None:
        return []
    return [PhotoRow.claim_token == token, PhotoRow.status == PhotoStatus.PENDING.value]


def _not_stored(photo_id: int, held_by: str | None) -> Exception:
    if held_by is None:
        return NotFoundError(f"no photo {photo_id}")
    return ClaimLostError(f"photo {photo_id} is no longer leased to this worker")


def photo_of(row: PhotoRow) -> Photo:
    return Photo(
        id=row.id,
        event_id=row.event_id,
        source_file_id=row.source_file_id,
        name=row.name,
        status=PhotoStatus(row.status),
        face_count=row.face_count,
        error=row.error,
        version=row.source_version,
        content_hash=row.content_hash,
        width=row.width,
        height=row.height,
        hidden=row.hidden_at is not None,
    )


class EventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        name: str,
        source_kind: SourceKind,
        source_uri: str,
        engine: str,
        owner_id: int | None = None,
        event_date: date | None = None,
        google_account_id: int | None = None,
    ) -> Event:
        row = EventRow(
            owner_id=owner_id,
            event_date=event_date,
            google_account_id=google_account_id,
            name=name,
            slug=secrets.token_urlsafe(12),
            source_kind=source_kind.value,
            source_uri=source_uri,
            engine=engine,
            faces_revision=0,
        )
        self.session.add(row)
        self.session.flush()
        return _event(row)

    def get(self, event_id: int) -> Event:
        return _event(self._row(event_id))

    def find(self, ref: str) -> Event:
        """An event by id or by slug."""
        row = self.session.get(EventRow, int(ref)) if ref.isdigit() else None
        row = row or self.session.scalar(select(EventRow).where(EventRow.slug == ref))
        if row is None:
            raise NotFoundError(f"no event {ref!r}")
        return _event(row)

    def summaries(self, event_id: int | None = None, owner_id: int | None = None) -> list[EventSummary]:
        """Every event with its counts; or one event; or one photographer's events."""
        status = PhotoRow.status
        live = status != PhotoStatus.REMOVED.value
        # only the asked events' photos are counted: a guest page view of one event must not add
        # up every photo of every event (SQLite, a small event beside one of 10 000 photos: 10 ms
        # a view before, 2 ms after)
        if event_id is not None:
            counted = PhotoRow.event_id == event_id
        elif owner_id is not None:
            counted = PhotoRow.event_id.in_(select(EventRow.id).where(EventRow.owner_id == owner_id))
        else:
            counted = true()
        counts = (
            select(
                PhotoRow.event_id,
                func.count().filter(live).label("photos"),
                func.coalesce(func.sum(PhotoRow.face_count).filter(live), 0).label("faces"),
                func.count().filter(status == PhotoStatus.FAILED.value).label("failed"),
                func.count().filter(status == PhotoStatus.PENDING.value).label("pending"),
            )
            .where(counted)
            .group_by(PhotoRow.event_id)
            .subquery()
        )
        rows = self.session.execute(
            select(EventRow, counts.c.photos, counts.c.faces, counts.c.failed, counts.c.pending)
            .outerjoin(counts, counts.c.event_id == EventRow.id)
            .where(EventRow.id == event_id if event_id is not None else true())
            .where(EventRow.owner_id == owner_id if owner_id is not None else true())
            .order_by(EventRow.id)
        )
        return [
            EventSummary(_event(row), photos or 0, faces or 0, failed or 0, pending or 0)
            for row, photos, faces, failed, pending in rows
        ]

    def delete(self, event_id: int) -> None:
        self._row(event_id)
        # ON DELETE CASCADE removes photos, faces and tasks in the database itself
        self.session.execute(delete(EventRow).where(EventRow.id == event_id))

    def set_visibility(self, event_id: int, visibility: EventVisibility) -> None:
        self._row(event_id).visibility = visibility.value

    def set_cover(self, event_id: int, photo_id: int | None) -> None:
        self._row(event_id).cover_photo_id = photo_id

    def set_engine(self, event_id: int, engine: str) -> None:
        self._row(event_id).engine = engine

    def bump_faces_revision(self, event_id: int, photo_ids: Sequence[int]) -> int:
        """The event's next revision, stamped on the photos whose faces changed; returns it.

        The event row's update locks it until commit (SQLite: the database), so two writers
        never stamp the same revision.
        """
        revision: int | None = self.session.scalar(
            update(EventRow)
            .where(EventRow.id == event_id)
            .values(faces_revision=EventRow.faces_revision + 1)
            .returning(EventRow.faces_revision)
        )
        if revision is None:
            raise NotFoundError(f"no event {event_id}")
        if photo_ids:
            self.session.execute(
                update(PhotoRow)
                .where(PhotoRow.id.in_(photo_ids), PhotoRow.event_id == event_id)
                .values(faces_revision=revision)
            )
        return revision

    def faces_revision(self, event_id: int) -> int:
        # a fresh read: bump_faces_revision updates the row behind the ORM's back
        revision = self.session.scalar(select(EventRow.faces_revision).where(EventRow.id == event_id))
        if revision is None:
            raise NotFoundError(f"no event {event_id}")
        return revision

    def summary(self, event_id: int) -> EventSummary:
        found = self.summaries(event_id)
        if not found:
            raise NotFoundError(f"no event {event_id}")
        return found[0]

    def set_auto_sync(
        self, event_id: int, *, enabled: bool, interval_s: float | None, next_sync_at: datetime | None
    ) -> None:
        row = self._row(event_id)
        row.auto_sync_enabled = enabled
        row.next_sync_at = next_sync_at
        if interval_s is not None:
            row.auto_sync_interval_s = interval_s

    def auto_sync(self, event_id: int) -> AutoSyncState:
        # a fresh read: claim_sync and finish_sync update the row behind the ORM's back
        row = self.session.execute(
            select(
                EventRow.auto_sync_enabled,
                EventRow.auto_sync_interval_s,
                EventRow.last_sync_at,
                EventRow.next_sync_at,
                EventRow.last_error,
                EventRow.sync_running_since,
            ).where(EventRow.id == event_id)
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no event {event_id}")
        enabled, interval_s, last, next_at, error, since = row
        return AutoSyncState(bool(enabled), interval_s, _aware(last), _aware(next_at), error, _aware(since))

    def due_for_sync(self, now: datetime, stale_before: datetime) -> list[tuple[int, datetime]]:
        """(id, due time) of enabled events whose next sync is due and that no live lease holds."""
        rows = self.session.execute(
            select(EventRow.id, EventRow.next_sync_at)
            .where(*self._sync_claimable(now, stale_before))
            .order_by(EventRow.next_sync_at)
        )
        return [(event_id, _utc(due_at)) for event_id, due_at in rows if due_at is not None]

    def claim_sync(
        self, event_id: int, now: datetime, stale_before: datetime, *, when_due: bool = True
    ) -> bool:
        """Takes the event's sync lease in one conditional UPDATE: true for exactly one caller.

        Without `when_due` (a sync someone asked for) only the lease counts, not the schedule.
        """
        conditions = (
            self._sync_claimable(now, stale_before) if when_due else (self._lease_free(stale_before),)
        )
        result = self.session.execute(
            update(EventRow)
            .where(EventRow.id == event_id, *conditions)
            .values(sync_running_since=now)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def sync_now(self, event_ids: Sequence[int], now: datetime) -> None:
        """Makes the enabled ones among `event_ids` due at once (a push notification arrived)."""
        self.session.execute(
            update(EventRow)
            .where(EventRow.id.in_(event_ids), EventRow.auto_sync_enabled.is_(True))
            .values(next_sync_at=now)
            .execution_options(synchronize_session=False)
        )

    def google_account_state(self, event_id: int) -> AccountStatus | None:
        """For a Drive event, whether its account is usable (RECONNECT_NEEDED when it is gone too)."""
        row = self._row(event_id)
        if row.source_kind != SourceKind.GOOGLE_DRIVE.value:
            return None
        status = self.session.scalar(
            select(GoogleAccountRow.status).where(GoogleAccountRow.id == row.google_account_id)
        )
        return AccountStatus(status) if status else AccountStatus.RECONNECT_NEEDED

    def source_cursor(self, event_id: int) -> str | None:
        return self.session.scalar(select(EventRow.source_cursor).where(EventRow.id == event_id))

    def set_source_cursor(self, event_id: int, cursor: str | None) -> None:
        self.session.execute(
            update(EventRow)
            .where(EventRow.id == event_id)
            .values(source_cursor=cursor)
            .execution_options(synchronize_session=False)
        )

    def of_google_account(self, account_id: int, *, auto_sync_only: bool = False) -> list[Event]:
        """The Drive events read through the account; with `auto_sync_only`, those syncing on their own."""
        query = select(EventRow).where(EventRow.google_account_id == account_id).order_by(EventRow.id)
        if auto_sync_only:
            query = query.where(EventRow.auto_sync_enabled.is_(True))
        return [_event(row) for row in self.session.scalars(query)]

    def finish_sync(
        self, event_id: int, now: datetime, error: str | None, next_sync_at: datetime | None
    ) -> None:
        """Releases the lease, records the outcome and sets the next sync (none once disabled).

        A sync asked for while this one ran (a push, a watched folder: `sync_now` moved the time
        after the lease was taken) stays due: this run may have listed the source before the change.
        """
        asked_meanwhile = and_(
            EventRow.sync_running_since.is_not(None),
            EventRow.next_sync_at > EventRow.sync_running_since,
            EventRow.next_sync_at <= now,
        )
        values: dict[str, object] = {
            "sync_running_since": None,
            "last_error": error,
            "next_sync_at": case(
                (EventRow.auto_sync_enabled.is_(False), None),
                (asked_meanwhile, EventRow.next_sync_at),
                else_=next_sync_at,
            ),
        }
        if error is None:
            values["last_sync_at"] = now  # the last *successful* sync, as in the original system
        self.session.execute(
            update(EventRow)
            .where(EventRow.id == event_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def next_sync_after(self, now: datetime) -> datetime | None:
        """The earliest sync of an enabled event that is not due yet: when the scheduler wakes next."""
        moment = self.session.scalar(
            select(func.min(EventRow.next_sync_at)).where(
                EventRow.auto_sync_enabled.is_(True), EventRow.next_sync_at > now
            )
        )
        return _aware(moment)

    def auto_synced_folders(self) -> list[tuple[int, str]]:
        """(event id, folder) of every local-folder event with auto-sync on: the folders to watch."""
        rows = self.session.execute(
            select(EventRow.id, EventRow.source_uri)
            .where(
                EventRow.auto_sync_enabled.is_(True),
                EventRow.source_kind == SourceKind.LOCAL_FOLDER.value,
            )
            .order_by(EventRow.id)
        )
        return [(event_id, uri) for event_id, uri in rows]

    def release_sync_leases(self) -> int:
        """Frees every event's sync lease: only right after a restart, when no sync can be running."""
        result = self.session.execute(
            update(EventRow).where(EventRow.sync_running_since.is_not(None)).values(sync_running_since=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    @classmethod
    def _sync_claimable(cls, now: datetime, stale_before: datetime) -> tuple[ColumnElement[bool], ...]:
        # a Drive event whose Google account must be reconnected waits: every sync would fail
        connected = select(GoogleAccountRow.id).where(
            GoogleAccountRow.id == EventRow.google_account_id,
            GoogleAccountRow.status == AccountStatus.CONNECTED.value,
        )
        return (
            EventRow.auto_sync_enabled.is_(True),
            EventRow.next_sync_at <= now,
            cls._lease_free(stale_before),
            or_(EventRow.source_kind != SourceKind.GOOGLE_DRIVE.value, connected.exists()),
        )

    @staticmethod
    def _lease_free(stale_before: datetime) -> ColumnElement[bool]:
        return or_(EventRow.sync_running_since.is_(None), EventRow.sync_running_since < stale_before)

    def _row(self, event_id: int) -> EventRow:
        row = self.session.get(EventRow, event_id)
        if row is None:
            raise NotFoundError(f"no event {event_id}")
        return row


class PhotoRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def known(self, event_id: int) -> dict[str, KnownPhoto]:
        rows = self.session.execute(
            select(
                PhotoRow.source_file_id,
                PhotoRow.id,
                PhotoRow.source_version,
                PhotoRow.status,
                PhotoRow.engine,
            ).where(PhotoRow.event_id == event_id)
        )
        return {
            fid: KnownPhoto(pid, version, PhotoStatus(status), eng) for fid, pid, version, status, eng in rows
        }

    def add_pending(self, event_id: int, file_id: str, name: str, version: str, size_bytes: int) -> None:
        self.session.add(
            PhotoRow(
                event_id=event_id,
                source_file_id=file_id,
                name=name,
                source_version=version,
                size_bytes=size_bytes,
                status=PhotoStatus.PENDING.value,
                face_count=0,
            )
        )

    def mark_pending(self, photo_id: int, name: str, version: str, size_bytes: int) -> None:
        self.session.execute(
            update(PhotoRow)
            .where(PhotoRow.id == photo_id)
            .values(
                name=name,
                source_version=version,
                size_bytes=size_bytes,
                status=PhotoStatus.PENDING.value,
                error=None,
            )
        )

    def mark_removed(self, photo_ids: Sequence[int]) -> None:
        if not photo_ids:
            return
        self.session.execute(delete(FaceRow).where(FaceRow.photo_id.in_(photo_ids)))
        self.session.execute(
            update(PhotoRow)
            .where(PhotoRow.id.in_(photo_ids))
            .values(status=PhotoStatus.REMOVED.value, face_count=0, error=None)
        )

    def requeue_other_engines(self, event_id: int, engine: str) -> int:
        """Photos indexed by another engine go back to pending; their old faces stay until replaced."""
        result = self.session.execute(
            update(PhotoRow)
            .where(
                PhotoRow.event_id == event_id,
                PhotoRow.status == PhotoStatus.INDEXED.value,
                PhotoRow.engine != engine,
            )
            .values(status=PhotoStatus.PENDING.value)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def pending(self, event_id: int) -> list[Photo]:
        rows = self.session.scalars(
            select(PhotoRow)
            .where(PhotoRow.event_id == event_id, PhotoRow.status == PhotoStatus.PENDING.value)
            .order_by(PhotoRow.id)
        )
        return [photo_of(row) for row in rows]

    def save_faces(
        self,
        photo_id: int,
        faces: Sequence[DetectedFace],
        *,
        engine: str,
        model: str,
        content_hash: str,
        width: int,
        height: int,
        held_by: str | None = None,
    ) -> list[int]:
        """Stores the photo's faces in place of any it had; their ids, in the order of `faces`.
        With `held_by` (a worker's claim token, db/claims.py) only while the photo is pending and
        leased to it, ending the lease: `ClaimLostError` otherwise, nothing stored.

        Core statements, not the ORM's unit of work: this runs once per photo indexed, and a
        worker process's own CPU per photo is what two workers on two cores share (issue 15)."""
        event_id = self.session.scalar(
            update(PhotoRow)
            .where(PhotoRow.id == photo_id, *_held(held_by))
            .values(
                status=PhotoStatus.INDEXED.value,
                engine=engine,
                face_count=len(faces),
                content_hash=content_hash,
                width=width,
                height=height,
                error=None,
                indexed_at=utcnow(),
                claim_token=None,
                claim_expires_at=None,
            )
            .returning(PhotoRow.event_id)
        )
        if event_id is None:
            raise _not_stored(photo_id, held_by)
        # replace, never append: a photo indexed twice must not hold its faces twice
        self.session.execute(delete(FaceRow).where(FaceRow.photo_id == photo_id))
        if not faces:
            return []
        rows = [
            {
                "photo_id": photo_id,
                "event_id": event_id,
                "engine": engine,
                "model": model,
                "left": face.box.left,
                "top": face.box.top,
                "right": face.box.right,
                "bottom": face.box.bottom,
                "score": face.score,
                "sharpness": face.sharpness,
                "embedding": np.asarray(face.embedding, dtype="<f4").tobytes(),
            }
            for face in faces
        ]
        inserted = self.session.scalars(
            insert(FaceRow).returning(FaceRow.id, sort_by_parameter_order=True), rows
        )
        return list(inserted)

    def save_failure(self, photo_id: int, error: str, *, held_by: str | None = None) -> None:
        """Marks the photo failed, without faces; `held_by` as in `save_faces`."""
        stored = self.session.scalar(
            update(PhotoRow)
            .where(PhotoRow.id == photo_id, *_held(held_by))
            .values(
                status=PhotoStatus.FAILED.value,
                face_count=0,
                error=error,
                indexed_at=utcnow(),
                claim_token=None,
                claim_expires_at=None,
            )
            .returning(PhotoRow.id)
            .execution_options(synchronize_session=False)
        )
        if stored is None:
            raise _not_stored(photo_id, held_by)
        self.session.execute(delete(FaceRow).where(FaceRow.photo_id == photo_id))

    def get_many(self, photo_ids: Iterable[int]) -> dict[int, Photo]:
        rows = self.session.scalars(select(PhotoRow).where(PhotoRow.id.in_(list(photo_ids))))
        return {row.id: photo_of(row) for row in rows}

    def in_event(self, event_id: int, *, limit: int, offset: int = 0) -> list[Photo]:
        """The event's photos still at the source, in name order (the photographer's grid)."""
        rows = self.session.scalars(
            select(PhotoRow)
            .where(PhotoRow.event_id == event_id, PhotoRow.status != PhotoStatus.REMOVED.value)
            .order_by(PhotoRow.name, PhotoRow.id)
            .limit(limit)
            .offset(offset)
        )
        return [photo_of(row) for row in rows]

    def cover(self, event_id: int, chosen: int | None = None, *, fallback: bool = True) -> Photo | None:
        """The guest page's cover: the photo the photographer chose while guests may see it, else
        (with `fallback`) the first indexed photo in name order (a camera's first frame, seldom a
        crowd of strangers)."""
        shown = (
            PhotoRow.event_id == event_id,
            PhotoRow.status == PhotoStatus.INDEXED.value,
            PhotoRow.hidden_at.is_(None),
        )
        row = None
        if chosen is not None:
            row = self.session.scalars(select(PhotoRow).where(*shown, PhotoRow.id == chosen)).first()
        if row is None and fallback:
            first = select(PhotoRow).where(*shown).order_by(PhotoRow.name, PhotoRow.id).limit(1)
            row = self.session.scalars(first).first()
        return photo_of(row) if row else None

    def set_hidden(self, event_id: int, photo_id: int, *, hidden: bool) -> None:
        """Hides the event's photo from guests, or shows it again; NotFoundError for another event's."""
        row = self._row(photo_id)
        if row.event_id != event_id:
            raise NotFoundError(f"no photo {photo_id} in this event")
        if hidden != (row.hidden_at is not None):
            row.hidden_at = utcnow() if hidden else None

    def in_event_by_id(self, event_id: int, photo_id: int) -> Photo:
        """One of the event's live photos; NotFoundError for a removed photo or another event's."""
        found = self.in_event_by_ids(event_id, [photo_id])
        if not found:
            raise NotFoundError(f"no photo {photo_id} in this event")
        return found[0]

    def in_event_by_ids(self, event_id: int, photo_ids: Sequence[int]) -> list[Photo]:
        """The event's live photos among `photo_ids`, in that order; others' and removed ones left out."""
        rows = self.session.scalars(
            select(PhotoRow).where(
                PhotoRow.id.in_(photo_ids),
                PhotoRow.event_id == event_id,
                PhotoRow.status != PhotoStatus.REMOVED.value,
            )
        )
        by_id = {row.id: photo_of(row) for row in rows}
        return [by_id[i] for i in photo_ids if i in by_id]

    def indexed_by_ids(self, event_id: int, photo_ids: Sequence[int]) -> list[Photo]:
        """The event's indexed photos among `photo_ids`, in that order: the only ones guests are served
        (a photo the photographer hid is not one of them)."""
        rows = self.session.scalars(
            select(PhotoRow).where(
                PhotoRow.id.in_(photo_ids),
                PhotoRow.event_id == event_id,
                PhotoRow.status == PhotoStatus.INDEXED.value,
                PhotoRow.hidden_at.is_(None),
            )
        )
        by_id = {row.id: photo_of(row) for row in rows}
        return [by_id[i] for i in photo_ids if i in by_id]

    def indexed_names(self, event_id: int) -> list[str]:
        """The names (paths under the event's folder) of the event's indexed photos."""
        return list(
            self.session.scalars(
                select(PhotoRow.name).where(
                    PhotoRow.event_id == event_id,
                    PhotoRow.status == PhotoStatus.INDEXED.value,
                    PhotoRow.hidden_at.is_(None),
                )
            )
        )

    def indexed_page(self, event_id: int, folder: str | None, *, limit: int, offset: int) -> list[Photo]:
        """The event's indexed photos in name order; only those under `folder`/ when it is given."""
        query = select(PhotoRow).where(
            PhotoRow.event_id == event_id,
            PhotoRow.status == PhotoStatus.INDEXED.value,
            PhotoRow.hidden_at.is_(None),
        )
        if folder is not None:
            query = query.where(PhotoRow.name.startswith(f"{folder}/", autoescape=True))
        rows = self.session.scalars(query.order_by(PhotoRow.name, PhotoRow.id).limit(limit).offset(offset))
        return [photo_of(row) for row in rows]

    def failed(self, event_id: int) -> list[Photo]:
        rows = self.session.scalars(
            select(PhotoRow)
            .where(PhotoRow.event_id == event_id, PhotoRow.status == PhotoStatus.FAILED.value)
            .order_by(PhotoRow.name)
        )
        return [photo_of(row) for row in rows]

    def _row(self, photo_id: int) -> PhotoRow:
        row = self.session.get(PhotoRow, photo_id)
        if row is None:
            raise NotFoundError(f"no photo {photo_id}")
        return row


class FaceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def matrix(
        self, event_id: int, engine: str, photo_id: int | None = None, *, changed_after: int | None = None
    ) -> FaceMatrix:
        """The event's searchable faces (of indexed photos, by `engine`), or one photo's, or those
        of the photos whose faces changed after revision `changed_after`."""
        query = (
            select(
                FaceRow.id,
                FaceRow.photo_id,
                FaceRow.top,
                FaceRow.bottom,
                FaceRow.embedding,
                FaceRow.sharpness,
            )
            .join(PhotoRow, PhotoRow.id == FaceRow.photo_id)
            .where(
                FaceRow.event_id == event_id,
                FaceRow.engine == engine,
                PhotoRow.status == PhotoStatus.INDEXED.value,
            )
            .order_by(FaceRow.id)
        )
        if photo_id is not None:
            query = query.where(FaceRow.photo_id == photo_id)
        if changed_after is not None:
            query = query.where(PhotoRow.faces_revision > changed_after)
        rows = self.session.execute(query).all()
        if not rows:
            return FaceMatrix.empty()
        return FaceMatrix(
            face_ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
            photo_ids=np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows)),
            embeddings=np.vstack([np.frombuffer(r[4], dtype="<f4") for r in rows]).astype(np.float32),
            heights=np.fromiter((r[3] - r[2] for r in rows), dtype=np.float32, count=len(rows)),
            sharpness=np.fromiter((r[5] for r in rows), dtype=np.float32, count=len(rows)),
        )

    def changes_after(self, event_id: int, engine: str, revision: int) -> FaceChanges:
        """What an index holding the event at `revision` lacks: every photo whose faces changed
        since (its faces to drop) and those photos' searchable faces now (to add)."""
        changed = self.session.scalars(
            select(PhotoRow.id)
            .where(PhotoRow.event_id == event_id, PhotoRow.faces_revision > revision)
            .order_by(PhotoRow.id)
        ).all()
        return FaceChanges(np.array(changed, np.int64), self.matrix(event_id, engine, changed_after=revision))

    def count(self, event_id: int) -> int:
        return int(self.session.scalar(select(func.count()).where(FaceRow.event_id == event_id)) or 0)

    def of_photo(self, photo_id: int, engine: str) -> list[PhotoFace]:
        rows = self.session.scalars(
            select(FaceRow).where(FaceRow.photo_id == photo_id, FaceRow.engine == engine).order_by(FaceRow.id)
        )
        return [PhotoFace(r.id, r.photo_id, Box(r.left, r.top, r.right, r.bottom)) for r in rows]

    def embedding(self, event_id: int, face_id: int, engine: str) -> Embedding:
        """A stored face's embedding, if it belongs to `event_id`; NotFoundError otherwise."""
        data = self.session.scalar(
            select(FaceRow.embedding).where(
                FaceRow.id == face_id, FaceRow.event_id == event_id, FaceRow.engine == engine
            )
        )
        if data is None:
            raise NotFoundError(f"no face {face_id} in this event")
        return np.frombuffer(data, dtype="<f4").astype(np.float32)

    # guest results centred on the guest's face (issue 14)
    def largest_boxes(self, event_id: int, photo_ids: Iterable[int]) -> dict[int, Box]:
        """Each of `photo_ids`' largest face box, by photo id (a photo with no face has none)."""
        largest: dict[int, Box] = {}
        for _, photo_id, box in self._boxes(event_id, FaceRow.photo_id, photo_ids):
            if (
                photo_id not in largest
                or box.width * box.height > largest[photo_id].width * largest[photo_id].height
            ):
                largest[photo_id] = box
        return largest

    def boxes(self, event_id: int, face_ids: Iterable[int]) -> dict[int, Box]:
        """The boxes of those of `face_ids` that are faces of `event_id`, by face id."""
        return {face_id: box for face_id, _, box in self._boxes(event_id, FaceRow.id, face_ids)}

    def _boxes(
        self, event_id: int, column: InstrumentedAttribute[int], wanted: Iterable[int]
    ) -> Iterator[tuple[int, int, Box]]:
        """(face id, photo id, box) of the event's faces whose `column` is one of `wanted`."""
        ids = list(set(wanted))
        if not ids:
            return
        rows = self.session.execute(
            select(
                FaceRow.id, FaceRow.photo_id, FaceRow.left, FaceRow.top, FaceRow.right, FaceRow.bottom
            ).where(FaceRow.event_id == event_id, column.in_(ids))
        )
        for row in rows:
            yield row.id, row.photo_id, Box(row.left, row.top, row.right, row.bottom)


def _account(row: GoogleAccountRow) -> GoogleAccount:
    return GoogleAccount(
        id=row.id,
        owner_id=row.owner_id,
        email=row.email,
        status=AccountStatus(row.status),
        error=row.error,
        created_at=_utc(row.created_at),
    )


@dataclass(frozen=True)
class ChannelState:
    """The push-notification channel open for a Google account."""

    account_id: int
    channel_id: str
    resource_id: str
    token_hash: str
    expires_at: datetime


class GoogleAccountRepository:
    """Connected Google accounts. Credentials go in and out sealed; this layer never sees them clear."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, owner_id: int, email: str, sealed_credentials: str) -> GoogleAccount:
        """Adds the account, or refreshes its credentials and clears a "reconnect needed" state."""
        row = self.session.scalar(
            select(GoogleAccountRow).where(
                GoogleAccountRow.owner_id == owner_id, GoogleAccountRow.email == email
            )
        )
        if row is None:
            row = GoogleAccountRow(owner_id=owner_id, email=email)
            self.session.add(row)
        row.credentials = sealed_credentials
        row.status, row.error, row.updated_at = AccountStatus.CONNECTED.value, None, utcnow()
        self.session.flush()
        return _account(row)

    def get(self, account_id: int) -> GoogleAccount:
        return _account(self._row(account_id))

    def of_owner(self, owner_id: int) -> list[GoogleAccount]:
        rows = self.session.scalars(
            select(GoogleAccountRow)
            .where(GoogleAccountRow.owner_id == owner_id)
            .order_by(GoogleAccountRow.email)
        )
        return [_account(row) for row in rows]

    def sealed_credentials(self, account_id: int) -> str:
        return self._row(account_id).credentials

    def any_stored(self) -> bool:
        """Whether any grant is stored (False on a database from before Google accounts existed)."""
        if not inspect(self.session.connection()).has_table(GoogleAccountRow.__tablename__):
            return False
        return self.session.scalar(select(GoogleAccountRow.id).limit(1)) is not None

    def mark_reconnect_needed(self, account_id: int, error: str) -> None:
        self.session.execute(
            update(GoogleAccountRow)
            .where(GoogleAccountRow.id == account_id)
            .values(status=AccountStatus.RECONNECT_NEEDED.value, error=error, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    def forget(self, account_id: int, reason: str) -> None:
        """Drops the account's grant. An account some event reads with stays, marked for
        reconnecting, so that connecting the same Google account again resumes those events;
        one no event uses is deleted."""
        row = self._row(account_id)
        used = self.session.scalar(
            select(EventRow.id).where(EventRow.google_account_id == account_id).limit(1)
        )
        if used is None:
            self.session.delete(row)
            return
        row.credentials = ""
        row.status, row.error, row.updated_at = AccountStatus.RECONNECT_NEEDED.value, reason, utcnow()
        self.clear_channel(account_id)

    def channel(self, account_id: int) -> ChannelState | None:
        return self._channel(self._row(account_id))

    def by_channel(self, channel_id: str) -> ChannelState | None:
        row = self.session.scalar(select(GoogleAccountRow).where(GoogleAccountRow.channel_id == channel_id))
        return self._channel(row) if row else None

    def with_channels(self) -> list[ChannelState]:
        rows = self.session.scalars(select(GoogleAccountRow).where(GoogleAccountRow.channel_id.is_not(None)))
        return [state for row in rows if (state := self._channel(row)) is not None]

    def all(self) -> list[GoogleAccount]:
        return [
            _account(row)
            for row in self.session.scalars(select(GoogleAccountRow).order_by(GoogleAccountRow.id))
        ]

    def set_channel(
        self, account_id: int, channel_id: str, resource_id: str, token_hash: str, expires_at: datetime
    ) -> None:
        row = self._row(account_id)
        row.channel_id, row.channel_resource_id = channel_id, resource_id
        row.channel_token_hash, row.channel_expires_at = token_hash, expires_at

    def clear_channel(self, account_id: int) -> None:
        row = self._row(account_id)
        row.channel_id = row.channel_resource_id = row.channel_token_hash = None
        row.channel_expires_at = None

    @staticmethod
    def _channel(row: GoogleAccountRow) -> ChannelState | None:
        if not (
            row.channel_id and row.channel_resource_id and row.channel_token_hash and row.channel_expires_at
        ):
            return None
        return ChannelState(
            row.id,
            row.channel_id,
            row.channel_resource_id,
            row.channel_token_hash,
            _utc(row.channel_expires_at),
        )

    def _row(self, account_id: int) -> GoogleAccountRow:
        row = self.session.get(GoogleAccountRow, account_id)
        if row is None:
            raise NotFoundError(f"no Google account {account_id}")
        return row


def _sync_run(row: SyncRunRow) -> SyncRun:
    return SyncRun(
        id=row.id,
        event_id=row.event_id,
        trigger=SyncTrigger(row.trigger),
        started_at=_utc(row.started_at),
        finished_at=_aware(row.finished_at),
        added=row.added,
        changed=row.changed,
        removed=row.removed,
        full_rescan=row.full_rescan,
        error=row.error,
    )


@dataclass(frozen=True)
class SyncActivity:
    """What an event's recent syncs did, for the dashboard."""

    runs: int
    added: int
    removed: int
    errors: int


class SyncRunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def start(self, event_id: int, trigger: SyncTrigger, now: datetime) -> int:
        row = SyncRunRow(
            event_id=event_id,
            trigger=trigger.value,
            started_at=now,
            added=0,
            changed=0,
            removed=0,
            full_rescan=False,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def finish(
        self,
        run_id: int,
        now: datetime,
        *,
        added: int = 0,
        changed: int = 0,
        removed: int = 0,
        full_rescan: bool = False,
        error: str | None = None,
    ) -> None:
        self.session.execute(
            update(SyncRunRow)
            .where(SyncRunRow.id == run_id)
            .values(
                finished_at=now,
                added=added,
                changed=changed,
                removed=removed,
                full_rescan=full_rescan,
                error=error,
            )
            .execution_options(synchronize_session=False)
        )

    def recent(self, event_id: int, limit: int = 10) -> list[SyncRun]:
        rows = self.session.scalars(
            select(SyncRunRow)
            .where(SyncRunRow.event_id == event_id)
            .order_by(SyncRunRow.started_at.desc(), SyncRunRow.id.desc())
            .limit(limit)
        )
        return [_sync_run(row) for row in rows]

    def activity(self, event_ids: Sequence[int], since: datetime) -> dict[int, SyncActivity]:
        """Per event, the syncs started since `since`: how many, photos added and removed, failures."""
        rows = self.session.execute(
            select(
                SyncRunRow.event_id,
                func.count(),
                func.coalesce(func.sum(SyncRunRow.added), 0),
                func.coalesce(func.sum(SyncRunRow.removed), 0),
                func.count().filter(SyncRunRow.error.is_not(None)),
            )
            .where(SyncRunRow.event_id.in_(event_ids), SyncRunRow.started_at >= since)
            .group_by(SyncRunRow.event_id)
        )
        return {
            event_id: SyncActivity(runs, added, removed, errors)
            for event_id, runs, added, removed, errors in rows
        }

    def prune(self, event_id: int, keep: int) -> None:
        """Keeps the event's `keep` latest runs: the history is for people, not an audit log."""
        old = (
            select(SyncRunRow.id)
            .where(SyncRunRow.event_id == event_id)
            .order_by(SyncRunRow.started_at.desc(), SyncRunRow.id.desc())
            .offset(keep)
        )
        self.session.execute(delete(SyncRunRow).where(SyncRunRow.id.in_(old)))


def _progress(row: IndexTaskRow) -> IndexProgress:
    return IndexProgress(
        task_id=row.id,
        event_id=row.event_id,
        status=TaskStatus(row.status),
        total=row.total,
        done=row.done,
        failed=row.failed,
        faces=row.faces,
        started_at=_aware(row.started_at),
        finished_at=_aware(row.finished_at),
        error=row.error,
    )


class TaskRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, event_id: int, *, reindex: bool = False) -> IndexProgress:
        row = IndexTaskRow(
            id=str(uuid.uuid4()),
            event_id=event_id,
            status=TaskStatus.QUEUED.value,
            total=0,
            done=0,
            failed=0,
            faces=0,
            reindex=reindex,
        )
        self.session.add(row)
        self.session.flush()
        return _progress(row)

    def get(self, task_id: str) -> IndexProgress:
        return _progress(self._row(task_id))

    def latest(self, event_id: int) -> IndexProgress | None:
        row = self.session.scalars(
            select(IndexTaskRow)
            .where(IndexTaskRow.event_id == event_id)
            .order_by(IndexTaskRow.created_at.desc(), IndexTaskRow.id)
            .limit(1)
        ).first()
        return _progress(row) if row else None

    def unfinished(self) -> list[IndexProgress]:
        """Tasks queued or running: after a restart, the jobs that were lost with the process."""
        rows = self.session.scalars(
            select(IndexTaskRow)
            .where(IndexTaskRow.status.in_([TaskStatus.RUNNING.value, TaskStatus.QUEUED.value]))
            .order_by(IndexTaskRow.created_at)
        )
        return [_progress(row) for row in rows]

    def interrupt_unfinished(self, event_id: int, keep: str) -> None:
        """Tasks of the event still marked running belong to a process that died."""
        self.session.execute(
            update(IndexTaskRow)
            .where(
                IndexTaskRow.event_id == event_id,
                IndexTaskRow.id != keep,
                IndexTaskRow.status.in_([TaskStatus.RUNNING.value, TaskStatus.QUEUED.value]),
            )
            .values(status=TaskStatus.INTERRUPTED.value, finished_at=utcnow())
        )

    def start(self, task_id: str, total: int) -> None:
        row = self._row(task_id)
        now = utcnow()
        row.status, row.total, row.started_at, row.heartbeat_at = TaskStatus.RUNNING.value, total, now, now

    def advance(self, task_id: str, *, failed: bool, faces: int) -> None:
        self.session.execute(
            update(IndexTaskRow)
            .where(IndexTaskRow.id == task_id)
            .values(
                done=IndexTaskRow.done + 1,
                failed=IndexTaskRow.failed + int(failed),
                faces=IndexTaskRow.faces + faces,
                heartbeat_at=utcnow(),
            )
        )

    def finish(self, task_id: str, status: TaskStatus, error: str | None = None) -> None:
        row = self._row(task_id)
        row.status, row.error, row.finished_at = status.value, error, utcnow()

    def _row(self, task_id: str) -> IndexTaskRow:
        row = self.session.get(IndexTaskRow, task_id)
        if row is None:
            raise NotFoundError(f"no task {task_id!r}")
        return row


# --- issue 14, the photographer's side: brands and guests' removal requests ---


def _brand(row: BrandRow) -> Brand:
    return Brand(
        owner_id=row.owner_id,
        name=row.name,
        line_url=row.line_url,
        instagram_url=row.instagram_url,
        website_url=row.website_url,
        logo_version=row.logo_version if row.logo is not None else None,
    )


class BrandRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, owner_id: int) -> Brand | None:
        row = self.session.get(BrandRow, owner_id)
        return _brand(row) if row else None

    def save(
        self,
        owner_id: int,
        name: str,
        line_url: str | None,
        instagram_url: str | None,
        website_url: str | None,
    ) -> Brand:
        row = self._row(owner_id)
        row.name, row.line_url, row.instagram_url, row.website_url = (
            name,
            line_url,
            instagram_url,
            website_url,
        )
        row.updated_at = utcnow()
        self.session.flush()
        return _brand(row)

    def set_logo(self, owner_id: int, png: bytes | None, version: str | None) -> None:
        row = self._row(owner_id)
        row.logo, row.logo_version = png, version
        row.updated_at = utcnow()

    def logo(self, owner_id: int) -> tuple[bytes, str] | None:
        found = self.session.execute(
            select(BrandRow.logo, BrandRow.logo_version).where(BrandRow.owner_id == owner_id)
        ).first()
        if found is None or found[0] is None:
            return None
        return found[0], found[1] or ""

    def _row(self, owner_id: int) -> BrandRow:
        row = self.session.get(BrandRow, owner_id)
        if row is None:
            row = BrandRow(owner_id=owner_id, name="")
            self.session.add(row)
        return row


class RemovalRequestRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event_id: int, photo_id: int, reason: str | None) -> None:
        self.session.add(RemovalRequestRow(event_id=event_id, photo_id=photo_id, reason=reason))

    def open_count(self, event_id: int, photo_id: int | None = None) -> int:
        query = select(func.count()).where(
            RemovalRequestRow.event_id == event_id, RemovalRequestRow.resolved_at.is_(None)
        )
        if photo_id is not None:
            query = query.where(RemovalRequestRow.photo_id == photo_id)
        return int(self.session.scalar(query) or 0)

    def open(self, event_id: int, limit: int) -> list[RemovalRequest]:
        """The event's unanswered requests, oldest first."""
        rows = self.session.execute(
            select(RemovalRequestRow, PhotoRow.name, PhotoRow.hidden_at)
            .join(PhotoRow, PhotoRow.id == RemovalRequestRow.photo_id)
            .where(RemovalRequestRow.event_id == event_id, RemovalRequestRow.resolved_at.is_(None))
            .order_by(RemovalRequestRow.created_at, RemovalRequestRow.id)
            .limit(limit)
        )
        return [
            RemovalRequest(
                id=row.id,
                event_id=row.event_id,
                photo_id=row.photo_id,
                photo_name=name,
                reason=row.reason,
                created_at=_utc(row.created_at),
                photo_hidden=hidden_at is not None,
            )
            for row, name, hidden_at in rows
        ]

    def resolve(self, event_id: int, request_id: int, resolution: str) -> int:
        """Answers one open request of the event; returns its photo's id. NotFoundError otherwise."""
        row = self.session.get(RemovalRequestRow, request_id)
        if row is None or row.event_id != event_id or row.resolved_at is not None:
            raise NotFoundError(f"no open removal request {request_id} in this event")
        row.resolved_at, row.resolution = utcnow(), resolution
        return row.photo_id

    def open_counts(self, event_ids: Sequence[int]) -> dict[int, int]:
        """Unanswered requests per event, for the dashboard (one query for all its events)."""
        rows = self.session.execute(
            select(RemovalRequestRow.event_id, func.count())
            .where(RemovalRequestRow.event_id.in_(event_ids), RemovalRequestRow.resolved_at.is_(None))
            .group_by(RemovalRequestRow.event_id)
        )
        return {event_id: count for event_id, count in rows}

    def resolve_photo(self, event_id: int, photo_id: int, resolution: str) -> None:
        """Answers every open request for the photo (hiding it answers them all)."""
        self.session.execute(
            update(RemovalRequestRow)
            .where(
                RemovalRequestRow.event_id == event_id,
                RemovalRequestRow.photo_id == photo_id,
                RemovalRequestRow.resolved_at.is_(None),
            )
            .values(resolved_at=utcnow(), resolution=resolution)
        )


def photo_of_face(session: Session, event_id: int, face_id: int) -> int | None:
    """The id of the photo a face of the event is in (None: no such face in the event)."""
    return session.scalar(select(FaceRow.photo_id).where(FaceRow.id == face_id, FaceRow.event_id == event_id))
