"""The photographer's pages: sign up, sign in, dashboard, new event, event page with QR code.

Forms post back here with a CSRF token; the event page's live parts (indexing progress,
auto-sync) call the JSON API from its script with the session and the `X-CSRF-Token` header.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated

import segno
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from eventface.errors import AuthenticationError, InvalidInputError
from eventface.services import accounts, sync
from eventface.services import events as event_service
from eventface.web.api import latest_task, owned, start_indexing
from eventface.web.auth import OptionalUser, PageUser, check_csrf, sign_in, sign_out
from eventface.web.context import Context
from eventface.web.templating import render

router = APIRouter(include_in_schema=False)

PHOTOS_PER_PAGE = 120
AUTO_SYNC_CHOICES = (0.5, 1, 2, 5, 10, 15, 30, 60)

CsrfField = Annotated[str, Form(alias="csrf_token")]


def _safe_next(next_path: str | None) -> str:
    # only a local path: a login link must not bounce the photographer to another site
    if next_path and next_path.startswith("/") and not next_path.startswith("//"):
        return next_path
    return "/events"


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/")
def home(user: OptionalUser) -> RedirectResponse:
    return _see_other("/events" if user else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, context: Context, next: str | None = None) -> HTMLResponse:
    return render(request, context, "login.html", next=_safe_next(next))


@router.post("/login", response_model=None)
def login(
    request: Request,
    context: Context,
    csrf: CsrfField,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/events",
) -> Response:
    check_csrf(request, csrf)
    try:
        with context.runtime.transactions() as uow:
            user = accounts.authenticate(uow, email, password)
    except AuthenticationError as exc:
        return render(
            request,
            context,
            "login.html",
            status_code=401,
            error=str(exc),
            email=email,
            next=_safe_next(next),
        )
    sign_in(request, user)
    return _see_other(_safe_next(next))


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, context: Context) -> HTMLResponse:
    return render(request, context, "signup.html")


@router.post("/signup", response_model=None)
def signup(
    request: Request,
    context: Context,
    csrf: CsrfField,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    check_csrf(request, csrf)
    try:
        with context.runtime.transactions() as uow:
            user = accounts.create_user(uow, email, password)
    except InvalidInputError as exc:
        return render(request, context, "signup.html", status_code=422, error=str(exc), email=email)
    sign_in(request, user)
    return _see_other("/events")


@router.post("/logout")
def logout(request: Request, csrf: CsrfField) -> RedirectResponse:
    check_csrf(request, csrf)
    sign_out(request)
    return _see_other("/login")


@router.get("/events", response_class=HTMLResponse)
def dashboard(request: Request, context: Context, user: PageUser) -> HTMLResponse:
    with context.runtime.transactions() as uow:
        summaries = event_service.list_events(uow, owner_id=user.id)
        rows = [(s, uow.tasks.latest(s.event.id), uow.events.auto_sync(s.event.id)) for s in summaries]
    return render(request, context, "dashboard.html", user=user, rows=rows)


@router.get("/events/new", response_class=HTMLResponse)
def new_event_page(request: Request, context: Context, user: PageUser) -> HTMLResponse:
    return render(request, context, "event_new.html", user=user, today=date.today().isoformat())


@router.post("/events", response_model=None)
def create_event(
    request: Request,
    context: Context,
    user: PageUser,
    csrf: CsrfField,
    name: Annotated[str, Form()],
    folder: Annotated[str, Form()],
    event_date: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        when = date.fromisoformat(event_date) if event_date.strip() else None
        with context.runtime.transactions() as uow:
            event = event_service.create_event(
                uow,
                name,
                folder,
                context.settings.face_engine.value,
                owner_id=user.id,
                event_date=when,
            )
    except (InvalidInputError, ValueError) as exc:
        return render(
            request,
            context,
            "event_new.html",
            user=user,
            status_code=422,
            error=str(exc),
            name=name,
            folder=folder,
            today=event_date,
        )
    return _see_other(f"/events/{event.id}")


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(
    event_id: int, request: Request, context: Context, user: PageUser, page: Annotated[int, Query(ge=1)] = 1
) -> HTMLResponse:
    event = owned(context, user.id, event_id)
    with context.runtime.transactions() as uow:
        summary = uow.events.summary(event.id)
        photos = uow.photos.in_event(event.id, limit=PHOTOS_PER_PAGE + 1, offset=(page - 1) * PHOTOS_PER_PAGE)
        auto_sync = sync.auto_sync_status(uow, str(event.id))
    return render(
        request,
        context,
        "event.html",
        user=user,
        event=event,
        summary=summary,
        photos=photos[:PHOTOS_PER_PAGE],
        next_page=page + 1 if len(photos) > PHOTOS_PER_PAGE else None,
        page=page,
        task=latest_task(context, event.id),
        auto_sync=auto_sync,
        interval_choices=AUTO_SYNC_CHOICES,
        default_interval=context.settings.auto_sync_interval,
        guest_url=context.guest_url(request, event.slug),
        qr_svg=_qr(context.guest_url(request, event.slug)).svg_inline(scale=4, border=2, omitsize=True),
    )


@router.post("/events/{event_id}/index")
def index_event(
    event_id: int, request: Request, context: Context, user: PageUser, csrf: CsrfField
) -> Response:
    check_csrf(request, csrf)
    start_indexing(context, owned(context, user.id, event_id))
    return _see_other(f"/events/{event_id}")


@router.post("/events/{event_id}/delete", response_model=None)
def delete_event(
    event_id: int,
    request: Request,
    context: Context,
    user: PageUser,
    csrf: CsrfField,
    confirm_name: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    event = owned(context, user.id, event_id)
    if confirm_name.strip() != event.name:
        raise HTTPException(422, "The name you typed does not match the event name.")
    rt = context.runtime
    with rt.transactions() as uow:
        event_service.delete_event(uow, rt.index, str(event.id), rt.caches)
    return _see_other("/events")


@router.get("/events/{event_id}/qr.{kind}")
def qr_code(event_id: int, kind: str, request: Request, context: Context, user: PageUser) -> Response:
    """The guest link as a QR code to print: SVG (any size) or a 1200 px PNG."""
    event = owned(context, user.id, event_id)
    qr = _qr(context.guest_url(request, event.slug))
    out = io.BytesIO()
    if kind == "svg":
        qr.save(out, kind="svg", scale=10, border=4)
        media = "image/svg+xml"
    elif kind == "png":
        qr.save(out, kind="png", scale=max(1, 1200 // (qr.symbol_size(scale=1, border=4)[0])), border=4)
        media = "image/png"
    else:
        raise HTTPException(404, "QR codes come as .svg or .png")
    name = f"qr-event-{event.id}.{kind}"
    disposition = "attachment" if request.query_params.get("download") else "inline"
    return Response(
        out.getvalue(), media_type=media, headers={"Content-Disposition": f'{disposition}; filename="{name}"'}
    )


def _qr(url: str) -> segno.QRCode:
    # error level M survives a smudged print; the URL is short enough for a small symbol
    return segno.make(url, error="m", micro=False)
