"""Leases on pending photos, so that many workers share one event's indexing (issue 15).

A worker claims a pending photo by writing its token and an expiry in one conditional UPDATE
(PostgreSQL skips rows another claim has locked; SQLite has one writer at a time), analyses it,
and stores its faces only if the photo is still its own: a worker killed mid-photo leaves a
lease that expires, another worker claims the photo again, and the faces are stored once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Update, and_, exists, func, or_, select, true, update
from sqlalchemy.orm import Session

from eventface.db.repositories import photo_of
from eventface.db.tables import IndexTaskRow, PhotoRow, utcnow
from eventface.domain.models import Photo, PhotoStatus, TaskStatus


@dataclass(frozen=True)
class ClaimOutlook:
    """What is left of an event's pending photos once nothing more can be claimed."""

    pending: int  # still pending, claimed or not
    next_expiry: datetime | None  # when the first live lease held by someone runs out


def _claiming(event_id: int, token: str, now: datetime, lease_s: float, limit: int) -> Update:
    free = (
        select(PhotoRow.id)
        .where(PhotoRow.event_id == event_id, _claimable(now))
        .order_by(PhotoRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("free")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        update(PhotoRow)
        .where(PhotoRow.id.in_(select(free.c.id)), _claimable(now))
        .values(claim_token=token, claim_expires_at=now + timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        PhotoRow.status == PhotoStatus.PENDING.value,
        or_(PhotoRow.claim_expires_at.is_(None), PhotoRow.claim_expires_at < now),
    )


class PhotoClaims:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, event_id: int, token: str, now: datetime, lease_s: float, limit: int = 1) -> list[int]:
        """Ids of up to `limit` pending photos of the event now leased to `token` until now + lease_s.

        FOR UPDATE SKIP LOCKED lets concurrent claims on PostgreSQL pass each other instead of
        queueing; the outer WHERE repeats the test, so a photo taken between the two is not taken
        twice (SQLite ignores FOR UPDATE: its writers take turns). The choice is a materialized
        CTE: as a plain `IN (SELECT ... LIMIT n)` PostgreSQL may run it again per row and take
        more than `limit` photos (measured: all 6 of 6 for a limit of 4).
        """
        claimed = self.session.scalars(_claiming(event_id, token, now, lease_s, limit).returning(PhotoRow.id))
        return sorted(claimed)

    def take(
        self, event_id: int, task_id: str, token: str, now: datetime, lease_s: float, limit: int = 1
    ) -> list[Photo]:
        """`claim` for a run of task `task_id`, the photos themselves returned by the same
        statement: none once the task is no longer running (another run took over, or it was
        stopped). One statement where a worker made three a photo (the task's heartbeat, the
        claim, the read): what two workers on two cores add to every photo (issue 15)."""
        running = exists().where(IndexTaskRow.id == task_id, IndexTaskRow.status == TaskStatus.RUNNING.value)
        rows = self.session.scalars(
            _claiming(event_id, token, now, lease_s, limit).where(running).returning(PhotoRow)
        )
        return sorted((photo_of(row) for row in rows), key=lambda photo: photo.id)

    def settle(self, photo_id: int, token: str) -> bool:
        """Ends `token`'s lease on the photo before its result is stored: False when the photo is
        no longer its own (the lease ran out and another worker claimed it, or it was stored)."""
        result = self.session.execute(
            update(PhotoRow)
            .where(
                PhotoRow.id == photo_id,
                PhotoRow.claim_token == token,
                PhotoRow.status == PhotoStatus.PENDING.value,
            )
            .values(claim_token=None, claim_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def extend(self, token: str, now: datetime, lease_s: float) -> None:
        """Renews every lease `token` holds: a worker that is alive keeps its photos."""
        self.session.execute(
            update(PhotoRow)
            .where(PhotoRow.claim_token == token, PhotoRow.status == PhotoStatus.PENDING.value)
            .values(claim_expires_at=now + timedelta(seconds=lease_s))
            .execution_options(synchronize_session=False)
        )

    def release(self, token: str | None = None, *, event_id: int | None = None) -> int:
        """Gives back `token`'s leases (a run that ends early), the event's, or every lease (the
        embedded worker starting: the only process that could have held them)."""
        held = PhotoRow.claim_token.is_not(None) if token is None else PhotoRow.claim_token == token
        of_event = PhotoRow.event_id == event_id if event_id is not None else true()
        result = self.session.execute(
            update(PhotoRow)
            .where(held, of_event)
            .values(claim_token=None, claim_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def outlook(self, event_id: int, now: datetime) -> ClaimOutlook:
        pending, next_expiry = self.session.execute(
            select(
                func.count(PhotoRow.id),
                func.min(PhotoRow.claim_expires_at).filter(PhotoRow.claim_expires_at >= now),
            ).where(PhotoRow.event_id == event_id, PhotoRow.status == PhotoStatus.PENDING.value)
        ).one()
        return ClaimOutlook(int(pending), _aware(next_expiry))

    def touch_task(self, task_id: str, now: datetime) -> bool:
        """The running task's heartbeat (a run is alive while it claims photos); False when the
        task is no longer running, so the run claims nothing more."""
        result = self.session.execute(
            update(IndexTaskRow)
            .where(IndexTaskRow.id == task_id, IndexTaskRow.status == TaskStatus.RUNNING.value)
            .values(heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def finish_if_drained(self, task_id: str, event_id: int) -> bool:
        """Marks the running task done once its event has no pending photo left; True for the one
        caller that did (several workers may finish their last photos at once)."""
        result = self.session.execute(
            update(IndexTaskRow)
            .where(
                IndexTaskRow.id == task_id,
                IndexTaskRow.status == TaskStatus.RUNNING.value,
                ~exists().where(PhotoRow.event_id == event_id, PhotoRow.status == PhotoStatus.PENDING.value),
            )
            .values(status=TaskStatus.DONE.value, finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def stalled_tasks(self, now: datetime, quiet_since: datetime) -> list[str]:
        """Running tasks nobody works on: no heartbeat since `quiet_since`, and pending photos of
        their event that no live lease holds (every worker of the run died)."""
        orphaned = exists().where(
            PhotoRow.event_id == IndexTaskRow.event_id, PhotoRow.status == PhotoStatus.PENDING.value
        )
        leased = exists().where(
            PhotoRow.event_id == IndexTaskRow.event_id,
            PhotoRow.status == PhotoStatus.PENDING.value,
            PhotoRow.claim_expires_at >= now,
        )
        rows = self.session.scalars(
            select(IndexTaskRow.id)
            .where(
                IndexTaskRow.status == TaskStatus.RUNNING.value,
                or_(IndexTaskRow.heartbeat_at.is_(None), IndexTaskRow.heartbeat_at < quiet_since),
                orphaned,
                ~leased,
            )
            .order_by(IndexTaskRow.created_at)
        )
        return list(rows)

    def adopt(self, task_ids: Sequence[str], now: datetime, quiet_since: datetime) -> list[str]:
        """Of the stalled tasks, those this caller takes over (its heartbeat write won): several
        workers looking at once start one job per task between them."""
        adopted = []
        for task_id in task_ids:
            result = self.session.execute(
                update(IndexTaskRow)
                .where(
                    IndexTaskRow.id == task_id,
                    IndexTaskRow.status == TaskStatus.RUNNING.value,
                    or_(IndexTaskRow.heartbeat_at.is_(None), IndexTaskRow.heartbeat_at < quiet_since),
                )
                .values(heartbeat_at=now)
                .execution_options(synchronize_session=False)
            )
            if int(result.rowcount) == 1:  # type: ignore[attr-defined]
                adopted.append(task_id)
        return adopted


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; everything stored is UTC
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
