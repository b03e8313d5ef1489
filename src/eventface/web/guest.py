"""The guest side: the event page, selfie search, and the photos a search (or a gallery) gave.

Guests are not signed in: the unguessable slug is the key to the event. A guest reaches a photo,
its faces or a ZIP only through the signed, expiring links a search or the gallery handed out
(web/capabilities.py): a sequential id, another event's link, an expired or altered one are all
the same 404, and only indexed photos are served (services/guest_access.py). Selfies are parsed
into memory (never a temporary file), searched, and dropped; nothing of them is logged.

Each request is one transaction (`Transaction`), a selfie search too: its faces are found on a
search worker (faces/search_pool.py) while no transaction is open, with the engine of the event
as web/event_hints.py last saw it, and matched and ranked in the transaction after (the first
search of an event this process has not seen finds it in a short transaction of its own first).
Photo files are read, and their copies made, once the request's transaction has committed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import Event, EventVisibility, Photo
from eventface.errors import (
    ConsentRequiredError,
    NotFoundError,
    NoUsableSelfieError,
    RateLimitedError,
    ServerBusyError,
)
from eventface.services import branding, guest_access
from eventface.services import search as search_service
from eventface.services.search import PhotoMatch, SearchResult, Selfie, SelfieReport
from eventface.web import photo_files
from eventface.web.capabilities import MAX_TOKEN_CHARS
from eventface.web.context import Context, Transaction, WebContext
from eventface.web.downloads import safe_base_name
from eventface.web.openapi import errors, file_answer
from eventface.web.ratelimit import client_key
from eventface.web.templating import render
from eventface.web.uploads import UploadLimits, read_selfie_form

log = logging.getLogger(__name__)
# every guest route names an event by its slug: an unknown one is a 404
router = APIRouter(tags=["guest"], responses=errors(404))

MAX_SELFIES = 3
MAX_ZIP_PHOTOS = 1000
GALLERY_PAGE_PHOTOS = 60
MAX_PAGE = 100_000
CONSENT_VALUES = frozenset({"true", "on", "1", "yes"})
# selfie report codes that mean the face engine ran: such a request used up a search
_SEARCHED_CODES = frozenset({"ok", "no_face", "many_faces", "face_too_small", "face_blurry"})

Token = Annotated[str, Path(max_length=MAX_TOKEN_CHARS, description="a signed link's token")]

# what guest.js shows, translated on the server (web/i18n.py)
GUEST_SCRIPT_STRINGS = (
    "Searching…",
    "Find my photos",
    "Please give your consent first.",
    "At most 3 selfies.",
    "This file is too large.",
    "{n} photos found",
    "No face found in this selfie: try one facing the camera, in good light.",
    "More than one face in this selfie: the largest one was used.",
    *search_service.SELFIE_FAULTS.values(),
    "This file could not be read as a photo.",
    "Too many searches: please wait a minute and try again.",
    "None of your selfies could be used.",
    "The server is busy right now. Please try again in a moment.",
    "Many guests are searching right now: trying again in {seconds} s…",
    "The request took too long. Please try again.",
    "The search failed. Please try again.",
    "More photos of this person",
    "Photos of the person you chose",
    "Your photos",
    "Selfie",
    "Photo",
    # issue 14: the steps of a search, the viewer, saving and sharing
    "Preparing your selfie…",
    "Uploading your selfie… {percent} %",
    "Finding your face…",
    "Loading your photos…",
    "The connection was lost. Please try again.",
    "{count} hidden: show them",
    "Sharing is not available here: the photo was saved instead.",
    "Sent. The photographer will look at it.",
    "Could not send it. Please try again.",
    "Reporting is not available for this event.",
    "Find more with another selfie",
)


class SelfieOut(BaseModel):
    faces_found: int
    code: str  # ok | no_face | many_faces | unreadable | too_large: the page translates it
    message: str | None


class PhotoOut(BaseModel):
    """A photo a guest was given: its URLs are signed links that expire (web/capabilities.py)."""

    photo_id: int
    name: str
    thumbnail_url: str
    preview_url: str
    download_url: str
    web_url: str = Field(description="a phone-friendly JPEG (long side <= 2048 px), as a download")
    faces_url: str = Field(description="its faces, each with the URL of 'more photos of this person'")
    focus: tuple[float, float] | None = Field(
        default=None,
        description="where a thumbnail's crop is centred, [x, y] in fractions of the photo: the matched "
        "face in a search, the largest face in a gallery",
    )


class MatchOut(PhotoOut):
    distance: float


class SearchOut(BaseModel):
    matches: list[MatchOut]
    selfies: list[SelfieOut]
    download_all_url: str | None


class FaceOut(BaseModel):
    # fractions of the photo's width and height, so the page can draw them over any size
    left: float
    top: float
    width: float
    height: float
    search_url: str = Field(description="POST: more photos of this person (a signed link)")


class AlbumOut(BaseModel):
    name: str
    photos: int


class GalleryOut(BaseModel):
    albums: list[AlbumOut]
    total: int
    album: str | None
    page: int
    next_page: int | None
    photos: list[PhotoOut]


def guest_event(uow: UnitOfWork, slug: str) -> Event:
    try:
        event = uow.events.find(slug)
    except NotFoundError:
        event = None
    # only the slug opens an event to guests, never its numeric id
    if event is None or event.slug != slug:
        raise NotFoundError("no such event: check the link you were given")
    return event


def given_photo(uow: UnitOfWork, context: WebContext, slug: str, token: str) -> tuple[Event, Photo]:
    """The photo a guest link opens, if it may still be served; else NotFoundError, whatever the reason."""
    event = guest_event(uow, slug)
    given = context.capabilities.open_photo(event.id, token)
    return event, guest_access.served_photo(uow, event, given.id, browsed=given.browsed)


def given_file(uow: UnitOfWork, context: WebContext, slug: str, token: str) -> tuple[Event, Photo]:
    """`given_photo`, the unit of work committed: the file is read (or a copy made) with no
    transaction open."""
    found = given_photo(uow, context, slug, token)
    uow.commit()
    return found


async def event_to_search(context: WebContext, uow: UnitOfWork, slug: str) -> Event:
    """The event a selfie search (or subscription) embeds for, known before any transaction if
    a page of it was served lately; else looked up in a short transaction, committed before the
    face engine runs. `event_still` checks it again once the faces are found."""
    event = context.event_hints.get(slug)
    if event is None:
        event = await run_in_threadpool(_look_up_event, context, uow, slug)
    return event


def _look_up_event(context: WebContext, uow: UnitOfWork, slug: str) -> Event:
    event = guest_event(uow, slug)
    uow.commit()
    context.event_hints.remember(event)
    return event


def event_still(context: WebContext, uow: UnitOfWork, embedded_for: Event) -> Event:
    """The event as it is now, if the selfies embedded for `embedded_for` still fit it (the same
    event, the same face engine); a 404 if it is gone, a retry if it changed meanwhile."""
    try:
        event = guest_event(uow, embedded_for.slug)
    except NotFoundError:
        context.event_hints.forget(embedded_for.slug)
        raise
    if (event.id, event.engine) != (embedded_for.id, embedded_for.engine):
        context.event_hints.forget(embedded_for.slug)
        raise ServerBusyError("the event changed during the search: please search again", 1.0)
    context.event_hints.remember(event)
    return event


def photo_out(
    context: WebContext, event: Event, photo_id: int, name: str, *, browsed: bool = False
) -> PhotoOut:
    token = context.capabilities.photo(event.id, photo_id, browsed=browsed)
    base = f"/e/{event.slug}/p/{token}"
    return PhotoOut(
        photo_id=photo_id,
        name=safe_base_name(name),
        thumbnail_url=f"{base}/thumb",
        preview_url=f"{base}/preview",
        download_url=f"{base}/download",
        web_url=f"{base}/web",
        faces_url=f"/api/e/{event.slug}/p/{token}/faces",
    )


def match_out(context: WebContext, event: Event, match: PhotoMatch) -> MatchOut:
    given = photo_out(context, event, match.photo_id, match.name)
    return MatchOut(**(given.model_dump() | {"focus": match.focus}), distance=round(match.distance, 4))


def zip_url(context: WebContext, event: Event, matches: list[PhotoMatch]) -> str | None:
    if not matches:
        return None
    token = context.capabilities.photos(event.id, (m.photo_id for m in matches[:MAX_ZIP_PHOTOS]))
    return f"/e/{event.slug}/z/{token}/download"


def search_out(
    context: WebContext, event: Event, matches: list[PhotoMatch], selfies: list[SelfieOut]
) -> SearchOut:
    """What a search hands the guest: signed links to exactly the photos it found."""
    return SearchOut(
        matches=[match_out(context, event, m) for m in matches],
        selfies=selfies,
        download_all_url=zip_url(context, event, matches),
    )


def selfie_out(report: SelfieReport) -> SelfieOut:
    return SelfieOut(faces_found=report.faces_found, code=report.code, message=report.message)


async def read_selfies(request: Request, context: WebContext) -> tuple[list[Selfie], dict[str, str]]:
    """The selfies, and the form's other fields; refused without consent."""
    limits = UploadLimits(MAX_SELFIES, context.settings.max_selfie_mb)
    form = await read_selfie_form(request.headers, request.stream(), limits)
    if form.fields.get("consent", "").lower() not in CONSENT_VALUES:
        raise ConsentRequiredError("consent is required: send consent=true to agree to the face search")
    if not form.files:
        raise HTTPException(400, f"upload 1 to {MAX_SELFIES} selfies in the 'selfies' field")
    selfies = [Selfie(f"selfie {number}", data) for number, data in enumerate(form.files, start=1)]
    return selfies, form.fields


@dataclass(frozen=True)
class EmbeddedSelfies:
    queries: list[np.ndarray]  # one per usable selfie: never empty
    reports: list[SelfieReport]
    fields: dict[str, str]  # the form's other fields


async def embed_selfies(request: Request, context: WebContext, event: Event) -> EmbeddedSelfies:
    """A selfie upload admitted as a search is (the per-client rate limit, a place in the queue,
    an upload slot, consent, size caps) and embedded on the search workers; the selfies go no
    further. NoUsableSelfieError (with a report per selfie) when none can be used.

    Used by the search and by the subscription to new photos (web/notify_pages.py)."""
    client = _rate_limit(request, context)  # a search is counted before the body is read...
    counted = False
    try:
        with context.search_queue.claim():  # a place in the queue before the body is read
            with context.upload_slots.claim():
                selfies, fields = await read_selfies(request, context)
            limits = context.runtime.search_limits(context.runtime.face_engine(event.engine))
            # one selfie per search worker: a guest's three selfies take one selfie's time
            # when the workers are free (and the same CPU as one after another when they are not)
            parts = await asyncio.gather(
                *(
                    context.runtime.search_engines.run(
                        event.engine, search_service.selfie_embeddings, [selfie], limits.max_pixels
                    )
                    for selfie in selfies
                )
            )
            del selfies  # the guest's images go no further than this
        queries = [query for found, _ in parts for query in found]
        reports = [report for _, told in parts for report in told]
        # a selfie without a face costs the engine as much as one with a face
        counted = any(report.code in _SEARCHED_CODES for report in reports)
        if not queries:
            raise NoUsableSelfieError(
                "none of the selfies could be used: see why for each one", [r.public() for r in reports]
            )
    finally:
        if not counted:  # ...and given back if the face engine never ran
            context.search_limiter.refund(client)
    return EmbeddedSelfies(queries, reports, fields)


@router.get("/e/{slug}", response_class=HTMLResponse, include_in_schema=False)
def guest_page(
    slug: str,
    request: Request,
    context: Context,
    uow: Transaction,
    album: str | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    event = guest_event(uow, slug)
    context.event_hints.remember(event)  # the search that follows knows its engine before any transaction
    summary = uow.events.summary(event.id)
    cover_photo = guest_access.cover(uow, event)
    gallery_event = event.visibility is EventVisibility.GALLERY
    cover_url = None
    if cover_photo and gallery_event:
        cover_url = photo_out(context, event, cover_photo.id, cover_photo.name, browsed=True).preview_url
    elif cover_photo:  # a private event's chosen cover: one image (web/branding_pages.py), not its faces
        cover_url = f"/e/{event.slug}/cover.jpg?v={cover_photo.id}"
    browse = _gallery(uow, context, event, album, page) if gallery_event else None
    page_url = context.guest_url(request, event.slug)
    return render(
        request,
        context,
        "guest.html",
        event=event,
        photos=summary.photos,
        pending=summary.pending,
        cover_url=cover_url,
        # the link's card in LINE and Facebook: their crawlers have no session, only this URL
        page_url=page_url,
        og_image=context.base_url(request) + cover_url if cover_url else None,
        gallery=browse,
        max_selfies=MAX_SELFIES,
        max_selfie_mb=context.settings.max_selfie_mb,
        script_strings=GUEST_SCRIPT_STRINGS,
        brand=branding.brand_for_event(uow, event),  # the photographer's (issue 14): templates/_brand.html
    )


# the body is parsed by hand (in memory, capped), so FastAPI cannot describe it on its own
SEARCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["selfies", "consent"],
                    "properties": {
                        "selfies": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "minItems": 1,
                            "maxItems": MAX_SELFIES,
                            "description": "1-3 selfies: JPEG, PNG, HEIC or WebP",
                        },
                        "consent": {"type": "string", "enum": ["true"], "description": "the guest agrees"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/api/e/{slug}/search",
    response_model=SearchOut,
    openapi_extra=SEARCH_BODY,
    responses=errors(400, 408, 413, 415, 422, 429, 503),
)
async def search(slug: str, request: Request, context: Context, uow: Transaction) -> SearchOut:
    """Finds the guest's photos: multipart with 1-3 `selfies` files and `consent=true`.

    422 `no_usable_selfie` (with a report per selfie) when no selfie can be used; 503 `busy`,
    with `Retry-After`, when the queue of searches is full or too many are uploading at once.
    """
    event = await event_to_search(context, uow, slug)
    embedded = await embed_selfies(request, context, event)
    event, result = await run_in_threadpool(_match, context, uow, event, embedded.queries, embedded.reports)
    return search_out(context, event, result.matches, [selfie_out(r) for r in result.selfies])


@router.post("/api/e/{slug}/f/{token}/search", response_model=SearchOut, responses=errors(429, 503))
def search_by_face(
    slug: str, token: Token, request: Request, context: Context, uow: Transaction
) -> SearchOut:
    """ "More photos of this person": the photos of the person whose face (a signed link from a
    photo's faces) was picked. Its query is a stored face: no face engine runs."""
    event = guest_event(uow, slug)
    face = context.capabilities.open_face(event.id, token)
    guest_access.check_still_open(event, browsed=face.browsed)
    guest_access.check_face_shown(uow, event, face.id)  # not from a photo since hidden (issue 14)
    _rate_limit(request, context)
    rt = context.runtime
    engine = rt.face_engine(event.engine)
    matches = search_service.find_photos_like(
        uow, rt.index, engine, str(event.id), face.id, rt.search_limits(engine)
    )
    return search_out(context, event, matches, [])


@router.get("/api/e/{slug}/p/{token}/faces", response_model=list[FaceOut])
def photo_faces(slug: str, token: Token, context: Context, uow: Transaction) -> list[FaceOut]:
    """The faces in a photo the guest was given, each with its "more photos of this person" link."""
    event, caps = guest_event(uow, slug), context.capabilities
    given = caps.open_photo(event.id, token)  # its faces' links are a gallery's if it is
    photo = guest_access.served_photo(uow, event, given.id, browsed=given.browsed)
    if not photo.width or not photo.height:
        return []
    faces = uow.faces.of_photo(photo.id, event.engine)
    w, h = photo.width, photo.height
    return [
        FaceOut(
            left=round(f.box.left / w, 4),
            top=round(f.box.top / h, 4),
            width=round(f.box.width / w, 4),
            height=round(f.box.height / h, 4),
            search_url=f"/api/e/{slug}/f/{caps.face(event.id, f.id, browsed=given.browsed)}/search",
        )
        for f in faces
    ]


@router.get("/e/{slug}/p/{token}/thumb", include_in_schema=False)
def thumbnail(slug: str, token: Token, context: Context, uow: Transaction) -> Response:
    event, photo = given_file(uow, context, slug, token)
    return photo_files.cached_image(context, context.runtime.thumbnails, event, photo)


@router.get("/e/{slug}/p/{token}/preview", include_in_schema=False)
def preview(slug: str, token: Token, context: Context, uow: Transaction) -> Response:
    event, photo = given_file(uow, context, slug, token)
    return photo_files.cached_image(context, context.runtime.previews, event, photo)


@router.get(
    "/e/{slug}/p/{token}/web",
    response_class=Response,
    responses=file_answer("A JPEG of at most 2048 px, as a download", "image/jpeg"),
)
def web_copy(slug: str, token: Token, context: Context, uow: Transaction) -> Response:
    """The guest's "Save": a phone-friendly copy of the photo (its `web_url`), without metadata."""
    event, photo = given_file(uow, context, slug, token)
    return photo_files.web_copy(context, event, photo)


@router.get(
    "/e/{slug}/p/{token}/download",
    response_class=Response,
    responses={**file_answer("The original file", "image/*", "application/octet-stream"), **errors(503)},
)
def download(slug: str, token: Token, context: Context, uow: Transaction) -> Response:
    """The original file, byte for byte (a link from a search or the gallery)."""
    event, photo = given_file(uow, context, slug, token)
    return photo_files.original(context, event, photo)


@router.get(
    "/e/{slug}/z/{token}/download",
    response_class=StreamingResponse,
    responses=file_answer("The photos as one ZIP", "application/zip"),
)
def download_all(slug: str, token: Token, context: Context, uow: Transaction) -> StreamingResponse:
    """The photos of a search as one ZIP of their originals (its `download_all_url`)."""
    event = guest_event(uow, slug)
    photo_ids = context.capabilities.open_photos(event.id, token)
    photos = guest_access.served_photos(uow, event, photo_ids)
    if not photos:
        raise NotFoundError("none of these photos can be downloaded any more")
    return photo_files.zip_of(context, event, photos)


@router.get("/api/e/{slug}/gallery", response_model=GalleryOut, responses=errors(422))
def gallery(
    slug: str,
    context: Context,
    uow: Transaction,
    album: str | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=GALLERY_PAGE_PHOTOS)] = GALLERY_PAGE_PHOTOS,
) -> GalleryOut:
    """A gallery event's indexed photos, all or one album's (a folder under the event's folder),
    a page at a time; 404 for a private event, whose photos are found only by searching."""
    return _gallery(uow, context, guest_event(uow, slug), album, page, per_page)


def _gallery(
    uow: UnitOfWork,
    context: WebContext,
    event: Event,
    album: str | None,
    page: int,
    per_page: int = GALLERY_PAGE_PHOTOS,
) -> GalleryOut:
    found = guest_access.gallery_page(uow, event, album, page, per_page)
    return GalleryOut(
        albums=[AlbumOut(name=a.name, photos=a.photos) for a in found.albums],
        total=found.total,
        album=found.album,
        page=found.page,
        next_page=found.page + 1 if found.has_next else None,
        photos=[
            photo_out(context, event, p.id, p.name, browsed=True).model_copy(
                update={"focus": found.focus.get(p.id)}
            )
            for p in found.photos
        ],
    )


def _match(
    context: WebContext,
    uow: UnitOfWork,
    embedded_for: Event,
    queries: list[np.ndarray],
    reports: list[SelfieReport],
) -> tuple[Event, SearchResult]:
    event = event_still(context, uow, embedded_for)
    rt = context.runtime
    engine = rt.face_engine(event.engine)  # ranks with its metric: its models stay unloaded here
    limits = rt.search_limits(engine)
    return event, search_service.match_selfies(uow, rt.index, engine, event.id, queries, reports, limits)


def _rate_limit(request: Request, context: WebContext) -> str:
    """Counts a search for the client (the real address: see EVENTFACE_TRUSTED_PROXIES); its key."""
    client = client_key(request.client.host if request.client else "unknown")
    wait = context.search_limiter.check(client)
    if wait is not None:
        raise RateLimitedError("too many searches from this address: wait a minute and try again", wait)
    return client
