"""Sign in, sign up (by the sign-up policy or an invite link), sign out.

Password guesses are throttled per client address and per account (web/throttle.py) before any
hashing, and the hashing itself runs a few at a time (services/passwords.py). A refusal is shown
on the form, in the visitor's language, with the status and Retry-After it deserves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from eventface.errors import (
    AuthenticationError,
    EventfaceError,
    InvalidInputError,
    PermissionDeniedError,
    RateLimitedError,
    ServerBusyError,
)
from eventface.services import accounts, invites
from eventface.web.auth import PageUser, check_csrf, local_path, sign_in, sign_out
from eventface.web.context import Context, Transaction, WebContext
from eventface.web.errors import retry_after, status_of
from eventface.web.i18n import language, translator
from eventface.web.ratelimit import client_key
from eventface.web.templating import render
from eventface.web.throttle import TOO_MANY

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(alias="csrf_token")]
BUSY = "too many sign-ins at once: try again in a moment"
PASSWORD_RESET = (
    "Your new password is set, and every browser signed in as you was signed out. Sign in with it."
)
PASSWORD_CHANGED = (
    "Your password was changed. Every other browser and device signed in as you was signed out."
)
# every text this module hands to a template: a test checks each has a Thai translation
PAGE_MESSAGES = (*accounts.MESSAGES, *invites.MESSAGES, TOO_MANY, BUSY, PASSWORD_CHANGED, PASSWORD_RESET)


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _account(email: str) -> str:
    # what the per-account throttle counts by; cut to an email's longest, so that made-up
    # megabyte "emails" cannot swell its memory
    return accounts.normalize_email(email)[:320]


def _client(request: Request) -> str:
    return client_key(request.client.host if request.client else "")


def refused(
    request: Request, context: WebContext, template: str, exc: EventfaceError, **values: str
) -> HTMLResponse:
    """The form again, saying why in the visitor's language (services' messages are fixed texts)."""
    message = (
        BUSY
        if isinstance(exc, ServerBusyError)
        else TOO_MANY
        if isinstance(exc, RateLimitedError)
        else str(exc)
    )
    text = translator(language(request))(message)
    error = text[:1].upper() + text[1:]
    page = render(
        request,
        context,
        template,
        user=None,
        script_strings=(),
        status_code=status_of(exc),
        error=error,
        **values,
    )
    if isinstance(exc, RateLimitedError | ServerBusyError):
        page.headers.update(retry_after(exc.retry_after_s))
    return page


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, context: Context, uow: Transaction, next: str | None = None, reset: bool = False
) -> HTMLResponse:
    notice = translator(language(request))(PASSWORD_RESET) if reset else None
    return render(
        request,
        context,
        "login.html",
        next=local_path(next),
        signup_link=invites.signup_open(uow, context.settings.signup),
        notice=notice,
        reset_link=context.runtime.mailer is not None,
    )


@router.post("/login", response_model=None)
def login(
    request: Request,
    context: Context,
    uow: Transaction,
    csrf: CsrfField,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/events",
) -> Response:
    check_csrf(request, csrf)
    throttle = context.login_throttle
    try:
        attempt = throttle.begin(_account(email), _client(request))
    except RateLimitedError as exc:
        return refused(request, context, "login.html", exc, email=email, next=local_path(next))
    try:
        user = accounts.authenticate(uow, email, password, context.runtime.passwords)
    except (AuthenticationError, ServerBusyError) as exc:
        if isinstance(exc, ServerBusyError):
            throttle.succeeded(attempt)  # not a guess: the password was never checked
        return refused(request, context, "login.html", exc, email=email, next=local_path(next))
    throttle.succeeded(attempt)
    sign_in(request, uow, user)
    return see_other(local_path(next))


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, context: Context, uow: Transaction, invite: str = "") -> HTMLResponse:
    """The form when sign-up is open (or the invite is good); else why it is not."""
    policy = context.settings.signup
    first = uow.users.count() == 0
    is_open = invites.signup_open(uow, policy)
    invited = invites.invited_email(uow, policy, invite, datetime.now(UTC)) if invite else None
    if invite and invited is None:
        closed_because = invites.BAD_INVITE
    elif not invite and not is_open:
        closed_because = invites.SIGNUP_CLOSED
    else:
        closed_because = None
    t = translator(language(request))
    return render(
        request,
        context,
        "signup.html",
        status_code=403 if closed_because else 200,
        closed=t(closed_because) if closed_because else None,
        first=first and not invited,
        invite=invite if invited else "",
        email=invited or "",
    )


@router.post("/signup", response_model=None)
def signup(
    request: Request,
    context: Context,
    uow: Transaction,
    csrf: CsrfField,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    invite: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    form = {"email": email, "invite": invite}
    try:
        # every sign-up attempt counts (none is taken back): accounts are not made in bulk
        context.signup_throttle.begin(_account(email), _client(request))
        user = invites.sign_up(
            uow,
            context.runtime.passwords,
            context.settings.signup,
            email,
            password,
            invite=invite or None,
            now=datetime.now(UTC),
        )
    except (InvalidInputError, PermissionDeniedError, RateLimitedError, ServerBusyError) as exc:
        uow.rollback()  # an invite used before the refusal stays unused
        return refused(request, context, "signup.html", exc, **form)
    sign_in(request, uow, user)
    return see_other("/events")


@router.post("/logout")
def logout(request: Request, uow: Transaction, csrf: CsrfField) -> RedirectResponse:
    check_csrf(request, csrf)
    sign_out(request, uow)
    return see_other("/login")


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, context: Context, user: PageUser, done: bool = False) -> HTMLResponse:
    notice = translator(language(request))(PASSWORD_CHANGED) if done else None
    return render(request, context, "password.html", user=user, notice=notice)


@router.post("/account/password", response_model=None)
def change_password(
    request: Request,
    context: Context,
    user: PageUser,
    uow: Transaction,
    csrf: CsrfField,
    current: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    """A new password: the current one is checked (throttled like a sign-in), then every session
    of the account ends and this browser gets a fresh one."""
    check_csrf(request, csrf)
    throttle = context.login_throttle
    try:
        attempt = throttle.begin(_account(user.email), _client(request))
        accounts.change_password(uow, user, current, password, context.runtime.passwords)
    except (AuthenticationError, InvalidInputError, RateLimitedError, ServerBusyError) as exc:
        uow.rollback()
        if not isinstance(exc, AuthenticationError | RateLimitedError):
            throttle.succeeded(attempt)  # the current password was right, or never checked
        return refused(request, context, "password.html", exc)
    throttle.succeeded(attempt)
    sign_in(request, uow, user)
    return see_other("/account/password?done=1")
