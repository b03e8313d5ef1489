"""Photographer accounts: creating users, checking passwords, issuing and checking API tokens.

Passwords are stored as argon2id hashes; API tokens only as their sha256, so a leaked database
gives away neither. Authentication failures never say whether the email or the password was wrong.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import User
from eventface.errors import AuthenticationError, InvalidInputError, NotFoundError

MIN_PASSWORD_CHARS = 10
TOKEN_PREFIX = "ef_"  # makes a leaked token recognisable to secret scanners and to people
BAD_CREDENTIALS = "wrong email or password"
BAD_TOKEN = "invalid API token"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(uow: UnitOfWork, email: str, password: str) -> User:
    """A new user; InvalidInputError for a malformed email, a short password or a taken email."""
    email = normalize_email(email)
    _check_email(email)
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInputError(f"the password must be at least {MIN_PASSWORD_CHARS} characters long")
    if uow.users.find_by_email(email) is not None:
        raise InvalidInputError(f"a user with email {email!r} already exists")
    return uow.users.add(email, _hasher.hash(password))


def authenticate(uow: UnitOfWork, email: str, password: str) -> User:
    """The user whose email and password these are; AuthenticationError otherwise."""
    found = uow.users.credentials(normalize_email(email))
    if found is None:
        # spend the same time as a real check, so response times do not reveal which emails exist
        _verify(_dummy_hash(), password)
        raise AuthenticationError(BAD_CREDENTIALS)
    user, password_hash = found
    if not _verify(password_hash, password):
        raise AuthenticationError(BAD_CREDENTIALS)
    if _hasher.check_needs_rehash(password_hash):
        uow.users.set_password_hash(user.id, _hasher.hash(password))
    return user


def find_user(uow: UnitOfWork, email: str) -> User:
    user = uow.users.find_by_email(normalize_email(email))
    if user is None:
        raise NotFoundError(f"no user with email {normalize_email(email)!r}")
    return user


def create_api_token(uow: UnitOfWork, email: str, name: str = "cli") -> str:
    """A new API token for the user; the caller shows it once, since only its hash is kept."""
    user = find_user(uow, email)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    uow.users.add_token(user.id, _token_hash(token), name.strip() or "cli")
    return token


def user_for_token(uow: UnitOfWork, token: str) -> User:
    """The token's owner (recording the use); AuthenticationError for an unknown or revoked token."""
    user = uow.users.for_token(_token_hash(token), datetime.now(UTC))
    if user is None:
        raise AuthenticationError(BAD_TOKEN)
    return user


def revoke_api_token(uow: UnitOfWork, token: str) -> None:
    if not uow.users.delete_token(_token_hash(token)):
        raise AuthenticationError(BAD_TOKEN)


def _check_email(email: str) -> None:
    local, at, domain = email.partition("@")
    labels = domain.split(".")
    if not at or not local or "@" in domain or len(labels) < 2 or not all(labels) or " " in email:
        raise InvalidInputError(f"not a valid email address: {email!r}")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
