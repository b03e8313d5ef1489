"""Who is asking: a photographer's signed session cookie or personal API token, and CSRF checks.

Sessions are Starlette's signed cookies (itsdangerous, the server's secret key) holding a random
session key that the server can revoke (services/sessions.py): a cookie is only as good as its
row in the database, so signing out, a password change or disabling the account ends it. Every unsafe
request made with a session must carry the session's CSRF token: as a form field from a page,
or as the `X-CSRF-Token` header from the page's scripts. Requests with a Bearer token carry no
ambient authority (a browser never adds that header on its own), so they need no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import User
from eventface.errors import AuthenticationError, NotFoundError
from eventface.services import accounts, sessions
from eventface.web.context import Transaction

SESSION_KEY = "session"
SESSION_CSRF = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequiredError(Exception):
    """A page needs a signed-in photographer; the app answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def local_path(next_path: str | None) -> str:
    """`next_path` if it is a path on this site, else the dashboard: a login or Google sign-in
    link must not bounce the photographer to another site."""
    if next_path and next_path.startswith("/") and not next_path.startswith("//"):
        return next_path
    return "/events"


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def check_csrf(request: Request, supplied: str | None) -> None:
    expected = request.session.get(SESSION_CSRF)
    if not isinstance(expected, str) or not supplied or not hmac.compare_digest(expected, supplied):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")


def sign_in(request: Request, uow: UnitOfWork, user: User) -> None:
    # a fresh session (and CSRF token) at login, so a session fixed before login is worthless
    key = sessions.start_session(uow, user, datetime.now(UTC))
    request.session.clear()
    request.session[SESSION_KEY] = key
    csrf_token(request)


def sign_out(request: Request, uow: UnitOfWork) -> None:
    key = request.session.get(SESSION_KEY)
    if isinstance(key, str):
        sessions.end_session(uow, key)
    request.session.clear()


# Each of these takes the request's unit of work (`Transaction`): FastAPI hands the same one to
# the handler, so the user is looked up in the transaction the handler goes on with.
def session_user(request: Request, uow: Transaction) -> User | None:
    key = request.session.get(SESSION_KEY)
    if not isinstance(key, str):
        return None
    user = sessions.session_user(uow, key, datetime.now(UTC))
    if user is None:  # signed out elsewhere, expired, password changed, or the account disabled
        request.session.clear()
    return user


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_user(request: Request, uow: Transaction) -> User:
    """The photographer behind an API call: Bearer token, else session (+ CSRF header); else 401."""
    token = _bearer(request)
    if token is not None:
        try:
            return accounts.user_for_token(uow, token)
        except AuthenticationError as exc:
            raise _unauthorized(str(exc)) from exc
    user = session_user(request, uow)
    if user is None:
        raise _unauthorized("sign in, or send a personal API token as 'Authorization: Bearer <token>'")
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return user


def page_user(request: Request, uow: Transaction) -> User:
    user = session_user(request, uow)
    if user is None:
        raise LoginRequiredError(request.url.path)
    return user


def admin_user(request: Request, uow: Transaction) -> User:
    """A signed-in admin; anyone else is told the page does not exist."""
    user = page_user(request, uow)
    if not user.is_admin:
        raise NotFoundError("not found")
    return user


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
AdminUser = Annotated[User, Depends(admin_user)]
OptionalUser = Annotated[User | None, Depends(session_user)]
