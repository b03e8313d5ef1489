"""The guest side: the event page, selfie search, and event-scoped photo files.

Guests are not signed in: the unguessable slug is the key to the event. Every photo route is
scoped by that slug, so a photo id from another event is a 404. Selfies are parsed into memory
(never a temporary file), searched, and dropped; nothing of them is logged.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
import urllib.parse
from collections.abc import Callable
from pathlib import PurePath

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel

from eventface.domain.models import Event, Photo
from eventface.errors import (
    ConsentRequiredError,
    ImageError,
    NotFoundError,
    NoUsableSelfieError,
    PhotoGoneError,
    RateLimitedError,
    SourceError,
)
from eventface.services import search as search_service
from eventface.services.search import PhotoMatch, SearchResult, Selfie, SelfieReport
from eventface.services.thumbnails import ThumbnailStore
from eventface.web.context import Context, WebContext
from eventface.web.openapi import errors, file_answer
from eventface.web.params import Id
from eventface.web.ratelimit import client_key
from eventface.web.templating import render
from eventface.web.uploads import UploadLimits, read_selfie_form
from eventface.web.zipstream import stream_zip

log = logging.getLogger(__name__)
# every guest route names an event by its slug: an unknown one is a 404
router = APIRouter(tags=["guest"], responses=errors(404))

MAX_SELFIES = 3
MAX_ZIP_PHOTOS = 1000
CONSENT_VALUES = frozenset({"true", "on", "1", "yes"})
# selfie report codes that mean the face engine ran: such a request used up a search
_SEARCHED_CODES = frozenset({"ok", "no_face", "many_faces"})


# what guest.js shows, translated on the server (web/i18n.py)
GUEST_SCRIPT_STRINGS = (
    "Searching…",
    "Find my photos",
    "Please give your consent first.",
    "Please add a selfie first.",
    "At most 3 selfies.",
    "This file is too large.",
    "photos found",
    "No face found in this selfie: try one facing the camera, in good light.",
    "More than one face in this selfie: the largest one was used.",
    "This file could not be read as a photo.",
    "Too many searches: please wait a minute and try again.",
    "None of your selfies could be used.",
    "The server is busy right now. Please try again in a moment.",
    "The request took too long. Please try again.",
    "The search failed. Please try again.",
    "More photos of this person",
    "Photos of the person you chose",
    "Your photos",
    "Remove",
    "Selfie",
    "Photo",
)


class SelfieOut(BaseModel):
    faces_found: int
    code: str  # ok | no_face | many_faces | unreadable | too_large: the page translates it
    message: str | None


class MatchOut(BaseModel):
    photo_id: int
    name: str
    distance: float
    thumbnail_url: str
    preview_url: str
    download_url: str


class SearchOut(BaseModel):
    matches: list[MatchOut]
    selfies: list[SelfieOut]
    download_all_url: str | None


class FaceOut(BaseModel):
    face_id: int
    # fractions of the photo's width and height, so the page can draw them over any size
    left: float
    top: float
    width: float
    height: float


def guest_event(context: WebContext, slug: str) -> Event:
    with context.runtime.transactions() as uow:
        try:
            event = uow.events.find(slug)
        except NotFoundError:
            event = None
    # only the slug opens an event to guests, never its numeric id
    if event is None or event.slug != slug:
        raise HTTPException(404, "no such event: check the link you were given")
    return event


def guest_photo(context: WebContext, slug: str, photo_id: int) -> tuple[Event, Photo]:
    event = guest_event(context, slug)
    with context.runtime.transactions() as uow:
        try:
            return event, uow.photos.in_event_by_id(event.id, photo_id)
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc


def match_out(slug: str, match: PhotoMatch) -> MatchOut:
    base = f"/e/{slug}/photos/{match.photo_id}"
    return MatchOut(
        photo_id=match.photo_id,
        name=PurePath(match.name).name,
        distance=round(match.distance, 4),
        thumbnail_url=f"{base}/thumb",
        preview_url=f"{base}/preview",
        download_url=f"{base}/download",
    )


def zip_url(slug: str, matches: list[PhotoMatch]) -> str | None:
    if not matches:
        return None
    ids = ",".join(str(m.photo_id) for m in matches[:MAX_ZIP_PHOTOS])
    return f"/e/{slug}/download.zip?ids={ids}"


def selfie_out(report: SelfieReport) -> SelfieOut:
    return SelfieOut(faces_found=report.faces_found, code=report.code, message=report.message)


async def read_selfies(request: Request, context: WebContext) -> list[Selfie]:
    limits = UploadLimits(MAX_SELFIES, context.settings.max_selfie_mb)
    form = await read_selfie_form(request.headers, request.stream(), limits)
    if form.fields.get("consent", "").lower() not in CONSENT_VALUES:
        raise ConsentRequiredError("consent is required: send consent=true to agree to the face search")
    if not form.files:
        raise HTTPException(400, f"upload 1 to {MAX_SELFIES} selfies in the 'selfies' field")
    return [Selfie(f"selfie {number}", data) for number, data in enumerate(form.files, start=1)]


@router.get("/e/{slug}", response_class=HTMLResponse, include_in_schema=False)
def guest_page(slug: str, request: Request, context: Context) -> HTMLResponse:
    event = guest_event(context, slug)
    with context.runtime.transactions() as uow:
        summary = uow.events.summary(event.id)
        cover_photo = uow.photos.cover(event.id)
    cover = f"/e/{slug}/photos/{cover_photo.id}/preview" if cover_photo else None
    return render(
        request,
        context,
        "guest.html",
        event=event,
        photos=summary.photos,
        pending=summary.pending,
        cover_url=cover,
        max_selfies=MAX_SELFIES,
        max_selfie_mb=context.settings.max_selfie_mb,
        script_strings=GUEST_SCRIPT_STRINGS,
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
async def search(slug: str, request: Request, context: Context) -> SearchOut:
    """Finds the guest's photos: multipart with 1-3 `selfies` files and `consent=true`.

    422 `no_usable_selfie` (with a report per selfie) when no selfie can be used; 503 `busy`
    when too many searches are uploading at once.
    """
    event = guest_event(context, slug)
    client = _rate_limit(request, context)  # a search is counted before the body is read...
    counted = False
    try:
        with context.upload_slots.claim():
            selfies = await read_selfies(request, context)
            result = await run_in_threadpool(_find_photos, context, event, selfies)
            counted = True
            del selfies  # the guest's images go no further than this request
    except NoUsableSelfieError as exc:
        counted = _searched(exc)
        raise
    finally:
        if not counted:  # ...and given back if the face engine never ran
            context.search_limiter.refund(client)
    return SearchOut(
        matches=[match_out(slug, m) for m in result.matches],
        selfies=[selfie_out(r) for r in result.selfies],
        download_all_url=zip_url(slug, result.matches),
    )


@router.post("/api/e/{slug}/faces/{face_id}/search", response_model=SearchOut, responses=errors(429, 503))
def search_by_face(slug: str, face_id: Id, request: Request, context: Context) -> SearchOut:
    """ "More photos of this person": the photos of the person whose face (in this event) was picked."""
    event = guest_event(context, slug)
    _rate_limit(request, context)
    rt = context.runtime
    engine = rt.face_engine(event.engine)
    with context.search_lock, rt.transactions() as uow:
        try:
            matches = search_service.find_photos_like(
                uow,
                rt.index,
                engine,
                str(event.id),
                face_id,
                rt.search_limits(engine),
            )
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc
    return SearchOut(
        matches=[match_out(slug, m) for m in matches], selfies=[], download_all_url=zip_url(slug, matches)
    )


@router.get("/api/e/{slug}/photos/{photo_id}/faces", response_model=list[FaceOut])
def photo_faces(slug: str, photo_id: Id, context: Context) -> list[FaceOut]:
    event, photo = guest_photo(context, slug, photo_id)
    if not photo.width or not photo.height:
        return []
    with context.runtime.transactions() as uow:
        faces = uow.faces.of_photo(photo.id, event.engine)
    w, h = photo.width, photo.height
    return [
        FaceOut(
            face_id=f.id,
            left=round(f.box.left / w, 4),
            top=round(f.box.top / h, 4),
            width=round(f.box.width / w, 4),
            height=round(f.box.height / h, 4),
        )
        for f in faces
    ]


@router.get("/e/{slug}/photos/{photo_id}/thumb", include_in_schema=False)
def thumbnail(slug: str, photo_id: Id, context: Context) -> Response:
    return _cached_image(context, context.runtime.thumbnails, slug, photo_id)


@router.get("/e/{slug}/photos/{photo_id}/preview", include_in_schema=False)
def preview(slug: str, photo_id: Id, context: Context) -> Response:
    return _cached_image(context, context.runtime.previews, slug, photo_id)


@router.get(
    "/e/{slug}/photos/{photo_id}/download",
    response_class=Response,
    responses={**file_answer("The original file", "image/*", "application/octet-stream"), **errors(503)},
)
def download(slug: str, photo_id: Id, context: Context) -> Response:
    """The original file, byte for byte."""
    event, photo = guest_photo(context, slug, photo_id)
    data = _read_original(context, event, photo)
    name = PurePath(photo.name).name
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(data, media_type=media_type, headers={"Content-Disposition": _attachment(name)})


@router.get(
    "/e/{slug}/download.zip",
    response_class=StreamingResponse,
    responses={**file_answer("The photos as one ZIP", "application/zip"), **errors(400, 422)},
)
def download_all(
    slug: str,
    context: Context,
    ids: str = Query(..., description="comma-separated photo ids from a search"),
) -> StreamingResponse:
    """The chosen photos as one ZIP, streamed while it is made (never built in memory)."""
    event = guest_event(context, slug)
    try:
        wanted = list(dict.fromkeys(int(part) for part in ids.split(",") if part.strip()))
    except ValueError as exc:
        raise HTTPException(400, "ids must be comma-separated photo ids") from exc
    if not wanted or len(wanted) > MAX_ZIP_PHOTOS:
        raise HTTPException(400, f"choose 1 to {MAX_ZIP_PHOTOS} photos")
    with context.runtime.transactions() as uow:
        photos = uow.photos.in_event_by_ids(event.id, wanted)
    if not photos:
        raise HTTPException(404, "none of these photos are in this event")
    entries: list[tuple[str, Callable[[], bytes]]] = [
        (p.name, functools.partial(_read_source_file, context, event, p.source_file_id)) for p in photos
    ]
    filename = f"{event.name or 'photos'}.zip"
    return StreamingResponse(
        stream_zip(entries),
        media_type="application/zip",
        headers={"Content-Disposition": _attachment(filename)},
    )


def _find_photos(context: WebContext, event: Event, selfies: list[Selfie]) -> SearchResult:
    rt = context.runtime
    engine = rt.face_engine(event.engine)
    with context.search_lock, rt.transactions() as uow:
        return search_service.find_photos(
            uow, rt.index, engine, str(event.id), selfies, rt.search_limits(engine)
        )


def _rate_limit(request: Request, context: WebContext) -> str:
    """Counts a search for the client (the real address: see EVENTFACE_TRUSTED_PROXIES); its key."""
    client = client_key(request.client.host if request.client else "unknown")
    wait = context.search_limiter.check(client)
    if wait is not None:
        raise RateLimitedError("too many searches from this address: wait a minute and try again", wait)
    return client


def _searched(exc: NoUsableSelfieError) -> bool:
    """Whether a refused search still ran the face engine (a selfie without a face costs as much)."""
    reports = exc.reports if isinstance(exc.reports, list) else []
    return any(report.get("code") in _SEARCHED_CODES for report in reports)


def _read_source_file(context: WebContext, event: Event, file_id: str) -> bytes:
    # one source per read: a ZIP is streamed after this request's handler has returned
    with context.runtime.source(event) as source:
        return source.read(file_id)


def _read_original(context: WebContext, event: Event, photo: Photo) -> bytes:
    try:
        return _read_source_file(context, event, photo.source_file_id)
    except PhotoGoneError as exc:
        raise HTTPException(404, "this photo is no longer available") from exc
    except SourceError as exc:  # folder unmounted, Drive down: the details (paths) stay in the log
        log.warning("photo %s of event %s cannot be read: %s", photo.id, event.id, exc)
        raise HTTPException(503, "the photo cannot be read right now: try again in a moment") from exc


def _cached_image(context: WebContext, store: ThumbnailStore, slug: str, photo_id: int) -> Response:
    event, photo = guest_photo(context, slug, photo_id)
    key = photo.content_hash or photo.version
    try:
        path = store.get(event.id, photo.id, key, lambda: _read_original(context, event, photo))
    except ImageError as exc:
        raise HTTPException(404, f"no preview for this photo: {exc}") from exc
    # the key is in the file name; a changed photo gets a new file, so this URL's bytes may change
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"
