"""Email notifications on the web (services/notifications.py): subscribe after a search, confirm,
see one's new photos, unsubscribe. All of it exists only when the server can send mail (SMTP_URL).

- `POST /api/e/{slug}/subscribe` takes the selfies again, under the search's own admission rules
  (`guest.embed_selfies`: consent, caps, the per-client rate limit, the queue), keeps only their
  face embeddings, and answers 202 the same whether or not a confirmation goes out.
- The confirmation link opens a page with a button; only its POST (with the session's CSRF
  token, as every form here) confirms: mail scanners fetch links, and a GET changes nothing.
- A digest links to the subscriber's photos (signed guest links, like a search's) and to a
  one-click unsubscribe (RFC 8058: a mail client POSTs `List-Unsubscribe=One-Click` with no
  cookie, so that POST needs no CSRF token: the unguessable link is the key, and it can only
  delete). Its GET shows a button.

Every path carries the event's slug and a long token: the request log cuts both (web/app.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import Brand, Event
from eventface.jobs.tasks import notify_keys, notify_links
from eventface.mail.smtp import Mail
from eventface.services import accounts, branding, guest_access, notifications
from eventface.services.notifications import Digest, Pending
from eventface.settings import Settings
from eventface.web import guest
from eventface.web.accounts_pages import CsrfField
from eventface.web.auth import check_csrf
from eventface.web.context import Context, Transaction, WebContext
from eventface.web.i18n import LANGUAGES, language, translator
from eventface.web.openapi import errors
from eventface.web.templating import render

router = APIRouter(tags=["guest"], responses=errors(404))

MAX_NOTIFY_TOKEN_CHARS = 200  # a signed [id, nonce]: about 70 characters
NotifyToken = Annotated[
    str, Path(max_length=MAX_NOTIFY_TOKEN_CHARS, description="a notification link's token")
]

CHECK_YOUR_MAIL = (
    "Check your email: open the link we sent to confirm. Until you confirm, we send nothing else."
)
CONFIRM_SUBJECT = "Confirm: email me new photos of me from {event}"
DIGEST_SUBJECT = "New photos of you from {event}"
PAGE_MESSAGES = (*notifications.MESSAGES, CHECK_YOUR_MAIL, CONFIRM_SUBJECT, DIGEST_SUBJECT)

# what notify.js shows, translated on the server (the partial hands them over as JSON)
SCRIPT_STRINGS = (
    "Sending…",
    "Email me",
    "Please give your consent first.",
    "Please give your email address.",
    "Search with a selfie first.",
    "Too many requests: please wait a minute and try again.",
    "The server is busy right now. Please try again in a moment.",
    "Something went wrong. Please try again.",
    CHECK_YOUR_MAIL,
    notifications.CLOSED,
    accounts.BAD_EMAIL,
)


@dataclass(frozen=True)
class NotifyOffer:
    """What templates/_notify.html needs from the server, as a template global (`notify`)."""

    enabled: bool  # the server sends mail
    retention_days: str
    script_strings: tuple[str, ...] = SCRIPT_STRINGS


def offer_notifications(templates: Jinja2Templates, settings: Settings, mail_on: bool) -> None:
    days = f"{settings.notify_retention_days:g}"
    templates.env.globals["notify"] = NotifyOffer(enabled=mail_on, retention_days=days)


class SubscribeOut(BaseModel):
    status: str  # "pending": if the address may get one, a confirmation email is on its way
    message: str  # in the guest's language


SUBSCRIBE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["selfies", "consent", "email"],
                    "properties": {
                        "selfies": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "minItems": 1,
                            "maxItems": guest.MAX_SELFIES,
                            "description": "the search's selfies again: only their embeddings are kept",
                        },
                        "consent": {"type": "string", "enum": ["true"], "description": "the guest agrees"},
                        "email": {"type": "string", "format": "email", "description": "where to send"},
                        "language": {
                            "type": "string",
                            "enum": list(LANGUAGES),
                            "description": "of the emails",
                        },
                    },
                }
            }
        },
    }
}


def _mail_on(context: WebContext) -> None:
    if context.runtime.mailer is None:
        raise HTTPException(404)  # no mail, no notifications: nothing offers them


@router.post(
    "/api/e/{slug}/subscribe",
    status_code=202,
    response_model=SubscribeOut,
    openapi_extra=SUBSCRIBE_BODY,
    responses=errors(400, 408, 413, 415, 422, 429, 503),
)
async def subscribe(slug: str, request: Request, context: Context, uow: Transaction) -> SubscribeOut:
    """Email me new photos of me: multipart with 1-3 `selfies`, `consent=true` and `email`.

    Only the selfies' face embeddings are kept, until the subscription expires. A confirmation
    email is sent (at most once per address and event in 10 minutes, 5 a day per address); the
    answer is the same either way. 422 `invalid_email`, `notify_closed` (the event is past its
    retention) or `no_usable_selfie`; 429 and 503 as a search.
    """
    _mail_on(context)
    event = await guest.event_to_search(context, uow, slug)  # as a search: no transaction while embedding
    embedded = await guest.embed_selfies(request, context, event)
    chosen = embedded.fields.get("language", "")
    lang = chosen if chosen in LANGUAGES else language(request)
    email, base_url = embedded.fields.get("email", ""), context.base_url(request)
    asked = notifications.Request(event, email, lang, event.engine, embedded.queries, base_url)
    await run_in_threadpool(_subscribe, context, uow, asked)
    return SubscribeOut(status="pending", message=translator(lang)(CHECK_YOUR_MAIL))


def _subscribe(context: WebContext, uow: UnitOfWork, asked: notifications.Request) -> None:
    event = guest.event_still(context, uow, asked.event)
    asked = dataclasses.replace(asked, event=event)
    pending = notifications.subscribe(
        uow,
        notify_keys(context.runtime),
        asked,
        timedelta(days=context.settings.notify_retention_days),
        datetime.now(UTC),
    )
    brand = branding.brand_for_event(uow, event)
    uow.commit()
    if pending is not None:  # mailed once committed: a confirmation always has its subscription
        _send(context, NotifyMails(context.templates).confirmation(pending, asked.event, brand))


def _send(context: WebContext, mail: Mail) -> None:
    context.tasks.send_mail(mail.to, mail.subject, mail.text, mail.html, mail.language, mail.headers)


@router.get("/e/{slug}/notify/confirm/{token}", response_class=HTMLResponse, include_in_schema=False)
def confirm_page(
    slug: str, token: NotifyToken, request: Request, context: Context, uow: Transaction
) -> HTMLResponse:
    """A button that confirms; opening the link confirms nothing (mail scanners open links)."""
    _mail_on(context)
    event = guest.guest_event(uow, slug)
    subscription = notify_links(context.settings).open_confirm(uow, event, token)
    return render(
        request, context, "notify_confirm.html", event=event, done=subscription.confirmed, token=token
    )


@router.post("/e/{slug}/notify/confirm/{token}", response_class=HTMLResponse, include_in_schema=False)
def confirm(
    slug: str, token: NotifyToken, request: Request, context: Context, uow: Transaction, csrf: CsrfField
) -> HTMLResponse:
    check_csrf(request, csrf)
    _mail_on(context)
    links = notify_links(context.settings)
    event = guest.guest_event(uow, slug)
    subscription = notifications.confirm(uow, links, event, token, datetime.now(UTC))
    photos_url = f"/e/{event.slug}/notify/{links.manage_token(subscription)}"
    return render(request, context, "notify_confirm.html", event=event, done=True, photos_url=photos_url)


@router.get("/e/{slug}/notify/{token}", response_class=HTMLResponse, include_in_schema=False)
def photos_page(
    slug: str, token: NotifyToken, request: Request, context: Context, uow: Transaction
) -> HTMLResponse:
    """The photos found for a subscriber: no selfie needed, the link is the key."""
    event = guest.guest_event(uow, slug)
    photo_ids = notifications.subscriber_photo_ids(uow, notify_links(context.settings), event, token)
    photos = guest_access.served_photos(uow, event, photo_ids)
    given = [guest.photo_out(context, event, p.id, p.name) for p in photos]
    zip_token = context.capabilities.photos(event.id, (p.id for p in photos)) if photos else None
    return render(
        request,
        context,
        "notify_photos.html",
        event=event,
        photos=given,
        zip_url=f"/e/{event.slug}/z/{zip_token}/download" if zip_token else None,
        unsubscribe_url=f"/e/{event.slug}/notify/{token}/unsubscribe",
    )


@router.get("/e/{slug}/notify/{token}/unsubscribe", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_page(
    slug: str, token: NotifyToken, request: Request, context: Context, uow: Transaction
) -> HTMLResponse:
    event = guest.guest_event(uow, slug)
    notify_links(context.settings).open_manage(uow, event, token)
    return render(request, context, "notify_unsubscribe.html", event=event, done=False, token=token)


@router.post("/e/{slug}/notify/{token}/unsubscribe", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe(
    slug: str, token: NotifyToken, request: Request, context: Context, uow: Transaction
) -> HTMLResponse:
    """One click (RFC 8058), from the page's button or the mail client: the embeddings go at once."""
    event = guest.guest_event(uow, slug)
    notifications.unsubscribe(uow, notify_links(context.settings), event, token)
    return render(request, context, "notify_unsubscribe.html", event=event, done=True, token="")


class NotifyMails:
    """Writes the notification emails, plain text and HTML, in the subscriber's language; the
    worker gets one too (jobs/tasks.py `DigestMails`), for the digests it sends."""

    def __init__(self, templates: Jinja2Templates) -> None:
        self.templates = templates

    def confirmation(self, pending: Pending, event: Event, brand: Brand | None = None) -> Mail:
        subscription = pending.subscription
        link = f"{subscription.base_url}/e/{event.slug}/notify/confirm/{pending.confirm_token}"
        values = {
            "event": event.name,
            "link": link,
            "days": notifications.CONFIRM_LINK_LIFETIME.days,
            **_brand_values(brand, subscription.base_url, event),
        }
        subject = translator(subscription.language)(CONFIRM_SUBJECT).format(event=_one_line(event.name))
        return self._mail("notify_confirm", subscription.email, subscription.language, subject, values)

    def digest(self, digest: Digest) -> Mail:
        subscription, event = digest.subscription, digest.event
        base = f"{subscription.base_url}/e/{event.slug}/notify/{digest.manage_token}"
        values = {
            "event": event.name,
            "count": digest.new_photos,
            "link": base,
            "unsubscribe": f"{base}/unsubscribe",
            **_brand_values(digest.brand, subscription.base_url, event),
        }
        subject = translator(subscription.language)(DIGEST_SUBJECT).format(event=_one_line(event.name))
        mail = self._mail("notify_digest", subscription.email, subscription.language, subject, values)
        # RFC 8058: a mail client's own "unsubscribe" button POSTs to the link, one click
        headers = (
            ("List-Unsubscribe", f"<{base}/unsubscribe>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        )
        return Mail(mail.to, mail.subject, mail.text, mail.html, mail.language, headers)

    def _mail(self, name: str, to: str, lang: str, subject: str, values: dict[str, object]) -> Mail:
        values = {"t": translator(lang), "lang": lang, **values}
        text = self.templates.get_template(f"mail/{name}.txt").render(values)
        html = self.templates.get_template(f"mail/{name}.html").render(values)
        return Mail(to, subject, text, html, lang)


def _brand_values(brand: Brand | None, base_url: str, event: Event) -> dict[str, object]:
    """The photographer's brand for templates/mail/_brand.*: their name, links and logo (the
    guest page's own public logo URL), or nothing."""
    if brand is None or brand.empty:
        return {"brand": None}
    logo = f"{base_url}/e/{event.slug}/logo.png?v={brand.logo_version}" if brand.logo_version else None
    return {"brand": brand, "brand_logo": logo}


def _one_line(text: str) -> str:
    return " ".join(text.split())  # a header cannot hold a line break (an event name may)
