"""Creating, listing and deleting events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from eventface.db.repositories import EventSummary
from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import Event, SourceKind
from eventface.errors import InvalidInputError, NotFoundError
from eventface.matching.index import VectorIndex
from eventface.services.accounts import find_user
from eventface.services.google_accounts import GoogleConnections, account_for_event
from eventface.services.thumbnails import ThumbnailStore
from eventface.sources import drive_links
from eventface.sources.drive import DriveFolderSource

MAX_NAME_CHARS = 200


def create_event(
    uow: UnitOfWork,
    name: str,
    folder: str | Path,
    engine: str,
    owner_email: str | None = None,
    *,
    owner_id: int | None = None,
    event_date: date | None = None,
) -> Event:
    """A new event on a photo folder, owned by the user with `owner_email` (or `owner_id`) if given."""
    name = _event_name(name)
    # checked on the raw text: Path("") and Path("  ".strip()) are ".", the server's working directory
    if not str(folder).strip():
        raise InvalidInputError("an event needs a photo folder")
    folder = Path(str(folder).strip()).expanduser()
    if not folder.is_dir():
        raise InvalidInputError(f"photo folder not found on the server: {folder}")
    if owner_email is not None:
        owner_id = find_user(uow, owner_email).id
    return uow.events.add(name, SourceKind.LOCAL_FOLDER, str(folder.resolve()), engine, owner_id, event_date)


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
    name = _event_name(name)
    folder = drive_links.folder_id(link)
    with connections.transactions() as uow:
        account = account_for_event(uow, owner_id, account_email)
    with connections.client(account.id) as client:
        DriveFolderSource(client, folder).check_folder()
    with connections.transactions() as uow:
        return uow.events.add(
            name, SourceKind.GOOGLE_DRIVE, folder, engine, owner_id, event_date, google_account_id=account.id
        )


def _event_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInputError("an event needs a name")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInputError(f"an event name may have at most {MAX_NAME_CHARS} characters")
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
