"""Creating, listing and deleting events."""

from __future__ import annotations

from pathlib import Path

from eventface.db.repositories import EventSummary
from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import Event, SourceKind
from eventface.errors import InvalidInputError
from eventface.matching.index import VectorIndex
from eventface.services.accounts import find_user


def create_event(
    uow: UnitOfWork, name: str, folder: Path, engine: str, owner_email: str | None = None
) -> Event:
    """A new event on a photo folder, owned by the user with `owner_email` when one is given."""
    name = name.strip()
    if not name:
        raise InvalidInputError("an event needs a name")
    if not folder.is_dir():
        raise InvalidInputError(f"photo folder not found: {folder}")
    owner = find_user(uow, owner_email) if owner_email is not None else None
    return uow.events.add(
        name, SourceKind.LOCAL_FOLDER, str(folder.resolve()), engine, owner.id if owner else None
    )


def list_events(uow: UnitOfWork) -> list[EventSummary]:
    return uow.events.summaries()


def delete_event(uow: UnitOfWork, index: VectorIndex, ref: str) -> Event:
    """Deletes the event with its photos' records, faces (biometric data) and tasks."""
    event = uow.events.find(ref)
    uow.events.delete(event.id)
    index.drop(event.id)
    return event


def switch_engine(uow: UnitOfWork, ref: str, engine: str) -> int:
    """Points the event at another engine; returns how many photos must be indexed again.

    The photos go back to pending in this transaction, so an interrupted re-index resumes.
    """
    event = uow.events.find(ref)
    uow.events.set_engine(event.id, engine)
    return uow.photos.requeue_other_engines(event.id, engine)
