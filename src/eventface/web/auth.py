"""Who is asking: a photographer's signed session cookie or personal API token, and CSRF checks.

Sessions are Starlette's signed cookies (itsdangerous, the server's secret key). Every unsafe
request made with a session must carry the session's CSRF token: as a form field from a page,
or as the `X-CSRF-Token` header from the page's scripts. Requests with a Bearer token carry no
ambient authority (a browser never adds that header on its own), so they need no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from eventface.domain.models import User
from eventface.errors import AuthenticationError
from eventface.services import accounts
from eventface.web.context import Context

SESSION_USER = "user_id"
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


def sign_in(request: Request, user: User) -> None:
    # a fresh session (and CSRF token) at login, so a session fixed before login is worthless
    request.session.clear()
    request.session[SESSION_USER] = user.id
    csrf_token(request)


def sign_out(request: Request) -> None:
    request.session.clear()


def session_user(request: Request, context: Context) -> User | None:
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    with context.runtime.transactions() as uow:
        user = uow.users.get(user_id)
    if user is None:  # the account was deleted
        request.session.clear()
    return user


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_user(request: Request, context: Context) -> User:
    """The photographer behind an API call: Bearer token, else session (+ CSRF header); else 401."""
    token = _bearer(request)
    if token is not None:
        try:
            with context.runtime.transactions() as uow:
                return accounts.user_for_token(uow, token)
        except AuthenticationError as exc:
            raise _unauthorized(str(exc)) from exc
    user = session_user(request, context)
    if user is None:
        raise _unauthorized("sign in, or send a personal API token as 'Authorization: Bearer <token>'")
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return user


def page_user(request: Request, context: Context) -> User:
    user = session_user(request, context)
    if user is None:
        raise LoginRequiredError(request.url.path)
    return user


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
OptionalUser = Annotated[User | None, Depends(session_user)]
