"""Taking a photo away from guests (issue 14): the photographer hides it, or a guest asks them to.

A hidden photo stays indexed (showing it again is one click and costs no re-indexing) but the
queries that serve guests skip it: search results, the gallery, thumbnails, previews,
downloads, ZIPs, faces and the cover (db/repositories.py). A guest's request names a photo they
were given (a signed link, checked by the web layer) and may say why; nothing about the guest is
kept. Requests wait on the photographer's event page until hidden or dismissed.
"""

from __future__ import annotations

import unicodedata

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import Event, RemovalRequest
from eventface.errors import InvalidInputError
from eventface.services.events import owned_event

MAX_REASON_CHARS = 500
# beyond these, a request is answered as usual but not stored: a script cannot fill the database
MAX_OPEN_PER_PHOTO = 20
MAX_OPEN_PER_EVENT = 2000
REQUESTS_SHOWN = 200
HIDDEN = "hidden"
DISMISSED = "dismissed"
REASON_TOO_LONG = f"the reason may have at most {MAX_REASON_CHARS} characters"


def set_hidden(uow: UnitOfWork, owner_id: int, event_id: int, photo_id: int, *, hidden: bool) -> None:
    """Hides the photographer's photo from guests (answering its open requests), or shows it again."""
    event = owned_event(uow, owner_id, event_id)
    uow.photos.in_event_by_id(event.id, photo_id)  # a removed or another event's photo: NotFoundError
    uow.photos.set_hidden(event.id, photo_id, hidden=hidden)
    if hidden:
        uow.removal_requests.resolve_photo(event.id, photo_id, HIDDEN)


def request_removal(uow: UnitOfWork, event: Event, photo_id: int, reason: str | None) -> bool:
    """A guest's request to take a photo down (the caller checked they were given it); returns
    whether it was stored (False: that photo or event already has too many waiting)."""
    reason = _reason(reason)
    if (
        uow.removal_requests.open_count(event.id, photo_id) >= MAX_OPEN_PER_PHOTO
        or uow.removal_requests.open_count(event.id) >= MAX_OPEN_PER_EVENT
    ):
        return False
    uow.removal_requests.add(event.id, photo_id, reason)
    return True


def open_requests(uow: UnitOfWork, event_id: int) -> list[RemovalRequest]:
    return uow.removal_requests.open(event_id, REQUESTS_SHOWN)


def answer_request(uow: UnitOfWork, owner_id: int, event_id: int, request_id: int, *, hide: bool) -> None:
    """The photographer hides the photo a request is about (answering all its requests), or dismisses it."""
    event = owned_event(uow, owner_id, event_id)
    photo_id = uow.removal_requests.resolve(event.id, request_id, HIDDEN if hide else DISMISSED)
    if hide:
        set_hidden(uow, owner_id, event.id, photo_id, hidden=True)


def _reason(reason: str | None) -> str | None:
    text = "".join(c for c in (reason or "") if c in "\n" or unicodedata.category(c) != "Cc").strip()
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInputError(REASON_TOO_LONG, code="reason_too_long")
    return text or None
