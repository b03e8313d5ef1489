"""The photographer's brand (issue 14): the brand form, the logo as guests get it, the event's cover.

One brand per photographer (services/branding.py says why); the event page links here and
chooses its own cover. The logo is served by the event's slug, so a guest page (and, later, an
email) can show it without a session; it is our own re-encoded PNG, so it may be cached long.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import Brand, User
from eventface.errors import InvalidInputError, NotFoundError, PayloadTooLargeError
from eventface.services import branding, guest_access
from eventface.web import photo_files
from eventface.web.auth import PageUser, check_csrf
from eventface.web.context import Context, Transaction, WebContext
from eventface.web.guest import guest_event
from eventface.web.i18n import language, translator
from eventface.web.params import Id
from eventface.web.templating import render

router = APIRouter(include_in_schema=False)

LOGO_CACHE = "public, max-age=31536000, immutable"  # its URL changes with its version
MAX_FORM_BYTES = branding.MAX_LOGO_BYTES + 64 * 1024
# the brand form's refusals, as the page says them (translated)
PAGE_MESSAGES = (*branding.MESSAGES, "Your brand is saved.")


def logo_url(slug: str, brand: Brand | None) -> str | None:
    return f"/e/{slug}/logo.png?v={brand.logo_version}" if brand and brand.logo_version else None


@router.get("/brand", response_class=HTMLResponse)
def brand_page(request: Request, context: Context, user: PageUser, uow: Transaction) -> HTMLResponse:
    saved = request.query_params.get("saved") == "1"
    return _form(request, context, user, branding.brand_of(uow, user.id), notice=saved)


@router.post("/brand", response_model=None)
async def save_brand(request: Request, context: Context, user: PageUser, uow: Transaction) -> Response:
    """The brand form: texts and, optionally, a new logo (multipart) or `remove_logo`."""
    # the photographer was looked up: no transaction stays open while the form uploads, and the
    # brand is saved in a second one
    await run_in_threadpool(uow.commit)
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise PayloadTooLargeError(branding.LOGO_TOO_BIG)
    form = await request.form(max_files=1, max_fields=10)
    check_csrf(request, _text(form.get("csrf_token")))
    fields = {name: _text(form.get(name)) for name in ("name", "line", "instagram", "website")}
    logo = form.get("logo")
    data = await logo.read(branding.MAX_LOGO_BYTES + 1) if isinstance(logo, UploadFile) else b""
    await form.close()
    try:
        await run_in_threadpool(_save_brand, uow, user, fields, data, bool(form.get("remove_logo")))
    except InvalidInputError as exc:
        uow.rollback()  # the texts saved before a refused logo are not kept either
        typed = Brand(user.id, fields["name"], fields["line"], fields["instagram"], fields["website"])
        logo_version = (await run_in_threadpool(branding.brand_of, uow, user.id)).logo_version
        shown = Brand(
            typed.owner_id, typed.name, typed.line_url, typed.instagram_url, typed.website_url, logo_version
        )
        message = translator(language(request))(str(exc))
        return _form(request, context, user, shown, error=message[:1].upper() + message[1:], status_code=422)
    return RedirectResponse("/brand?saved=1", status_code=303)


def _save_brand(uow: UnitOfWork, user: User, fields: dict[str, str], logo: bytes, remove_logo: bool) -> None:
    branding.save_brand(uow, user.id, fields["name"], fields["line"], fields["instagram"], fields["website"])
    if logo:
        branding.save_logo(uow, user.id, logo)
    elif remove_logo:
        branding.remove_logo(uow, user.id)


@router.get("/brand/logo.png")
def own_logo(context: Context, user: PageUser, uow: Transaction) -> Response:
    """The photographer's logo, for the brand form's preview."""
    found = uow.brands.logo(user.id)
    if found is None:
        raise NotFoundError("no logo")
    return Response(found[0], media_type="image/png", headers={"Cache-Control": "private, no-cache"})


@router.get("/e/{slug}/logo.png")
def event_logo(slug: str, uow: Transaction) -> Response:
    """The brand logo of the event's photographer, for its guest page (and emails)."""
    event = guest_event(uow, slug)
    found = uow.brands.logo(event.owner_id) if event.owner_id is not None else None
    if found is None:
        raise NotFoundError("this event has no logo")
    return Response(found[0], media_type="image/png", headers={"Cache-Control": LOGO_CACHE})


@router.get("/e/{slug}/cover.jpg")
def event_cover(slug: str, context: Context, uow: Transaction) -> Response:
    """The guest page's cover as one image: a private event's cover opens nothing else (no faces,
    no original), and it changes as soon as the photographer chooses another or hides it."""
    event = guest_event(uow, slug)
    photo = guest_access.cover(uow, event)
    if photo is None:
        raise NotFoundError("this event has no cover")
    uow.commit()  # its preview may have to be made: not with a transaction open
    answer = photo_files.cached_image(context, context.runtime.previews, event, photo)
    answer.headers["Cache-Control"] = "public, max-age=300"
    return answer


@router.post("/events/{event_id}/cover")
def choose_cover(
    event_id: Id,
    request: Request,
    user: PageUser,
    uow: Transaction,
    csrf: Annotated[str, Form(alias="csrf_token")],
    photo_id: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """The guest page's cover: one of the event's photos, or "" for the default (the first photo)."""
    check_csrf(request, csrf)
    chosen = int(photo_id) if photo_id.isdigit() else None
    guest_access.choose_cover(uow, user.id, event_id, chosen)
    return RedirectResponse(f"/events/{event_id}#branding", status_code=303)


def _form(
    request: Request,
    context: WebContext,
    user: User,
    brand: Brand,
    *,
    notice: bool = False,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        context,
        "brand.html",
        user=user,
        brand=brand,
        notice=notice,
        error=error,
        status_code=status_code,
        max_logo_mb=branding.MAX_LOGO_BYTES // 2**20,
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
