"""Accounts in the database: users and their API tokens, signed-in sessions, invites.

Secrets are looked up by their sha256 only (tokens, session keys, invite tokens): the database
never holds one that would work if it leaked.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventface.db.tables import ApiTokenRow, InviteRow, UserRow, UserSessionRow
from eventface.domain.models import ApiTokenInfo, Role, User
from eventface.errors import InvalidInputError


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything eventface stores is UTC
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        email=row.email,
        created_at=row.created_at.replace(tzinfo=UTC) if row.created_at.tzinfo is None else row.created_at,
        role=Role(row.role),
        disabled=row.disabled_at is not None,
        last_login_at=_aware(row.last_login_at),
    )


def _token(row: ApiTokenRow) -> ApiTokenInfo:
    created = _aware(row.created_at)
    assert created is not None
    return ApiTokenInfo(row.id, row.name, row.prefix, created, _aware(row.last_used_at))


class UserRepository:
    """Photographer accounts and their API tokens. Tokens are looked up by hash only."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, email: str, password_hash: str, role: Role) -> User:
        row = UserRow(email=email, password_hash=password_hash, role=role.value)
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:  # a concurrent sign-up with the same email won the race
            raise InvalidInputError(f"a user with email {email!r} already exists") from exc
        return _user(row)

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(UserRow)) or 0)

    def count_active_admins(self) -> int:
        query = select(func.count()).where(UserRow.role == Role.ADMIN.value, UserRow.disabled_at.is_(None))
        return int(self.session.scalar(query) or 0)

    def all(self) -> list[User]:
        return [_user(row) for row in self.session.scalars(select(UserRow).order_by(UserRow.id))]

    def get(self, user_id: int) -> User | None:
        row = self.session.get(UserRow, user_id)
        return _user(row) if row else None

    def find_by_email(self, email: str) -> User | None:
        row = self._by_email(email)
        return _user(row) if row else None

    def credentials(self, email: str) -> tuple[User, str] | None:
        """The user and their password hash, or None for an unknown email."""
        row = self._by_email(email)
        return (_user(row), row.password_hash) if row else None

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._set(user_id, password_hash=password_hash)

    def set_disabled(self, user_id: int, when: datetime | None) -> None:
        self._set(user_id, disabled_at=when)

    def set_role(self, user_id: int, role: Role) -> None:
        self._set(user_id, role=role.value)

    def record_login(self, user_id: int, when: datetime) -> None:
        self._set(user_id, last_login_at=when)

    def add_token(self, user_id: int, token_hash: str, prefix: str, name: str) -> None:
        self.session.add(ApiTokenRow(user_id=user_id, token_hash=token_hash, prefix=prefix, name=name))
        self.session.flush()

    def tokens(self, user_id: int) -> list[ApiTokenInfo]:
        query = select(ApiTokenRow).where(ApiTokenRow.user_id == user_id).order_by(ApiTokenRow.id)
        return [_token(row) for row in self.session.scalars(query)]

    def for_token(self, token_hash: str, now: datetime) -> User | None:
        """The token's user, recording the use; None when no such token exists."""
        token = self.session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))
        if token is None:
            return None
        token.last_used_at = now
        user = self.session.get(UserRow, token.user_id)
        return _user(user) if user else None

    def delete_token(self, token_hash: str) -> bool:
        result = self.session.execute(delete(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def delete_token_by_id(self, user_id: int, token_id: int) -> bool:
        query = delete(ApiTokenRow).where(ApiTokenRow.user_id == user_id, ApiTokenRow.id == token_id)
        return int(self.session.execute(query).rowcount) == 1  # type: ignore[attr-defined]

    def _set(self, user_id: int, **values: object) -> None:
        self.session.execute(update(UserRow).where(UserRow.id == user_id).values(**values))

    def _by_email(self, email: str) -> UserRow | None:
        return self.session.scalar(select(UserRow).where(UserRow.email == email))


class SessionRepository:
    """Signed-in browsers, by the sha256 of the key in their cookie."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, user_id: int, key_hash: str, now: datetime) -> None:
        self.session.add(UserSessionRow(user_id=user_id, key_hash=key_hash, created_at=now))
        self.session.flush()

    def user(self, key_hash: str, started_after: datetime) -> User | None:
        """The session's user, if the session exists, began after `started_after`, and the user is enabled."""
        query = (
            select(UserRow)
            .join(UserSessionRow, UserSessionRow.user_id == UserRow.id)
            .where(
                UserSessionRow.key_hash == key_hash,
                UserSessionRow.created_at > started_after,
                UserRow.disabled_at.is_(None),
            )
        )
        row = self.session.scalar(query)
        return _user(row) if row else None

    def delete(self, key_hash: str) -> None:
        self.session.execute(delete(UserSessionRow).where(UserSessionRow.key_hash == key_hash))

    def delete_all(self, user_id: int) -> None:
        self.session.execute(delete(UserSessionRow).where(UserSessionRow.user_id == user_id))

    def delete_older(self, user_id: int, started_before: datetime) -> None:
        query = delete(UserSessionRow).where(
            UserSessionRow.user_id == user_id, UserSessionRow.created_at <= started_before
        )
        self.session.execute(query)


class InviteRepository:
    """One-time sign-up links, by the sha256 of their token."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, email: str, token_hash: str, created_by: int | None, now: datetime, expires: datetime
    ) -> None:
        row = InviteRow(
            email=email, token_hash=token_hash, created_by=created_by, created_at=now, expires_at=expires
        )
        self.session.add(row)
        self.session.flush()

    def use(self, token_hash: str, now: datetime) -> str | None:
        """Marks an unused, unexpired invite used and returns its email; None if there is no such invite.

        One UPDATE with the conditions in its WHERE, so two sign-ups racing on one link cannot both win.
        """
        usable = (InviteRow.token_hash == token_hash, InviteRow.used_at.is_(None), InviteRow.expires_at > now)
        claimed = self.session.execute(
            update(InviteRow).where(*usable).values(used_at=now).execution_options(synchronize_session=False)
        )
        if int(claimed.rowcount) != 1:  # type: ignore[attr-defined]
            return None
        return self.session.scalar(select(InviteRow.email).where(InviteRow.token_hash == token_hash))

    def email_for(self, token_hash: str, now: datetime) -> str | None:
        """The email of an unused, unexpired invite, without using it."""
        query = select(InviteRow.email).where(
            InviteRow.token_hash == token_hash, InviteRow.used_at.is_(None), InviteRow.expires_at > now
        )
        return self.session.scalar(query)
