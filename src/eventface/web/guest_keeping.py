"""What a guest keeps (issue 14): a ZIP link for the photos they kept across searches, and the
web app manifest that puts the event's page on their phone's home screen.

Both are strangers' routes, reached with the event's slug: the ZIP takes only photo links a
search handed out (web/capabilities.py), from a body read with a cap before it is parsed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from eventface.db.unit_of_work import UnitOfWork
from eventface.errors import NotFoundError, PayloadTooLargeError
from eventface.services import guest_access
from eventface.web.context import Context, Transaction, WebContext
from eventface.web.guest import MAX_ZIP_PHOTOS, guest_event
from eventface.web.openapi import errors

router = APIRouter(tags=["guest"], responses=errors(404))

PHOTO_TOKEN_CHARS = 100  # a photo's token is ~30 characters (web/capabilities.py)
# read before parsing, capped: this route takes a stranger's JSON (issue 14)
ZIP_BODY_BYTES = MAX_ZIP_PHOTOS * (PHOTO_TOKEN_CHARS + 3) + 1024


class ZipIn(BaseModel):
    photos: list[Annotated[str, Field(max_length=PHOTO_TOKEN_CHARS)]] = Field(
        min_length=1, max_length=MAX_ZIP_PHOTOS, description="tokens of photo links a search gave"
    )


class ZipOut(BaseModel):
    download_all_url: str


ZIP_BODY = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": ZipIn.model_json_schema()}}}
}


@router.post(
    "/api/e/{slug}/zip", response_model=ZipOut, openapi_extra=ZIP_BODY, responses=errors(400, 413, 422)
)
async def zip_link(slug: str, request: Request, context: Context, uow: Transaction) -> ZipOut:
    """A ZIP link for the photos the guest kept: several searches' results, less those they hid.

    Takes only what searches handed out: a gallery's links (or a forged one) are a 404, so the
    ZIP's signed list holds nothing the guest could not download one by one."""
    try:
        body = ZipIn.model_validate_json(await _read_capped(request, ZIP_BODY_BYTES))
    except ValidationError as exc:
        # as FastAPI reports a body's problems: each located under "body"
        # (less the input, which may be bytes that are not text)
        problems = [
            {"type": p["type"], "loc": ("body", *p["loc"]), "msg": p["msg"]}
            for p in exc.errors(include_url=False)
        ]
        raise RequestValidationError(problems) from exc
    return await run_in_threadpool(_zip_link, context, uow, slug, body.photos)


def _zip_link(context: WebContext, uow: UnitOfWork, slug: str, tokens: list[str]) -> ZipOut:
    caps = context.capabilities
    event = guest_event(uow, slug)
    ids: list[int] = []
    for token in tokens:
        given = caps.open_photo(event.id, token)
        if given.browsed:
            raise NotFoundError("no such photo in this event")
        ids.append(given.id)
    served = guest_access.served_photos(uow, event, list(dict.fromkeys(ids)))
    if not served:
        raise NotFoundError("none of these photos can be downloaded any more")
    token = caps.photos(event.id, (p.id for p in served))
    return ZipOut(download_all_url=f"/e/{event.slug}/z/{token}/download")


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise PayloadTooLargeError(f"the request is larger than {cap} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise PayloadTooLargeError(f"the request is larger than {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


MANIFEST_ICONS = ((192, "/static/icon-192.png"), (512, "/static/icon-512.png"))


@router.get("/e/{slug}/manifest.webmanifest", include_in_schema=False)
def manifest(slug: str, request: Request, context: Context, uow: Transaction) -> JSONResponse:
    """The web app manifest: "add to home screen" puts this event's page on the phone."""
    event = guest_event(uow, slug)
    start = f"/e/{event.slug}"
    body = {
        "name": event.name,
        "short_name": event.name[:24],
        "start_url": start,
        "scope": start,
        "id": start,
        "display": "standalone",
        "background_color": "#f6f7fb",
        "theme_color": "#4f46e5",
        "icons": [
            {"src": src, "sizes": f"{px}x{px}", "type": "image/png", "purpose": "any maskable"}
            for px, src in MANIFEST_ICONS
        ],
    }
    return JSONResponse(body, media_type="application/manifest+json")
