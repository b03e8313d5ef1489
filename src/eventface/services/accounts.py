"""Photographer accounts: creating users, checking passwords, API tokens, and what admins do to accounts.

Passwords are stored as argon2id hashes; API tokens only as their sha256, so a leaked database
gives away neither. Authentication failures never say whether the email or the password was wrong.
Disabling an account or changing its password ends all its sessions (services/sessions.py);
a disabled account's API tokens stop working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from functools import cache

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import ApiTokenInfo, Role, User
from eventface.errors import AuthenticationError, InvalidInputError, NotFoundError
from eventface.services.passwords import Passwords

MIN_PASSWORD_CHARS = 10
TOKEN_PREFIX = "ef_"  # makes a leaked token recognisable to secret scanners and to people
SHOWN_TOKEN_CHARS = len(TOKEN_PREFIX) + 8  # what `users tokens` shows: enough to tell tokens apart
BAD_CREDENTIALS = "wrong email or password"
DISABLED = "this account is disabled: ask an administrator"
BAD_TOKEN = "invalid API token"
SHORT_PASSWORD = f"the password must be at least {MIN_PASSWORD_CHARS} characters long"
LAST_ADMIN = "this is the last enabled admin: promote another account first"
EMAIL_TAKEN = "an account with this email already exists"
BAD_EMAIL = "not a valid email address"
# every message above a person may read on a page: web/i18n.py translates each
MESSAGES = (BAD_CREDENTIALS, DISABLED, SHORT_PASSWORD, LAST_ADMIN, EMAIL_TAKEN, BAD_EMAIL)


@cache
def _production_passwords() -> Passwords:
    # for callers that bring no runtime (its `passwords` share one bound on concurrent hashing)
    return Passwords()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    uow: UnitOfWork,
    email: str,
    password: str,
    *,
    admin: bool | None = None,
    passwords: Passwords | None = None,
) -> User:
    """A new user; InvalidInputError for a malformed email, a short password or a taken email.

    `admin=None`: an admin if it is the first account, however it is made.
    """
    email = normalize_email(email)
    check_email(email)
    check_password(password)
    if uow.users.find_by_email(email) is not None:
        raise InvalidInputError(EMAIL_TAKEN)
    is_admin = uow.users.count() == 0 if admin is None else admin
    password_hash = (passwords or _production_passwords()).hash(password)
    return uow.users.add(email, password_hash, Role.ADMIN if is_admin else Role.PHOTOGRAPHER)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInputError(SHORT_PASSWORD)


def authenticate(uow: UnitOfWork, email: str, password: str, passwords: Passwords | None = None) -> User:
    """The enabled user whose email and password these are; AuthenticationError otherwise."""
    hasher = passwords or _production_passwords()
    found = uow.users.credentials(normalize_email(email))
    if found is None:
        hasher.verify_nothing(password)
        raise AuthenticationError(BAD_CREDENTIALS)
    user, password_hash = found
    if not hasher.verify(password_hash, password):
        raise AuthenticationError(BAD_CREDENTIALS)
    if user.disabled:  # only told to whoever knows the password
        raise AuthenticationError(DISABLED)
    if hasher.needs_rehash(password_hash):
        uow.users.set_password_hash(user.id, hasher.hash(password))
    return user


def find_user(uow: UnitOfWork, email: str) -> User:
    user = uow.users.find_by_email(normalize_email(email))
    if user is None:
        raise NotFoundError(f"no user with email {normalize_email(email)!r}")
    return user


def get_user(uow: UnitOfWork, user_id: int) -> User:
    user = uow.users.get(user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    return user


def list_users(uow: UnitOfWork) -> list[User]:
    return uow.users.all()


def set_password(uow: UnitOfWork, user_id: int, password: str, passwords: Passwords | None = None) -> None:
    """A new password (an admin's reset, or the CLI); every session of the account ends."""
    get_user(uow, user_id)
    check_password(password)
    uow.users.set_password_hash(user_id, (passwords or _production_passwords()).hash(password))
    uow.sessions.delete_all(user_id)


def change_password(
    uow: UnitOfWork, user: User, current: str, new: str, passwords: Passwords | None = None
) -> None:
    """The photographer's own change: the current password first (a borrowed session alone must
    not take the account over), then every session of the account ends."""
    authenticate(uow, user.email, current, passwords)
    set_password(uow, user.id, new, passwords)


def disable_user(uow: UnitOfWork, user_id: int) -> User:
    """Ends every session of the account; its API tokens stop working until it is enabled again."""
    user = get_user(uow, user_id)
    if user.is_admin and not user.disabled and uow.users.count_active_admins() <= 1:
        raise InvalidInputError(LAST_ADMIN)
    uow.users.set_disabled(user_id, datetime.now(UTC))
    uow.sessions.delete_all(user_id)
    return user


def enable_user(uow: UnitOfWork, user_id: int) -> User:
    user = get_user(uow, user_id)
    uow.users.set_disabled(user_id, None)
    return user


def promote_to_admin(uow: UnitOfWork, user_id: int) -> User:
    user = get_user(uow, user_id)
    uow.users.set_role(user_id, Role.ADMIN)
    return user


def create_api_token(uow: UnitOfWork, email: str, name: str = "cli") -> str:
    """A new API token for the user; the caller shows it once, since only its hash is kept."""
    user = find_user(uow, email)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    uow.users.add_token(user.id, secret_hash(token), token[:SHOWN_TOKEN_CHARS], name.strip() or "cli")
    return token


def list_api_tokens(uow: UnitOfWork, email: str) -> list[ApiTokenInfo]:
    """The user's tokens as they may be shown: name, prefix (`#id` for tokens older than prefixes), dates."""
    return [
        t if t.prefix else ApiTokenInfo(t.id, t.name, f"#{t.id}", t.created_at, t.last_used_at)
        for t in uow.users.tokens(find_user(uow, email).id)
    ]


def revoke_api_token_by_prefix(uow: UnitOfWork, email: str, prefix: str) -> ApiTokenInfo:
    """Revokes the one token of the user whose shown prefix starts with `prefix`."""
    prefix = prefix.strip()
    if len(prefix) < len(TOKEN_PREFIX) + 4 and not prefix.startswith("#"):
        raise InvalidInputError(f"give at least {len(TOKEN_PREFIX) + 4} characters of the token's prefix")
    user = find_user(uow, email)
    matching = [t for t in list_api_tokens(uow, email) if t.prefix.startswith(prefix) or prefix == t.prefix]
    if not matching:
        raise NotFoundError(f"{user.email} has no token starting with {prefix!r}")
    if len(matching) > 1:
        raise InvalidInputError(f"{len(matching)} tokens start with {prefix!r}: give more of the prefix")
    uow.users.delete_token_by_id(user.id, matching[0].id)
    return matching[0]


def user_for_token(uow: UnitOfWork, token: str) -> User:
    """The token's enabled owner (recording the use); AuthenticationError for an unknown or revoked
    token, or a disabled account's."""
    user = uow.users.for_token(secret_hash(token), datetime.now(UTC))
    if user is None or user.disabled:
        raise AuthenticationError(BAD_TOKEN)
    return user


def revoke_api_token(uow: UnitOfWork, token: str) -> None:
    if not uow.users.delete_token(secret_hash(token)):
        raise AuthenticationError(BAD_TOKEN)


def check_email(email: str) -> None:
    local, at, domain = email.partition("@")
    labels = domain.split(".")
    if not at or not local or "@" in domain or len(labels) < 2 or not all(labels) or " " in email:
        raise InvalidInputError(BAD_EMAIL)


def secret_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
