"""Connecting Google Drive from the browser, and Drive's push notifications.

The OAuth web flow: /google/connect sends the photographer to Google's consent screen with a
random `state` and a PKCE verifier kept in their signed session; /google/callback checks the
state, trades the code for a grant and stores it sealed (services/google_accounts.py). The
webhook answers Drive at once and leaves the sync to the worker.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Header, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from eventface.domain.models import SyncTrigger
from eventface.errors import (
    AuthenticationError,
    EventfaceError,
    NotFoundError,
    ScopeNotGrantedError,
)
from eventface.services import drive_push, google_accounts
from eventface.settings import Settings
from eventface.sources import google_oauth
from eventface.sources.google_oauth import OAuthClient
from eventface.web.auth import PageUser, check_csrf, local_path
from eventface.web.context import Context, Transaction, WebContext
from eventface.web.params import Id

log = logging.getLogger(__name__)

router = APIRouter()

CALLBACK_PATH = "/google/callback"
SESSION_FLOW = "google_oauth"  # state, PKCE verifier and where to go back, between the two requests


def oauth_client(settings: Settings) -> OAuthClient | None:
    """The server's OAuth client from settings; None when Google Drive is not configured."""
    if settings.google_client_secrets_file is not None:
        return OAuthClient.from_secrets_file(settings.google_client_secrets_file)
    if settings.google_client_id and settings.google_client_secret:
        return OAuthClient(settings.google_client_id, settings.google_client_secret.get_secret_value())
    return None


def _redirect_uri(context: WebContext, request: Request) -> str:
    return context.base_url(request) + CALLBACK_PATH


def _back(next_path: str, **params: str) -> RedirectResponse:
    separator = "&" if "?" in next_path else "?"
    return RedirectResponse(f"{next_path}{separator}{urlencode(params)}", status_code=303)


@router.get("/google/connect", include_in_schema=False)
def connect(request: Request, context: Context, user: PageUser, next: str | None = None) -> RedirectResponse:
    if context.google_oauth is None:
        raise HTTPException(404, "Google Drive is not configured on this server")
    state = secrets.token_urlsafe(24)
    url, verifier = google_oauth.authorization_url(
        context.google_oauth, _redirect_uri(context, request), state
    )
    request.session[SESSION_FLOW] = {"state": state, "verifier": verifier, "next": local_path(next)}
    return RedirectResponse(url, status_code=303)


@router.get(CALLBACK_PATH, include_in_schema=False)
def callback(
    request: Request,
    context: Context,
    user: PageUser,
    uow: Transaction,
    state: str = "",
    code: str | None = None,
    error: str | None = None,
) -> RedirectResponse:
    # Google is asked next, with no transaction open; the grant is saved in one of its own
    # (services/google_accounts.py)
    uow.commit()
    flow = request.session.pop(SESSION_FLOW, None)
    if context.google_oauth is None or not isinstance(flow, dict):
        return _back("/events", google_error="failed")
    next_path = local_path(flow.get("next"))
    if not secrets.compare_digest(str(flow.get("state", "")), state):
        log.warning("Google sign-in came back with a wrong state", extra={"fields": {"user": user.id}})
        return _back(next_path, google_error="failed")
    if error or not code:  # "access_denied": the photographer pressed Cancel
        return _back(next_path, google_error="denied")
    try:
        grant = google_oauth.exchange_code(
            context.google_oauth, _redirect_uri(context, request), code, str(flow.get("verifier", ""))
        )
        google_accounts.connect(context.runtime.google, user.id, grant.info, email=grant.email)
    except ScopeNotGrantedError:
        return _back(next_path, google_error="no_drive")
    except EventfaceError as exc:
        log.warning("Google sign-in failed", extra={"fields": {"user": user.id, "reason": str(exc)}})
        return _back(next_path, google_error="failed")
    context.tasks.maintain_channels()  # events waiting for a reconnect may want a channel again
    return _back(next_path, google="connected")


@router.post("/google/accounts/{account_id}/disconnect", include_in_schema=False)
def disconnect(
    account_id: Id,
    request: Request,
    context: Context,
    user: PageUser,
    uow: Transaction,
    csrf: Annotated[str, Form(alias="csrf_token")],
) -> RedirectResponse:
    check_csrf(request, csrf)
    uow.commit()  # as above: Google is asked to revoke the grant with no transaction open
    google_accounts.disconnect(context.runtime.google, user.id, account_id)
    return _back("/events", google="disconnected")


# Google's callback, not part of the API anyone else calls: its contract is Drive's push notifications
@router.post(drive_push.WEBHOOK_PATH, status_code=200, include_in_schema=False)
def drive_notification(
    context: Context,
    uow: Transaction,
    channel_id: Annotated[str, Header(alias="X-Goog-Channel-ID")] = "",
    channel_token: Annotated[str, Header(alias="X-Goog-Channel-Token")] = "",
    resource_state: Annotated[str, Header(alias="X-Goog-Resource-State")] = "",
) -> Response:
    """Checks the channel and its secret token, makes the account's syncing events due, and
    answers at once: the sync runs in the worker."""
    if not channel_id or not resource_state:
        raise HTTPException(400, "not a Drive notification")
    try:
        event_ids = drive_push.notified_events(
            uow, channel_id, channel_token, resource_state, datetime.now(UTC)
        )
    except NotFoundError as exc:
        raise HTTPException(404, "unknown channel") from exc
    except AuthenticationError as exc:
        log.warning("a Drive notification with a wrong channel token was refused")
        raise HTTPException(403, "wrong channel token") from exc
    uow.commit()  # the events made due are in the database before their syncs may run
    for event_id in event_ids:
        context.tasks.sync_event(event_id, SyncTrigger.PUSH.value)
    return Response(status_code=200)
