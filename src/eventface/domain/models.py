"""Frozen records the services hand between layers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import numpy as np
import numpy.typing as npt

Embedding = npt.NDArray[np.float32]

# file types eventface indexes; everything else in a photo folder is ignored
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".heic", ".heif"})


class PhotoStatus(StrEnum):
    PENDING = "pending"
    INDEXED = "indexed"
    FAILED = "failed"
    REMOVED = "removed"  # gone from the source; faces deleted, row kept so a return is recognised


class TaskStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process died; a new run picks up the pending photos


class SourceKind(StrEnum):
    LOCAL_FOLDER = "local_folder"
    GOOGLE_DRIVE = "google_drive"  # source_uri is the Drive folder id


class AccountStatus(StrEnum):
    CONNECTED = "connected"
    RECONNECT_NEEDED = "reconnect_needed"  # Google refused the stored grant: revoked or expired


class Role(StrEnum):
    ADMIN = "admin"  # manages accounts (the users page, invites) and is a photographer too
    PHOTOGRAPHER = "photographer"


class EventVisibility(StrEnum):
    """What a guest with the event's link may see (issue 10)."""

    PRIVATE = "private"  # only the photos a search of theirs found
    GALLERY = "gallery"  # also every indexed photo, browsable by album


class SyncTrigger(StrEnum):
    SCHEDULE = "schedule"  # the auto-sync interval came round
    PUSH = "push"  # Drive told us something changed
    MANUAL = "manual"  # a photographer asked (CLI `eventface sync`, the event page)
    WATCH = "watch"  # a photo landed in (or left) a watched local folder


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    slug: str
    source_kind: SourceKind
    source_uri: str
    engine: str
    created_at: datetime
    owner_id: int | None = None  # the photographer's user id; None for events made without --owner
    event_date: date | None = None  # the day of the event, as the photographer gave it
    google_account_id: int | None = None  # the connected Google account a Drive event reads with
    visibility: EventVisibility = EventVisibility.PRIVATE
    cover_photo_id: int | None = None  # the cover the photographer chose (issue 14); None: the first photo


@dataclass(frozen=True)
class User:
    """A photographer account. The password hash stays in the database layer."""

    id: int
    email: str
    created_at: datetime
    role: Role = Role.PHOTOGRAPHER
    disabled: bool = False  # a disabled account cannot sign in, and its sessions and tokens are dead
    last_login_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class ApiTokenInfo:
    """What may be shown of an API token: never the token, only the start of it."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class GoogleAccount:
    """A photographer's connected Google account. Its credentials stay sealed in the database layer."""

    id: int
    owner_id: int
    email: str
    status: AccountStatus
    error: str | None  # why Google refused it, when status is RECONNECT_NEEDED
    created_at: datetime


@dataclass(frozen=True)
class SyncRun:
    """One sync of an event, for the photographer's activity list."""

    id: int
    event_id: int
    trigger: SyncTrigger
    started_at: datetime
    finished_at: datetime | None
    added: int
    changed: int
    removed: int
    full_rescan: bool  # the whole source was listed (first sync, expired cursor, moved folders)
    error: str | None


@dataclass(frozen=True)
class Photo:
    id: int
    event_id: int
    source_file_id: str
    name: str
    status: PhotoStatus
    face_count: int
    error: str | None
    version: str = ""  # the source's change marker (size+mtime, Drive's md5)
    content_hash: str | None = None  # sha256 of the bytes last indexed
    width: int | None = None  # display orientation, full resolution; known once indexed
    height: int | None = None
    hidden: bool = False  # the photographer hid it from guests (issue 14)


@dataclass(frozen=True)
class PhotoFace:
    """One face found in a photo, as a guest may point at it ("more photos of this person")."""

    id: int
    photo_id: int
    box: Box


@dataclass(frozen=True)
class Box:
    """A face box in display coordinates (EXIF orientation applied) of the full-resolution photo."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class DetectedFace:
    box: Box
    score: float  # detector confidence
    embedding: Embedding
    sharpness: float  # variance of the Laplacian on the aligned face chip; low means blurry


@dataclass(frozen=True)
class FaceMatrix:
    """Faces as row-aligned arrays: what a vector index holds for an event."""

    face_ids: npt.NDArray[np.int64]
    photo_ids: npt.NDArray[np.int64]
    embeddings: npt.NDArray[np.float32]  # n x d
    heights: npt.NDArray[np.float32]  # face box height in full-resolution pixels
    sharpness: npt.NDArray[np.float32]  # variance of the Laplacian of the aligned face chip

    def __len__(self) -> int:
        return len(self.face_ids)

    @classmethod
    def empty(cls, dim: int = 0) -> FaceMatrix:
        no_ids = np.zeros(0, np.int64)
        none = np.zeros(0, np.float32)
        return cls(no_ids, no_ids, np.zeros((0, dim), np.float32), none, none)


@dataclass(frozen=True)
class Match:
    photo_id: int
    distance: float  # lower is closer
    face_id: int
    # how much farther the nearest stranger (an event face no query matches) is from this face
    # than the guest is (matching/strangers.py). None: no stranger near, the face was not
    # checked, or the guard was off; negative: kept because the guest's other matches are nearer
    margin: float | None = None
    expanded: bool = False  # found through another photo of the guest (query expansion), not a selfie


@dataclass(frozen=True)
class IndexProgress:
    task_id: str
    event_id: int
    status: TaskStatus
    total: int
    done: int
    failed: int
    faces: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None

    @property
    def percent(self) -> float:
        """Done so far, one decimal; a finished run is 100 even when photos failed or vanished."""
        if self.status is TaskStatus.DONE:
            return 100.0
        return round(100.0 * self.done / self.total, 1) if self.total else 0.0


# --- issue 14, the photographer's side ---


@dataclass(frozen=True)
class Brand:
    """What a photographer shows of themselves on their guest pages (and, later, in emails)."""

    owner_id: int
    name: str = ""
    line_url: str | None = None
    instagram_url: str | None = None
    website_url: str | None = None
    logo_version: str | None = None  # None: no logo

    @property
    def empty(self) -> bool:
        return not (self.name or self.line_url or self.instagram_url or self.website_url or self.logo_version)


@dataclass(frozen=True)
class RemovalRequest:
    """A guest's "remove my photo", as the photographer's event page lists it."""

    id: int
    event_id: int
    photo_id: int
    photo_name: str
    reason: str | None
    created_at: datetime
    photo_hidden: bool
