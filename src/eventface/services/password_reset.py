"""Password reset by email: a signed link that works once, for an hour, for one account.

The link carries the account id and a fingerprint of the account's current password hash, signed
with the server's secret key: setting a new password (by this link or any other way) changes the
hash, so a used or outdated link opens nothing. Nothing is stored but a keyed hash of the address
for its cap (at most 3 links an hour, however many clients ask: services/mail_caps.py). Asking
for a link never says whether an account exists (the page answers the same either way).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from itsdangerous import BadSignature, URLSafeTimedSerializer

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import User
from eventface.errors import InvalidInputError
from eventface.services import accounts, mail_caps
from eventface.services.mail_caps import MailCaps
from eventface.services.passwords import Passwords

LINK_LIFETIME_S = 3600
_SALT = "eventface password reset"
LINK_INVALID = "This password reset link has expired or was already used: ask for a new one."
MESSAGES = (LINK_INVALID,)


class ResetLinks:
    def __init__(self, secret_key: str, lifetime_s: int = LINK_LIFETIME_S) -> None:
        self._signer = URLSafeTimedSerializer(secret_key, salt=_SALT)
        self.lifetime_s = lifetime_s

    def token_for(self, uow: UnitOfWork, email: str) -> tuple[User, str] | None:
        """A reset token for the account with `email`, or None (no such account, or disabled)."""
        found = uow.users.credentials(accounts.normalize_email(email))
        if found is None or found[0].disabled:
            return None
        user, password_hash = found
        return user, self._signer.dumps({"u": user.id, "h": _fingerprint(password_hash)})

    def token_to_mail(
        self, uow: UnitOfWork, email: str, caps: MailCaps, now: datetime
    ) -> tuple[User, str] | None:
        """`token_for`, and None too once the account's address has had its share of links."""
        found = self.token_for(uow, email)
        if found is None or not caps.take(uow, mail_caps.PASSWORD_RESET, found[0].email, now):
            return None
        return found

    def user_for(self, uow: UnitOfWork, token: str) -> User:
        """The account a token resets; InvalidInputError if it is forged, expired or used."""
        try:
            claims = self._signer.loads(token, max_age=self.lifetime_s)
            user_id, fingerprint = int(claims["u"]), str(claims["h"])
        except (BadSignature, KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(LINK_INVALID, code="reset_link_invalid") from exc
        user = uow.users.get(user_id)
        found = uow.users.credentials(user.email) if user else None
        if found is None or found[0].disabled or _fingerprint(found[1]) != fingerprint:
            raise InvalidInputError(LINK_INVALID, code="reset_link_invalid")
        return found[0]

    def reset(self, uow: UnitOfWork, token: str, password: str, passwords: Passwords) -> User:
        """Sets the new password; the link then opens nothing, and every session of the account ends."""
        user = self.user_for(uow, token)
        accounts.set_password(uow, user.id, password, passwords)
        return user


def _fingerprint(password_hash: str) -> str:
    return hashlib.blake2b(password_hash.encode(), digest_size=12).hexdigest()
