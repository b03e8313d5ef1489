"""Signed-in browsers, revocable on the server.

The signed cookie (Starlette's SessionMiddleware) carries a random session key; the database keeps
its sha256 with the user. Signing out deletes that row, so a copied cookie is worthless
afterwards; disabling an account or changing its password deletes all of its rows.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import User
from eventface.services.accounts import secret_hash

SESSION_LIFETIME = timedelta(days=14)


def start_session(uow: UnitOfWork, user: User, now: datetime) -> str:
    """A new session for `user`; returns the key the cookie must carry."""
    key = secrets.token_urlsafe(32)
    uow.sessions.delete_older(user.id, now - SESSION_LIFETIME)  # the user's expired rows go as they sign in
    uow.sessions.add(user.id, secret_hash(key), now)
    uow.users.record_login(user.id, now)
    return key


def session_user(uow: UnitOfWork, key: str, now: datetime) -> User | None:
    """The enabled user of a live session; None when it ended, expired, or its user is disabled."""
    return uow.sessions.user(secret_hash(key), now - SESSION_LIFETIME)


def end_session(uow: UnitOfWork, key: str) -> None:
    uow.sessions.delete(secret_hash(key))
