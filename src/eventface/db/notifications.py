"""Guests' subscriptions to new photos of them (services/notifications.py), in the database.

The repository never commits. Claims (`claim_check`, `claim_digest`) are compare-and-set updates,
so two workers running the same pass at once never match a photo twice or send a digest twice:
the second one's update finds nothing left to claim once the first has committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session

from eventface.db.tables import (
    EventRow,
    FaceRow,
    NotifyMatchRow,
    NotifySubscriptionRow,
    PhotoRow,
)
from eventface.domain.models import PhotoStatus


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything eventface stores is UTC
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class Subscription:
    id: int
    event_id: int
    email: str
    language: str
    engine: str
    sealed_embeddings: str
    faces: int
    nonce: str
    created_at: datetime
    confirmed: bool
    expires_at: datetime
    checked_revision: int
    base_url: str


@dataclass(frozen=True)
class NewFaces:
    """The searchable faces of an event's photos indexed after some revision."""

    photo_ids: npt.NDArray[np.int64]
    revisions: npt.NDArray[np.int64]  # each face's photo's faces_revision
    embeddings: npt.NDArray[np.float32]
    heights: npt.NDArray[np.float32]
    sharpness: npt.NDArray[np.float32]


def _subscription(row: NotifySubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        event_id=row.event_id,
        email=row.email,
        language=row.language,
        engine=row.engine,
        sealed_embeddings=row.embeddings,
        faces=row.faces,
        nonce=row.nonce,
        created_at=_aware(row.created_at),
        confirmed=row.confirmed_at is not None,
        expires_at=_aware(row.expires_at),
        checked_revision=row.checked_revision,
        base_url=row.base_url,
    )


class SubscriptionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        event_id: int,
        email: str,
        language: str,
        engine: str,
        sealed_embeddings: str,
        faces: int,
        nonce: str,
        expires_at: datetime,
        checked_revision: int,
        base_url: str,
    ) -> Subscription:
        row = NotifySubscriptionRow(
            event_id=event_id,
            email=email,
            language=language,
            engine=engine,
            embeddings=sealed_embeddings,
            faces=faces,
            nonce=nonce,
            expires_at=expires_at,
            checked_revision=checked_revision,
            base_url=base_url,
        )
        self.session.add(row)
        self.session.flush()
        return _subscription(row)

    def get(self, subscription_id: int) -> Subscription | None:
        row = self.session.get(NotifySubscriptionRow, subscription_id)
        return _subscription(row) if row else None

    def confirm(self, subscription_id: int, now: datetime) -> None:
        """Confirms it; the guest's other subscriptions to the same event give way to it."""
        row = self.session.get(NotifySubscriptionRow, subscription_id)
        if row is None:
            return
        row.confirmed_at = now
        self.session.execute(
            delete(NotifySubscriptionRow).where(
                NotifySubscriptionRow.event_id == row.event_id,
                NotifySubscriptionRow.email == row.email,
                NotifySubscriptionRow.id != row.id,
            )
        )

    def delete(self, subscription_id: int) -> None:
        self.session.execute(delete(NotifySubscriptionRow).where(NotifySubscriptionRow.id == subscription_id))

    def count(self, event_id: int | None = None) -> int:
        query = select(func.count()).select_from(NotifySubscriptionRow)
        if event_id is not None:
            query = query.where(NotifySubscriptionRow.event_id == event_id)
        return int(self.session.scalar(query) or 0)

    def to_check(self, now: datetime) -> list[tuple[Subscription, int]]:
        """Confirmed, unexpired subscriptions whose event has faces they were not matched against,
        with the event's faces_revision."""
        rows = self.session.execute(
            select(NotifySubscriptionRow, EventRow.faces_revision)
            .join(EventRow, EventRow.id == NotifySubscriptionRow.event_id)
            .where(
                NotifySubscriptionRow.confirmed_at.is_not(None),
                NotifySubscriptionRow.expires_at > now,
                NotifySubscriptionRow.checked_revision < EventRow.faces_revision,
            )
            .order_by(NotifySubscriptionRow.event_id, NotifySubscriptionRow.id)
        ).all()
        return [(_subscription(row), revision) for row, revision in rows]

    def claim_check(self, subscription_id: int, checked: int, revision: int) -> bool:
        """Moves the subscription's checked revision from `checked` to `revision`; False if another
        pass did first."""
        result = self.session.execute(
            update(NotifySubscriptionRow)
            .where(
                NotifySubscriptionRow.id == subscription_id,
                NotifySubscriptionRow.checked_revision == checked,
            )
            .values(checked_revision=revision)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def new_faces(self, event_id: int, engine: str, after_revision: int) -> NewFaces:
        rows = self.session.execute(
            select(FaceRow.photo_id, PhotoRow.faces_revision, FaceRow.embedding, FaceRow.top, FaceRow.bottom)
            .add_columns(FaceRow.sharpness)
            .join(PhotoRow, PhotoRow.id == FaceRow.photo_id)
            .where(
                FaceRow.event_id == event_id,
                FaceRow.engine == engine,
                PhotoRow.status == PhotoStatus.INDEXED.value,
                PhotoRow.faces_revision > after_revision,
            )
            .order_by(FaceRow.id)
        ).all()
        if not rows:
            empty = np.zeros(0, np.int64)
            return NewFaces(
                empty, empty, np.zeros((0, 0), np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32)
            )
        return NewFaces(
            photo_ids=np.array([r[0] for r in rows], np.int64),
            revisions=np.array([r[1] for r in rows], np.int64),
            embeddings=np.vstack([np.frombuffer(r[2], dtype="<f4") for r in rows]).astype(np.float32),
            heights=np.array([r[4] - r[3] for r in rows], np.float32),
            sharpness=np.array([r[5] for r in rows], np.float32),
        )

    def add_matches(self, subscription_id: int, photo_ids: Sequence[int], now: datetime) -> int:
        """Records the photos not already found for the subscription; how many were new."""
        known = set(
            self.session.scalars(
                select(NotifyMatchRow.photo_id).where(
                    NotifyMatchRow.subscription_id == subscription_id, NotifyMatchRow.photo_id.in_(photo_ids)
                )
            )
        )
        fresh = [p for p in dict.fromkeys(photo_ids) if p not in known]
        self.session.add_all(
            NotifyMatchRow(subscription_id=subscription_id, photo_id=p, found_at=now) for p in fresh
        )
        self.session.flush()
        return len(fresh)

    def due_digests(self, found_before: datetime, now: datetime) -> list[int]:
        """Confirmed, unexpired subscriptions with an unsent photo found at or before `found_before`."""
        return list(
            self.session.scalars(
                select(NotifySubscriptionRow.id)
                .join(NotifyMatchRow, NotifyMatchRow.subscription_id == NotifySubscriptionRow.id)
                .where(
                    NotifySubscriptionRow.confirmed_at.is_not(None),
                    NotifySubscriptionRow.expires_at > now,
                    NotifyMatchRow.sent_at.is_(None),
                )
                .group_by(NotifySubscriptionRow.id)
                .having(func.min(NotifyMatchRow.found_at) <= found_before)
                .order_by(NotifySubscriptionRow.id)
            )
        )

    def claim_digest(self, subscription_id: int, now: datetime) -> int:
        """Marks the subscription's unsent photos sent; how many (0: another pass took them)."""
        result = self.session.execute(
            update(NotifyMatchRow)
            .where(
                NotifyMatchRow.subscription_id == subscription_id,
                NotifyMatchRow.sent_at.is_(None),
                # a photo the photographer hid is not news (shown again, it goes in a later digest)
                NotifyMatchRow.photo_id.in_(select(PhotoRow.id).where(PhotoRow.hidden_at.is_(None))),
            )
            .values(sent_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def matched_photo_ids(self, subscription_id: int) -> list[int]:
        """The photos found for the subscription, newest first."""
        return list(
            self.session.scalars(
                select(NotifyMatchRow.photo_id)
                .where(NotifyMatchRow.subscription_id == subscription_id)
                .order_by(NotifyMatchRow.found_at.desc(), NotifyMatchRow.photo_id.desc())
            )
        )

    def purge(self, now: datetime, unconfirmed_before: datetime) -> int:
        """Deletes expired subscriptions and unconfirmed ones made before `unconfirmed_before`;
        how many went."""
        gone = self.session.execute(
            delete(NotifySubscriptionRow).where(
                (NotifySubscriptionRow.expires_at <= now)
                | and_(
                    NotifySubscriptionRow.confirmed_at.is_(None),
                    NotifySubscriptionRow.created_at < unconfirmed_before,
                )
            )
        )
        return int(gone.rowcount)  # type: ignore[attr-defined]
