"""The photographer's pages: dashboard, new event, event page with QR code (signing in: accounts_pages.py).

Forms post back here with a CSRF token; the event page's live parts (indexing progress,
auto-sync) call the JSON API from its script with the session and the `X-CSRF-Token` header.
Connecting Google Drive (the OAuth round trip) is web/google.py's; these pages show its outcome.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import segno
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from eventface.db.repositories import AutoSyncState, EventSummary, SyncActivity
from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import (
    AccountStatus,
    Event,
    EventVisibility,
    GoogleAccount,
    IndexProgress,
    Photo,
    SourceKind,
    SyncRun,
    User,
)
from eventface.domain.reachability import unreachable_host
from eventface.errors import (
    EventfaceError,
    InvalidInputError,
    NotFoundError,
    ReconnectNeededError,
    SourceUnavailableError,
)
from eventface.services import branding, guest_access, photo_removal, qr_card, sync
from eventface.services import events as event_service
from eventface.web import photo_files
from eventface.web.api import latest_task, owned, start_indexing
from eventface.web.auth import OptionalUser, PageUser, check_csrf
from eventface.web.branding_pages import logo_url
from eventface.web.context import Context, Transaction, WebContext
from eventface.web.i18n import language, translator
from eventface.web.params import Id
from eventface.web.templating import render

router = APIRouter(include_in_schema=False)

PHOTOS_PER_PAGE = 120
AUTO_SYNC_CHOICES = (0.5, 1, 2, 5, 10, 15, 30, 60)
ACTIVITY_WINDOW = timedelta(hours=24)  # the dashboard's "recent sync activity"
SYNC_RUNS_SHOWN = 10  # lines: a run, or a stretch of syncs that changed nothing
SYNC_RUNS_READ = 60
DRIVE_FOLDER_URL = "https://drive.google.com/drive/folders/"

# What /google/callback and the disconnect form come back with (?google=... / ?google_error=...)
GOOGLE_NOTICES = {
    "connected": "Google Drive is connected. You can now create events on your Drive folders.",
    "disconnected": (
        "The Google account was disconnected. Its events keep their photos and faces, "
        "but stop syncing until you connect the account again."
    ),
}
GOOGLE_ERRORS = {
    "denied": "You cancelled the Google sign-in, so nothing was connected.",
    "no_drive": (
        "eventface was not allowed to read your Google Drive. Connect again and, on Google's "
        "screen, tick the box that lets eventface see your Google Drive files."
    ),
    "failed": "Google sign-in failed. Please try again.",
}
NO_ACCOUNT = "Connect Google Drive first: eventface reads the folder through your Google account."
CHOOSE_ACCOUNT = "Choose one of your connected Google accounts."
ACCOUNT_REFUSED = "Google no longer accepts eventface's access to this account. Reconnect it, then try again."
# the new-event form's refusals, by error code, as the page says them (translated); an error
# with another code is shown with its own message
INPUT_ERROR_TEXTS = {
    "drive_link_missing": "paste the link of a Google Drive folder",
    "drive_link_wrong": "this is not the link of a Google Drive folder: open the folder and copy its link",
    "drive_link_is_file": "this is the link of a file, not of a folder: open the folder and copy its link",
    "drive_folder_not_found": (
        "this Google Drive folder does not exist or is not shared with the connected account"
    ),
    "drive_folder_trashed": "this Google Drive folder is in the trash",
    "event_name_missing": "an event needs a name",
    "event_name_too_long": f"an event name may have at most {event_service.MAX_NAME_CHARS} characters",
    "event_name_control_characters": event_service.CONTROL_CHARACTERS,
    "folder_missing": "an event needs a photo folder",
    "folder_refused": event_service.FOLDER_REFUSED,
}
# every text this module hands to a template's t(): a test checks each has a Thai translation
PAGE_MESSAGES = (
    *GOOGLE_NOTICES.values(),
    *GOOGLE_ERRORS.values(),
    NO_ACCOUNT,
    CHOOSE_ACCOUNT,
    ACCOUNT_REFUSED,
    *INPUT_ERROR_TEXTS.values(),
)

CsrfField = Annotated[str, Form(alias="csrf_token")]


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/")
def home(user: OptionalUser) -> RedirectResponse:
    return _see_other("/events" if user else "/login")


@dataclass(frozen=True)
class GooglePanel:
    """What a page shows of Google Drive: can it be connected here, the accounts, a round trip's outcome."""

    configured: bool
    accounts: list[GoogleAccount]
    notice: str | None = None
    error: str | None = None

    @property
    def usable(self) -> list[GoogleAccount]:
        return [a for a in self.accounts if a.status is AccountStatus.CONNECTED]


@dataclass(frozen=True)
class EventRow:
    summary: EventSummary
    task: IndexProgress | None
    sync: AutoSyncState
    activity: SyncActivity | None  # the syncs of the last ACTIVITY_WINDOW; None when there were none
    reconnect_needed: bool


@dataclass(frozen=True)
class NewEventForm:
    name: str = ""
    event_date: str = ""
    source: str = SourceKind.LOCAL_FOLDER.value
    folder: str = ""
    drive_link: str = ""
    google_account: str = ""


def _google_panel(
    context: WebContext, uow: UnitOfWork, user: User, google: str | None = None, error: str | None = None
) -> GooglePanel:
    return GooglePanel(
        configured=context.google_oauth is not None,
        accounts=uow.google_accounts.of_owner(user.id),
        notice=GOOGLE_NOTICES.get(google or ""),
        error=GOOGLE_ERRORS.get(error or ""),
    )


@router.get("/events", response_class=HTMLResponse)
def dashboard(
    request: Request,
    context: Context,
    user: PageUser,
    uow: Transaction,
    google: str | None = None,
    google_error: str | None = None,
) -> HTMLResponse:
    summaries = event_service.list_events(uow, owner_id=user.id)
    panel = _google_panel(context, uow, user, google, google_error)
    ids = [s.event.id for s in summaries]
    activity = uow.sync_runs.activity(ids, datetime.now(UTC) - ACTIVITY_WINDOW) if ids else {}
    removals = uow.removal_requests.open_counts(ids) if ids else {}
    rows = [
        EventRow(
            s,
            uow.tasks.latest(s.event.id),
            uow.events.auto_sync(s.event.id),
            activity.get(s.event.id),
            uow.events.google_account_state(s.event.id) is AccountStatus.RECONNECT_NEEDED,
        )
        for s in summaries
    ]
    return render(
        request, context, "dashboard.html", user=user, rows=rows, google=panel, removal_requests=removals
    )


@router.get("/events/new", response_class=HTMLResponse)
def new_event_page(
    request: Request,
    context: Context,
    user: PageUser,
    uow: Transaction,
    google: str | None = None,
    google_error: str | None = None,
) -> HTMLResponse:
    panel = _google_panel(context, uow, user, google, google_error)
    # back from connecting Google Drive on this form: the photographer was choosing Drive
    source = SourceKind.GOOGLE_DRIVE if google or google_error else SourceKind.LOCAL_FOLDER
    form = NewEventForm(event_date=date.today().isoformat(), source=source.value)
    return render(
        request,
        context,
        "event_new.html",
        user=user,
        form=form,
        google=panel,
        choices=_folder_choices(context),
    )


def _folder_policy(context: WebContext) -> event_service.FolderPolicy:
    """Events made on the web or through the API point inside the photo roots only."""
    return event_service.FolderPolicy.within(context.settings.data_dir, context.settings.photo_root_dirs)


@dataclass(frozen=True)
class FolderChoices:
    """The new-event form's folder list, and the roots it comes from."""

    folders: list[event_service.PhotoFolder]
    roots: list[Path]


def _folder_choices(context: WebContext) -> FolderChoices:
    policy = _folder_policy(context)
    return FolderChoices(event_service.photo_folders(policy), policy.resolved_roots())


@router.post("/events", response_model=None)
def create_event(
    request: Request,
    context: Context,
    user: PageUser,
    uow: Transaction,
    csrf: CsrfField,
    name: Annotated[str, Form()],
    event_date: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = SourceKind.LOCAL_FOLDER.value,
    folder: Annotated[str, Form()] = "",
    drive_link: Annotated[str, Form()] = "",
    google_account: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    form = NewEventForm(name, event_date, source, folder, drive_link, google_account)
    try:
        event = _create_event(context, uow, user, form)
    except (InvalidInputError, NotFoundError, SourceUnavailableError, ValueError) as exc:
        message, status = _refusal(uow, user, exc)
        return _new_event_form_again(request, context, uow, user, form, message, status)
    # a new event is indexed at once: the photographer's next step is the guest link, not a button
    start_indexing(context, uow, event)
    return _see_other(f"/events/{event.id}")


def _create_event(context: WebContext, uow: UnitOfWork, user: User, form: NewEventForm) -> Event:
    when = date.fromisoformat(form.event_date) if form.event_date.strip() else None
    engine = context.settings.face_engine.value
    if form.source == SourceKind.GOOGLE_DRIVE.value:
        uow.commit()  # no transaction stays open while Drive is asked (in transactions of its own)...
        plan = event_service.plan_drive_event(
            context.runtime.google,
            form.name,
            form.drive_link,
            owner_id=user.id,
            account_email=form.google_account.strip() or None,
        )  # ...and the event is saved in the next one
        return event_service.add_drive_event(uow, plan, engine, owner_id=user.id, event_date=when)
    if form.source != SourceKind.LOCAL_FOLDER.value:
        raise InvalidInputError(f"unknown photo source: {form.source!r}")
    return event_service.create_event(
        uow,
        form.name,
        form.folder,
        engine,
        policy=_folder_policy(context),
        owner_id=user.id,
        event_date=when,
    )


def _refusal(uow: UnitOfWork, user: User, exc: Exception) -> tuple[str, int]:
    """Why the event was not created, as the photographer should read it, and the status code."""
    if isinstance(exc, ReconnectNeededError):
        return ACCOUNT_REFUSED, 422
    if isinstance(exc, SourceUnavailableError):  # Drive cannot be reached: try again later
        return str(exc), 503
    if isinstance(exc, NotFoundError):  # no Google account connected, or not the one named
        has_accounts = bool(uow.google_accounts.of_owner(user.id))
        return (CHOOSE_ACCOUNT if has_accounts else NO_ACCOUNT), 422
    code = exc.code if isinstance(exc, EventfaceError) else ""
    return INPUT_ERROR_TEXTS.get(code, str(exc)), 422


def _new_event_form_again(
    request: Request,
    context: WebContext,
    uow: UnitOfWork,
    user: User,
    form: NewEventForm,
    message: str,
    status_code: int,
) -> HTMLResponse:
    """The form with what was typed and why it was refused, in the page's language."""
    text = translator(language(request))(message)
    panel = _google_panel(context, uow, user)
    return render(
        request,
        context,
        "event_new.html",
        user=user,
        status_code=status_code,
        error=text[:1].upper() + text[1:],
        form=form,
        google=panel,
        choices=_folder_choices(context),
    )


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(
    event_id: Id,
    request: Request,
    context: Context,
    user: PageUser,
    uow: Transaction,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    event = owned(uow, user.id, event_id)
    guest_url = context.guest_url(request, event.slug)
    summary = uow.events.summary(event.id)
    photos = uow.photos.in_event(event.id, limit=PHOTOS_PER_PAGE + 1, offset=(page - 1) * PHOTOS_PER_PAGE)
    auto_sync = sync.auto_sync_status(uow, str(event.id))
    runs = uow.sync_runs.recent(event.id, SYNC_RUNS_READ)
    panel = _google_panel(context, uow, user)
    brand = branding.brand_for_event(uow, event)
    cover = guest_access.cover(uow, event)
    requests = photo_removal.open_requests(uow, event.id)
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
        task=latest_task(uow, event.id),
        auto_sync=auto_sync,
        sync_items=fold_quiet_runs(runs)[:SYNC_RUNS_SHOWN],
        drive=_drive_view(event, panel, reconnect_needed=auto_sync.reconnect_needed),
        interval_choices=AUTO_SYNC_CHOICES,
        default_interval=context.settings.auto_sync_interval,
        guest_url=guest_url,
        qr_svg=_qr(guest_url).svg_inline(scale=4, border=2, omitsize=True),
        # phones on mobile data cannot open a link to this computer or a private network
        unreachable_host=unreachable_host(guest_url),
        brand=brand,
        logo_url=logo_url(event.slug, brand),
        cover=cover,
        removal_requests=requests,
    )


@dataclass(frozen=True)
class QuietSyncs:
    """Syncs in a row that found nothing to add, change or remove: one line on the event page."""

    runs: int
    first_at: datetime
    last_at: datetime


def fold_quiet_runs(runs: list[SyncRun]) -> list[SyncRun | QuietSyncs]:
    """The runs (newest first) with each stretch of two or more finished, error-free syncs that
    changed nothing folded into one QuietSyncs."""
    items: list[SyncRun | QuietSyncs] = []
    stretch: list[SyncRun] = []

    def flush() -> None:
        if len(stretch) >= 2:
            items.append(QuietSyncs(len(stretch), stretch[-1].started_at, stretch[0].started_at))
        else:
            items.extend(stretch)
        stretch.clear()

    for run in runs:
        quiet = run.finished_at is not None and not run.error and run.added + run.changed + run.removed == 0
        if quiet:
            stretch.append(run)
        else:
            flush()
            items.append(run)
    flush()
    return items


@dataclass(frozen=True)
class DriveView:
    """A Drive event's source on its page: the folder, the account it is read with, and whether
    that account must be connected again (None: disconnected)."""

    folder_url: str
    account: GoogleAccount | None
    reconnect_needed: bool
    can_reconnect: bool


def _drive_view(event: Event, panel: GooglePanel, *, reconnect_needed: bool) -> DriveView | None:
    if event.source_kind is not SourceKind.GOOGLE_DRIVE:
        return None
    account = next((a for a in panel.accounts if a.id == event.google_account_id), None)
    return DriveView(
        folder_url=DRIVE_FOLDER_URL + event.source_uri,
        account=account,
        reconnect_needed=reconnect_needed,
        can_reconnect=panel.configured,
    )


@router.post("/events/{event_id}/index")
def index_event(
    event_id: Id, request: Request, context: Context, user: PageUser, uow: Transaction, csrf: CsrfField
) -> Response:
    check_csrf(request, csrf)
    start_indexing(context, uow, owned(uow, user.id, event_id))
    return _see_other(f"/events/{event_id}")


@router.post("/events/{event_id}/visibility")
def set_visibility(
    event_id: Id,
    request: Request,
    user: PageUser,
    uow: Transaction,
    csrf: CsrfField,
    visibility: Annotated[EventVisibility, Form()],
) -> Response:
    """The photographer chooses what guests with the link see: their search's photos, or a gallery."""
    check_csrf(request, csrf)
    guest_access.set_visibility(uow, user.id, event_id, visibility)
    return _see_other(f"/events/{event_id}#visibility")


@router.post("/events/{event_id}/delete", response_model=None)
def delete_event(
    event_id: Id,
    request: Request,
    context: Context,
    user: PageUser,
    uow: Transaction,
    csrf: CsrfField,
    confirm_name: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    event = owned(uow, user.id, event_id)
    if confirm_name.strip() != event.name:
        raise HTTPException(422, "The name you typed does not match the event name.")
    rt = context.runtime
    event_service.delete_event(uow, rt.index, str(event.id), rt.caches)
    return _see_other("/events")


@router.get("/events/{event_id}/qr.{kind}")
def qr_code(
    event_id: Id, kind: str, request: Request, context: Context, user: PageUser, uow: Transaction
) -> Response:
    """The guest link as a QR code to print: SVG (any size) or a 1200 px PNG."""
    event = owned(uow, user.id, event_id)
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


@router.get("/events/{event_id}/card.{kind}")
def qr_card_file(
    event_id: Id, kind: str, request: Request, context: Context, user: PageUser, uow: Transaction
) -> Response:
    """The printable A6 QR card (issue 14): PDF to print, or a 300 dpi PNG."""
    if kind not in {"pdf", "png"}:
        raise HTTPException(404, "QR cards come as .pdf or .png")
    sheet = request.query_params.get("sheet") == "a4" and kind == "pdf"  # four cards on A4
    event = owned(uow, user.id, event_id)
    cover = guest_access.cover(uow, event)
    brand = branding.brand_for_event(uow, event)
    uow.commit()  # the cover's preview may have to be made: not with a transaction open
    content = qr_card.CardContent(
        event_name=event.name,
        guest_url=context.guest_url(request, event.slug),
        cover_jpeg=_preview_bytes(context, event, cover) if cover else None,
        date_text=event.event_date.isoformat() if event.event_date else "",
        studio=brand.name if brand else "",
    )
    data = (
        qr_card.a4_sheet_pdf(content)
        if sheet
        else qr_card.pdf(content)
        if kind == "pdf"
        else qr_card.png(content)
    )
    disposition = "attachment" if request.query_params.get("download") else "inline"
    name = f"qr-card{'s-a4' if sheet else ''}-event-{event.id}.{kind}"
    return Response(
        data,
        media_type="application/pdf" if kind == "pdf" else "image/png",
        headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
    )


def _preview_bytes(context: WebContext, event: Event, photo: Photo) -> bytes | None:
    """The cover's cached preview, made now if need be; None (no cover on the card) if it cannot be."""
    key = photo.content_hash or photo.version
    try:
        path = context.runtime.previews.get(
            event.id, photo.id, key, lambda: photo_files.read_original(context, event, photo)
        )
        return Path(path).read_bytes()
    except (EventfaceError, OSError):
        return None


def _qr(url: str) -> segno.QRCode:
    # error level M survives a smudged print; the URL is short enough for a small symbol
    return segno.make(url, error="m", micro=False)
