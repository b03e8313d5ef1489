"""Answers that carry a photo's bytes: a cached thumbnail or preview, the original, a ZIP.

Who may have which photo is decided before these are called (web/guest.py for guests, web/api.py
for the photographer); these only read and send.
"""

from __future__ import annotations

import functools
import mimetypes
from collections.abc import Callable, Sequence

from fastapi.responses import FileResponse, Response, StreamingResponse

from eventface.domain.models import Event, Photo
from eventface.errors import ImageError, NotFoundError, PhotoGoneError
from eventface.services.thumbnails import ThumbnailStore
from eventface.web.context import WebContext
from eventface.web.downloads import attachment, safe_base_name
from eventface.web.zipstream import stream_zip

# a guest link lives a day (web/capabilities.py); the bytes behind it may change when the photo does
IMAGE_CACHE = "private, max-age=3600"


def cached_image(context: WebContext, store: ThumbnailStore, event: Event, photo: Photo) -> FileResponse:
    """A thumbnail or preview, made once per photo version (re-encoded, never the file as it is)."""
    key = photo.content_hash or photo.version
    try:
        path = store.get(event.id, photo.id, key, lambda: read_original(context, event, photo))
    except ImageError as exc:
        raise NotFoundError(f"no preview for this photo: {exc}") from exc
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": IMAGE_CACHE})


def web_copy(context: WebContext, event: Event, photo: Photo) -> FileResponse:
    """The guest's "Save": a JPEG of at most 2048 px (runtime.WEB_COPY_PX) as a download named
    after the photo, made on the first request and cached like a preview (issue 14)."""
    response = cached_image(context, context.runtime.web_copies, event, photo)
    stem = safe_base_name(photo.name).rsplit(".", 1)[0] or "photo"
    response.headers["Content-Disposition"] = attachment(f"{stem}.jpg")
    return response


def original(context: WebContext, event: Event, photo: Photo) -> Response:
    """The original file, byte for byte, as a download."""
    data = read_original(context, event, photo)
    name = safe_base_name(photo.name)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(data, media_type=media_type, headers={"Content-Disposition": attachment(name)})


def zip_of(context: WebContext, event: Event, photos: Sequence[Photo]) -> StreamingResponse:
    """The photos' originals as one ZIP, streamed while it is made (never built in memory)."""
    entries: list[tuple[str, Callable[[], bytes]]] = [
        (p.name, functools.partial(_read_source_file, context, event, p.source_file_id)) for p in photos
    ]
    return StreamingResponse(
        stream_zip(entries),
        media_type="application/zip",
        headers={"Content-Disposition": attachment(f"{event.name or 'photos'}.zip")},
    )


def read_original(context: WebContext, event: Event, photo: Photo) -> bytes:
    """The file's bytes. Any other SourceError (folder unmounted, Drive down) goes on to the error
    handler: a 503 whose details (paths) stay in the log."""
    try:
        return _read_source_file(context, event, photo.source_file_id)
    except PhotoGoneError as exc:  # its message names the file: not for guests
        raise NotFoundError("this photo is no longer available") from exc


def _read_source_file(context: WebContext, event: Event, file_id: str) -> bytes:
    # one source per read: a ZIP is streamed after this request's handler has returned
    with context.runtime.source(event) as source:
        return source.read(file_id)
