"""Who may create an account on the web: the sign-up policy and one-time invite links.

`closed`: only the first account (it becomes an admin), while none exists. `invite`: also whoever
holds an unused, unexpired invite, with the email it was made for. `open`: anyone. The CLI's
`users create` is not bound by the policy (whoever runs it has a shell on the server).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import User
from eventface.errors import InvalidInputError, PermissionDeniedError
from eventface.services import accounts
from eventface.services.passwords import Passwords
from eventface.settings import SignupPolicy

INVITE_LIFETIME = timedelta(days=7)
INVITE_PATH = "/signup?invite="
SIGNUP_CLOSED = "sign-up is closed on this server: ask its administrator for an account"
INVITES_OFF = "invites need EVENTFACE_SIGNUP=invite (sign-up is closed on this server)"
BAD_INVITE = "this invite link is not valid: it was used already or has expired"
OTHER_EMAIL = "this invite is for another email address"
MESSAGES = (SIGNUP_CLOSED, INVITES_OFF, BAD_INVITE, OTHER_EMAIL)


def signup_open(uow: UnitOfWork, policy: SignupPolicy) -> bool:
    """Whether anyone may sign up on the web right now, without an invite."""
    return policy is SignupPolicy.OPEN or uow.users.count() == 0


def create_invite(
    uow: UnitOfWork, policy: SignupPolicy, email: str, created_by: int | None, now: datetime
) -> str:
    """A one-time invite for `email`; returns its token (only its hash is kept: show it once)."""
    if policy is SignupPolicy.CLOSED:
        raise InvalidInputError(INVITES_OFF)
    email = accounts.normalize_email(email)
    accounts.check_email(email)
    if uow.users.find_by_email(email) is not None:
        raise InvalidInputError(accounts.EMAIL_TAKEN)
    token = secrets.token_urlsafe(32)
    uow.invites.add(email, accounts.secret_hash(token), created_by, now, now + INVITE_LIFETIME)
    return token


def invited_email(uow: UnitOfWork, policy: SignupPolicy, token: str, now: datetime) -> str | None:
    """The email an invite is for, if the invite can still be used."""
    if policy is SignupPolicy.CLOSED or not token:
        return None
    return uow.invites.email_for(accounts.secret_hash(token), now)


def sign_up(
    uow: UnitOfWork,
    passwords: Passwords,
    policy: SignupPolicy,
    email: str,
    password: str,
    *,
    invite: str | None,
    now: datetime,
) -> User:
    """A new account made on the web, if the policy (or an invite for this email) allows it."""
    if invite:
        return _accept_invite(uow, passwords, policy, invite, email, password, now)
    if not signup_open(uow, policy):
        raise PermissionDeniedError(SIGNUP_CLOSED)
    return accounts.create_user(uow, email, password, passwords=passwords)


def _accept_invite(
    uow: UnitOfWork,
    passwords: Passwords,
    policy: SignupPolicy,
    token: str,
    email: str,
    password: str,
    now: datetime,
) -> User:
    invited = invited_email(uow, policy, token, now)
    if invited is None:
        raise PermissionDeniedError(BAD_INVITE)
    if accounts.normalize_email(email) != invited:
        raise PermissionDeniedError(OTHER_EMAIL)
    user = accounts.create_user(uow, invited, password, admin=False, passwords=passwords)
    if uow.invites.use(accounts.secret_hash(token), now) is None:  # a concurrent sign-up used it first
        raise PermissionDeniedError(BAD_INVITE)
    return user
