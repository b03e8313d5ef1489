"""Creating, listing and deleting events."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from eventface.db.repositories import EventSummary
from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import IMAGE_SUFFIXES, Event, SourceKind
from eventface.errors import InvalidInputError, NotFoundError
from eventface.matching.index import VectorIndex
from eventface.services.accounts import find_user
from eventface.services.google_accounts import GoogleConnections, account_for_event
from eventface.services.thumbnails import ThumbnailStore
from eventface.sources import drive_links
from eventface.sources.drive import DriveFolderSource

MAX_NAME_CHARS = 200
# the one answer on the web and the API, whatever the reason: a photographer learns nothing
# about which paths exist on the server (missing, outside the roots, a file, unreadable)
FOLDER_REFUSED = "this folder cannot be used: choose a folder inside the server's photo folders"
CONTROL_CHARACTERS = "an event name may not contain control characters such as line breaks or tabs"
DATA_DIR_PHOTOS = "photos"  # the data dir's one part an event may use: the default photo root
# the new-event form's folder list: how deep it looks under each root, and how much it reads
FOLDER_DEPTH = 3
MAX_FOLDERS = 300
MAX_DIRS_READ = 3000


@dataclass(frozen=True)
class FolderPolicy:
    """Where a local-folder event may point, chosen by the caller.

    Never at eventface's own files: not the data dir, nothing inside it (but its `photos`
    folder), nothing above it. With `roots` (the web and the API), only at or inside one of
    them, and every refusal is FOLDER_REFUSED. Without (the CLI, whose user already has a
    shell on the server), anywhere else, with the reason.
    """

    data_dir: Path
    roots: tuple[Path, ...] | None = None

    @classmethod
    def within(cls, data_dir: Path, roots: Iterable[Path]) -> FolderPolicy:
        return cls(data_dir, tuple(roots))

    @classmethod
    def anywhere_but_data(cls, data_dir: Path) -> FolderPolicy:
        return cls(data_dir)

    def resolve(self, folder: str | Path) -> Path:
        """The folder, symlinks and `..` resolved, if this policy lets an event use it."""
        text = str(folder).strip()
        # checked on the raw text: Path("") and Path("  ".strip()) are ".", the working directory
        if not text:
            raise InvalidInputError("an event needs a photo folder", code="folder_missing")
        path = Path(text) if self.roots is not None else Path(text).expanduser()
        if self.roots is not None and not path.is_absolute():
            raise InvalidInputError(FOLDER_REFUSED, code="folder_refused")
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):  # missing, or a symlink loop
            raise self._refusal(f"photo folder not found on the server: {text}") from None
        if not resolved.is_dir():
            raise self._refusal(f"not a folder: {text}")
        if not os.access(resolved, os.R_OK | os.X_OK):
            raise self._refusal(f"photo folder is not readable: {text}")
        if self.holds_own_files(resolved):
            raise self._refusal(f"{text} holds eventface's own data (the data dir): choose another folder")
        if self.roots is not None and not any(resolved.is_relative_to(r) for r in self.resolved_roots()):
            raise InvalidInputError(FOLDER_REFUSED, code="folder_refused")
        return resolved

    def holds_own_files(self, resolved: Path) -> bool:
        """Would an event on this (resolved) folder reach the data dir's database, keys or thumbnails?"""
        data = self.data_dir.resolve()
        if data.is_relative_to(resolved):  # the data dir itself, or a folder above it
            return True
        return resolved.is_relative_to(data) and not resolved.is_relative_to(
            (data / DATA_DIR_PHOTOS).resolve()
        )

    def resolved_roots(self) -> list[Path]:
        return [root.resolve() for root in self.roots or ()]

    def _refusal(self, reason: str) -> InvalidInputError:
        return InvalidInputError(FOLDER_REFUSED if self.roots is not None else reason, code="folder_refused")


def create_event(
    uow: UnitOfWork,
    name: str,
    folder: str | Path,
    engine: str,
    owner_email: str | None = None,
    *,
    policy: FolderPolicy,
    owner_id: int | None = None,
    event_date: date | None = None,
) -> Event:
    """A new event on a photo folder that `policy` allows, owned by the user with `owner_email`
    (or `owner_id`) if given."""
    name = _event_name(name)
    resolved = policy.resolve(folder)
    if owner_email is not None:
        owner_id = find_user(uow, owner_email).id
    return uow.events.add(name, SourceKind.LOCAL_FOLDER, str(resolved), engine, owner_id, event_date)


@dataclass(frozen=True)
class PhotoFolder:
    """A folder the new-event form offers, shown relative to its photo root."""

    root: Path
    path: Path  # resolved: what the form sends back
    relative: str
    photos: int  # in it and in the subfolders that were read
    counted_all: bool  # False: it has subfolders too deep (or too many) to count


def photo_folders(policy: FolderPolicy) -> list[PhotoFolder]:
    """The subfolders of the policy's roots an event may use, a few levels deep, in tree order.

    Reads at most MAX_DIRS_READ folders and returns at most MAX_FOLDERS; hidden folders,
    symlinks (they may lead out of the root) and unreadable folders are left out.
    """
    walk = _FolderWalk(policy)
    found = [f for root in policy.resolved_roots() if root.is_dir() for f in walk.subfolders(root)]
    return found[:MAX_FOLDERS]


class _FolderWalk:
    """Walks photo roots FOLDER_DEPTH levels deep, reading at most MAX_DIRS_READ folders in all."""

    def __init__(self, policy: FolderPolicy) -> None:
        self.policy = policy
        self.reads_left = MAX_DIRS_READ

    def subfolders(self, root: Path) -> list[PhotoFolder]:
        return self._walk(root, root, 0)[1:]  # [0] is the root itself

    def _walk(self, root: Path, folder: Path, depth: int) -> list[PhotoFolder]:
        """The folder (its photos counted with those of the subfolders read) and its subfolders."""
        self.reads_left -= 1
        photos, subfolders = _read_folder(folder)
        below: list[PhotoFolder] = []
        counted_all = True
        for sub in subfolders:
            if depth == FOLDER_DEPTH or self.reads_left <= 0:
                counted_all = False
            elif not self.policy.holds_own_files(sub):
                tree = self._walk(root, sub, depth + 1)
                photos += tree[0].photos
                counted_all = counted_all and tree[0].counted_all
                below.extend(tree)
        here = PhotoFolder(root, folder, folder.relative_to(root).as_posix(), photos, counted_all)
        return [here, *below]


def _read_folder(folder: Path) -> tuple[int, list[Path]]:
    """How many photos the folder holds directly, and its readable subfolders, sorted by name."""
    photos, subfolders = 0, []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if os.access(entry.path, os.R_OK | os.X_OK):
                        subfolders.append(Path(entry.path))
                elif Path(entry.name).suffix.lower() in IMAGE_SUFFIXES:
                    photos += 1
    except OSError:
        return 0, []
    return photos, sorted(subfolders, key=lambda p: p.name.casefold())


def create_drive_event(
    connections: GoogleConnections,
    name: str,
    link: str,
    engine: str,
    *,
    owner_id: int,
    account_email: str | None = None,
    event_date: date | None = None,
) -> Event:
    """A new event on a Google Drive folder, read through one of the owner's connected accounts.

    The link and the folder are checked at Drive before anything is saved: a wrong link, a
    file, or a folder the account cannot read is an InvalidInputError saying which.
    """
    plan = plan_drive_event(connections, name, link, owner_id=owner_id, account_email=account_email)
    with connections.transactions() as uow:
        return add_drive_event(uow, plan, engine, owner_id=owner_id, event_date=event_date)


@dataclass(frozen=True)
class DriveEventPlan:
    """A Drive event checked at Drive and not saved yet (`add_drive_event` saves it)."""

    name: str
    account_id: int
    folder_id: str


def plan_drive_event(
    connections: GoogleConnections, name: str, link: str, *, owner_id: int, account_email: str | None = None
) -> DriveEventPlan:
    """`create_drive_event`'s checks: the name, the link, the account, then the folder at Drive,
    with no transaction open while Drive answers (a web request saves it in its own)."""
    name = _event_name(name)
    folder = drive_links.folder_id(link)
    with connections.transactions() as uow:
        account = account_for_event(uow, owner_id, account_email)
    with connections.client(account.id) as client:
        DriveFolderSource(client, folder).check_folder()
    return DriveEventPlan(name, account.id, folder)


def add_drive_event(
    uow: UnitOfWork, plan: DriveEventPlan, engine: str, *, owner_id: int, event_date: date | None = None
) -> Event:
    return uow.events.add(
        plan.name,
        SourceKind.GOOGLE_DRIVE,
        plan.folder_id,
        engine,
        owner_id,
        event_date,
        google_account_id=plan.account_id,
    )


def _event_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInputError("an event needs a name", code="event_name_missing")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInputError(
            f"an event name may have at most {MAX_NAME_CHARS} characters", code="event_name_too_long"
        )
    # they would reach file names (ZIP downloads), log lines and headers; Zl/Zp are line breaks too
    if any(unicodedata.category(c) in {"Cc", "Zl", "Zp"} for c in name):
        raise InvalidInputError(CONTROL_CHARACTERS, code="event_name_control_characters")
    return name


def list_events(uow: UnitOfWork, owner_id: int | None = None) -> list[EventSummary]:
    """All events, or the events of one photographer."""
    return uow.events.summaries(owner_id=owner_id)


def owned_event(uow: UnitOfWork, owner_id: int, event_id: int) -> Event:
    """The photographer's event; NotFoundError for anyone else's (its existence is not revealed)."""
    try:
        event = uow.events.get(event_id)
    except NotFoundError:
        event = None
    if event is None or event.owner_id != owner_id:
        raise NotFoundError(f"no event {event_id}")
    return event


def delete_event(
    uow: UnitOfWork, index: VectorIndex, ref: str, caches: Iterable[ThumbnailStore] = ()
) -> Event:
    """Deletes the event with its photos' records, faces (biometric data), tasks and thumbnails."""
    event = uow.events.find(ref)
    uow.events.delete(event.id)
    index.drop(event.id)
    for cache in caches:
        cache.remove_event(event.id)
    return event


def switch_engine(uow: UnitOfWork, ref: str, engine: str) -> int:
    """Points the event at another engine; returns how many photos must be indexed again.

    The photos go back to pending in this transaction, so an interrupted re-index resumes.
    """
    event = uow.events.find(ref)
    uow.events.set_engine(event.id, engine)
    return uow.photos.requeue_other_engines(event.id, engine)
