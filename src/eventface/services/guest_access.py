"""What a guest with an event's link may reach (issue 10).

A private event (the default) shows a guest only the photos a search found them in; a gallery
event also lets anyone with the link browse every photo, by album (the first folder of the
photo's path under the event's folder). Either way only indexed photos are ever served: a
pending or failed file (a text file named `.jpg`) is never handed to a guest. The web layer
proves which photos a guest was given (signed links, web/capabilities.py); this module decides
whether they may still be served. A photo the photographer hid (services/photo_removal.py)
is never served, found, browsed or shown as the cover.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from eventface.db.repositories import photo_of_face
from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import Event, EventVisibility, Photo, PhotoStatus
from eventface.errors import InvalidInputError, NotFoundError
from eventface.services.events import owned_event
from eventface.services.search import face_focus


@dataclass(frozen=True)
class Album:
    name: str  # a folder directly under the event's folder
    photos: int


@dataclass(frozen=True)
class GalleryPage:
    albums: list[Album]
    total: int  # indexed photos in the whole event
    album: str | None  # the album shown; None: all photos
    photos: list[Photo]
    page: int
    has_next: bool
    focus: dict[int, tuple[float, float]]  # by photo id: its thumbnail's crop centre (face_focus)


def check_still_open(event: Event, *, browsed: bool) -> None:
    """What a gallery handed out (a photo, a face in it) works only while the event is a gallery;
    what a search found stays found. NotFoundError otherwise."""
    if browsed and event.visibility is not EventVisibility.GALLERY:
        raise NotFoundError("this event's photos are found by searching, not browsed")


def served_photo(uow: UnitOfWork, event: Event, photo_id: int, *, browsed: bool = False) -> Photo:
    """The event's photo if it may be served to a guest (it is indexed, and `check_still_open`);
    NotFoundError otherwise."""
    check_still_open(event, browsed=browsed)
    found = uow.photos.indexed_by_ids(event.id, [photo_id])
    if not found:
        raise NotFoundError("no such photo in this event")
    return found[0]


def served_photos(uow: UnitOfWork, event: Event, photo_ids: Sequence[int]) -> list[Photo]:
    """Those of `photo_ids` that may be served (indexed photos of the event), in that order."""
    return uow.photos.indexed_by_ids(event.id, photo_ids)


def cover(uow: UnitOfWork, event: Event) -> Photo | None:
    """The guest page's cover photo (issue 14): the one the photographer chose, while guests may
    see it; in a gallery event without a choice, the first photo (a crowded group photo would
    show strangers' faces to everyone with the link). A private event shows only a chosen cover:
    its photos are no one's to browse."""
    gallery = event.visibility is EventVisibility.GALLERY
    return uow.photos.cover(event.id, event.cover_photo_id, fallback=gallery)


def check_face_shown(uow: UnitOfWork, event: Event, face_id: int) -> None:
    """A face's "more photos of this person" works only while its photo may be served (not hidden)."""
    photo_id = photo_of_face(uow.session, event.id, face_id)
    if photo_id is None or not uow.photos.indexed_by_ids(event.id, [photo_id]):
        raise NotFoundError("no such face in this event")


def choose_cover(uow: UnitOfWork, owner_id: int, event_id: int, photo_id: int | None) -> None:
    """The photographer picks the cover (None: back to the default); it must be one guests may see."""
    event = owned_event(uow, owner_id, event_id)
    if photo_id is not None:
        photo = uow.photos.in_event_by_id(event.id, photo_id)
        if photo.status is not PhotoStatus.INDEXED or photo.hidden:
            raise InvalidInputError(
                "the cover must be an indexed photo that guests may see", code="cover_not_shown"
            )
    uow.events.set_cover(event.id, photo_id)


def album_of(name: str) -> str | None:
    folder, separator, _ = name.partition("/")
    return folder if separator and folder else None


def gallery_page(uow: UnitOfWork, event: Event, album: str | None, page: int, per_page: int) -> GalleryPage:
    """One page of a gallery event's indexed photos, all or one album's; NotFoundError for a private
    event (its photos are not browsable) or an album it does not have."""
    if event.visibility is not EventVisibility.GALLERY:
        raise NotFoundError("this event's photos are found by searching, not browsed")
    counts = Counter(album_of(name) for name in uow.photos.indexed_names(event.id))
    if album is not None and not counts.get(album):
        raise NotFoundError("no such album in this event")
    photos = uow.photos.indexed_page(event.id, album, limit=per_page + 1, offset=(page - 1) * per_page)
    albums = [Album(name, n) for name, n in counts.items() if name is not None]
    shown = photos[:per_page]
    boxes = uow.faces.largest_boxes(event.id, [p.id for p in shown])
    return GalleryPage(
        albums=sorted(albums, key=lambda a: (a.name.casefold(), a.name)),
        total=sum(counts.values()),
        album=album,
        photos=shown,
        page=page,
        has_next=len(photos) > per_page,
        # thumbnails are cropped around the photo's main (largest) face
        focus={p.id: f for p in shown if (f := face_focus(boxes.get(p.id), p)) is not None},
    )


def set_visibility(uow: UnitOfWork, owner_id: int, event_id: int, visibility: EventVisibility) -> Event:
    """The photographer chooses what guests with the link may see; another's event is NotFoundError."""
    owned_event(uow, owner_id, event_id)
    uow.events.set_visibility(event_id, visibility)
    return uow.events.get(event_id)
