"""ORM rows. The schema is owned by the Alembic migrations; a test fails if the two drift."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, with its parameters
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    role: Mapped[str] = mapped_column(String(16), default="photographer", server_default="photographer")
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSessionRow(Base):
    """A signed-in browser. The cookie holds a random key; deleting the row ends the session."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the cookie's key
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InviteRow(Base):
    """A one-time sign-up link for one email; only the sha256 of its token is kept."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # sha256 hex of the token: the token itself is shown once and never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the token's first characters, to tell tokens apart ("" for tokens made before it was kept)
    prefix: Mapped[str] = mapped_column(String(16), default="", server_default="")
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GoogleAccountRow(Base):
    __tablename__ = "google_accounts"
    __table_args__ = (UniqueConstraint("owner_id", "email", name="uq_google_accounts_owner_id_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))  # the Google account's, lower-cased
    # the authorized-user JSON (refresh token, client) sealed with the server key (secret_box.py)
    credentials: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the Drive push-notification channel open for this account, if any
    channel_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    channel_resource_id: Mapped[str | None] = mapped_column(String(128))
    channel_token_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 hex; Google echoes the token
    channel_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EventRow(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    source_kind: Mapped[str] = mapped_column(String(32))
    source_uri: Mapped[str] = mapped_column(Text)
    engine: Mapped[str] = mapped_column(String(32))
    # bumped whenever the event's faces change, so in-memory vector indexes know to reload
    faces_revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the auto-sync schedule lives here so that it survives a restart (services/sync.py)
    auto_sync_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    auto_sync_interval_s: Mapped[float | None] = mapped_column(Float)
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    # a lease: set while one worker syncs the event, so no other starts a second sync
    sync_running_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # nullable: events created before accounts existed, or from the CLI without --owner
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    event_date: Mapped[date | None] = mapped_column(Date)
    # Drive events: the account that reads the folder; SET NULL on disconnect means "reconnect"
    google_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("google_accounts.id", ondelete="SET NULL"), index=True
    )
    # where the next incremental sync starts (a Drive changes cursor); written in the same
    # transaction as the photo rows it covers, so a crash never skips or repeats a change
    source_cursor: Mapped[str | None] = mapped_column(Text)
    # what a guest with the link may see: "private" (only what a search found) or "gallery"
    visibility: Mapped[str] = mapped_column(String(16), default="private", server_default="private")
    # issue 14 (photographer): the guest page's cover as the photographer chose it; None: the first photo
    cover_photo_id: Mapped[int | None] = mapped_column(Integer)

    photos: Mapped[list[PhotoRow]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )


class PhotoRow(Base):
    __tablename__ = "photos"
    # the original system's synced_photos guarantee: a source file is indexed once per event
    __table_args__ = (
        UniqueConstraint("event_id", "source_file_id", name="uq_photos_event_id_source_file_id"),
        Index("ix_photos_event_id_status", "event_id", "status"),
        Index("ix_photos_event_id_faces_revision", "event_id", "faces_revision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    source_file_id: Mapped[str] = mapped_column(String(1024))
    name: Mapped[str] = mapped_column(String(512))
    # what the source says about the file's version (size+mtime, or Drive's md5): cheap change test
    source_version: Mapped[str] = mapped_column(String(128))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    face_count: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    engine: Mapped[str | None] = mapped_column(String(32))  # the engine that produced its faces
    indexed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the event's faces_revision when this photo's faces last changed (indexed, failed, removed):
    # an in-memory index at revision r catches up by reloading only photos stamped after r
    faces_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # issue 14 (photographer): set while the photographer hides the photo from guests
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # scale-out (issue 15): the lease of the worker analysing this pending photo (db/claims.py)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claim_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    event: Mapped[EventRow] = relationship(back_populates="photos")
    faces: Mapped[list[FaceRow]] = relationship(
        back_populates="photo", cascade="all, delete-orphan", passive_deletes=True
    )


class FaceRow(Base):
    __tablename__ = "faces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    # denormalised so one indexed query loads an event's whole embedding matrix
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    engine: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    left: Mapped[int] = mapped_column(Integer)
    top: Mapped[int] = mapped_column(Integer)
    right: Mapped[int] = mapped_column(Integer)
    bottom: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    sharpness: Mapped[float] = mapped_column(Float)
    embedding: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian

    photo: Mapped[PhotoRow] = relationship(back_populates="faces")


class IndexTaskRow(Base):
    __tablename__ = "index_tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    faces: Mapped[int] = mapped_column(Integer, default=0)
    reindex: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SyncRunRow(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_event_id_started_at", "event_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    added: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    full_rescan: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)


# --- Email notifications ("tell me when new photos of me arrive", issue 14: services/notifications.py)
# and the per-recipient mail caps (services/mail_caps.py)


class NotifySubscriptionRow(Base):
    """A guest who asked to be told of new photos of them at one event: the face embeddings of
    their selfies (sealed with the encryption key, never the selfies), their email and language.
    Nothing is mailed but the confirmation until `confirmed_at`; the row goes at `expires_at`."""

    __tablename__ = "notify_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)  # lower-cased
    language: Mapped[str] = mapped_column(String(8))
    engine: Mapped[str] = mapped_column(String(32))  # the event's engine when the selfies were embedded
    embeddings: Mapped[str] = mapped_column(Text)  # float32 rows, sealed (secret_box.py)
    faces: Mapped[int] = mapped_column(Integer)  # rows in `embeddings`
    # random, in every link to the subscription: a link outlives no row, even if its id is reused
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)  # the consent
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # the event's faces_revision up to which its photos were matched against this guest
    checked_revision: Mapped[int] = mapped_column(Integer)
    # the address the guest subscribed at: a worker that mails a digest has no request to ask
    base_url: Mapped[str] = mapped_column(String(300))


class NotifyMatchRow(Base):
    """A photo found for a subscription; `sent_at` once a digest told the guest about it."""

    __tablename__ = "notify_matches"
    __table_args__ = (
        UniqueConstraint("subscription_id", "photo_id", name="uq_notify_matches_subscription_id_photo_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("notify_subscriptions.id", ondelete="CASCADE"), index=True
    )
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MailSendRow(Base):
    """A mail anyone may make this server send (a password reset, a notification confirmation),
    by a keyed hash of its address: what the per-recipient caps count (services/mail_caps.py).
    Kept a day."""

    __tablename__ = "mail_sends"
    __table_args__ = (Index("ix_mail_sends_address_hash_kind", "address_hash", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    address_hash: Mapped[str] = mapped_column(String(64))
    # the event a notification confirmation was for (deleted with it); None for a password reset
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


# --- issue 14, the photographer's side: brand, removal requests ---


class BrandRow(Base):
    """A photographer's brand on their guest pages. The logo is kept here, re-encoded and capped
    (services/branding.py): every web process on every machine serves it, and it goes with the account."""

    __tablename__ = "brands"

    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    line_url: Mapped[str | None] = mapped_column(String(500))
    instagram_url: Mapped[str | None] = mapped_column(String(500))
    website_url: Mapped[str | None] = mapped_column(String(500))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)  # a PNG eventface encoded itself
    logo_version: Mapped[str | None] = mapped_column(String(16))  # in the logo's URL, for caching
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RemovalRequestRow(Base):
    """A guest asked the photographer to take a photo down. Nothing about the guest is kept."""

    __tablename__ = "removal_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(16))  # hidden | dismissed


# --- issue 11: an event's own metric in a crowd ---


class EventCentringRow(Base):
    """An event's fitted centring (domain/distance.py `CentredFusedMetric`), one per engine: every
    process of every machine searching the event uses this one, frozen until it is refitted
    (matching/centring.py). Derived from the faces, so deleted with the event."""

    __tablename__ = "event_centrings"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    engine: Mapped[str] = mapped_column(String(32), primary_key=True)
    model: Mapped[str] = mapped_column(String(128))  # the faces' model: another one needs a refit
    faces: Mapped[int] = mapped_column(Integer)  # how many faces it was fitted on
    version: Mapped[int] = mapped_column(Integer)  # 0 at the first fit, +1 at each refit (compare-and-set)
    cosine_mean: Mapped[bytes] = mapped_column(LargeBinary)  # float64, little-endian
    euclidean_mean: Mapped[bytes] = mapped_column(LargeBinary)
    cosine_ratio: Mapped[float] = mapped_column(Float)
    euclidean_ratio: Mapped[float] = mapped_column(Float)
    fitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
