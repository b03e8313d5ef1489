"""Photographer accounts on a real migrated database: passwords, API tokens, event owners."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from eventface.errors import AuthenticationError, InvalidInputError, NotFoundError
from eventface.runtime import Runtime
from eventface.services import accounts, events

PASSWORD = "correct horse battery"


def create_user(runtime: Runtime, email: str = "ana@example.com", password: str = PASSWORD) -> None:
    with runtime.transactions() as uow:
        accounts.create_user(uow, email, password)


def stored_hash(runtime: Runtime, email: str) -> str:
    with runtime.transactions() as uow:
        found = uow.users.credentials(email)
    assert found is not None
    return found[1]


def test_the_password_is_stored_as_an_argon2_hash_not_as_itself(runtime: Runtime) -> None:
    create_user(runtime)

    password_hash = stored_hash(runtime, "ana@example.com")

    assert PASSWORD not in password_hash
    assert password_hash.startswith("$argon2id$")


def test_a_user_authenticates_with_email_in_any_case(runtime: Runtime) -> None:
    create_user(runtime, "  Ana@Example.COM ")

    with runtime.transactions() as uow:
        user = accounts.authenticate(uow, "ANA@example.com", PASSWORD)

    assert user.email == "ana@example.com"


def test_wrong_password_and_unknown_email_fail_with_the_same_message(runtime: Runtime) -> None:
    create_user(runtime)

    with runtime.transactions() as uow:
        with pytest.raises(AuthenticationError) as wrong_password:
            accounts.authenticate(uow, "ana@example.com", "not the password")
        with pytest.raises(AuthenticationError) as unknown_email:
            accounts.authenticate(uow, "bob@example.com", PASSWORD)

    assert str(wrong_password.value) == str(unknown_email.value) == "wrong email or password"


def test_a_hash_with_outdated_parameters_is_replaced_on_login(runtime: Runtime) -> None:
    create_user(runtime)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash(PASSWORD)
    with runtime.transactions() as uow:
        user = accounts.find_user(uow, "ana@example.com")
        uow.users.set_password_hash(user.id, weak)

    with runtime.transactions() as uow:
        accounts.authenticate(uow, "ana@example.com", PASSWORD)

    rehashed = stored_hash(runtime, "ana@example.com")
    assert rehashed != weak
    assert not PasswordHasher().check_needs_rehash(rehashed)


def test_a_second_user_with_the_same_email_in_another_case_is_refused(runtime: Runtime) -> None:
    create_user(runtime)

    with pytest.raises(InvalidInputError, match="already exists"):
        create_user(runtime, "ANA@example.com")


@pytest.mark.parametrize("email", ["ana", "ana@example", "@example.com", "a@b@example.com", "ana@.com"])
def test_a_malformed_email_is_refused(runtime: Runtime, email: str) -> None:
    with pytest.raises(InvalidInputError, match="not a valid email"):
        create_user(runtime, email)


def test_a_short_password_is_refused(runtime: Runtime) -> None:
    with pytest.raises(InvalidInputError, match="at least 10 characters"):
        create_user(runtime, password="short")


def test_an_api_token_finds_its_user_and_records_the_use(runtime: Runtime) -> None:
    create_user(runtime)
    with runtime.transactions() as uow:
        token = accounts.create_api_token(uow, "Ana@example.com", "laptop")

    with runtime.transactions() as uow:
        user = accounts.user_for_token(uow, token)
        used = uow.session.execute(text("SELECT token_hash, last_used_at FROM api_tokens")).one()

    assert token.startswith("ef_") and len(token) > 40
    assert user.email == "ana@example.com"
    assert used.token_hash == hashlib.sha256(token.encode()).hexdigest()  # never the token itself
    assert used.last_used_at is not None


def test_an_unknown_or_revoked_token_is_refused(runtime: Runtime) -> None:
    create_user(runtime)
    with runtime.transactions() as uow:
        token = accounts.create_api_token(uow, "ana@example.com")
        accounts.revoke_api_token(uow, token)

    with runtime.transactions() as uow:
        with pytest.raises(AuthenticationError, match="invalid API token"):
            accounts.user_for_token(uow, token)
        with pytest.raises(AuthenticationError, match="invalid API token"):
            accounts.user_for_token(uow, "ef_made-up")


def test_a_token_for_an_unknown_user_is_refused(runtime: Runtime) -> None:
    with (
        pytest.raises(NotFoundError, match="no user with email"),
        runtime.transactions() as uow,
    ):
        accounts.create_api_token(uow, "bob@example.com")


def test_an_event_can_have_an_owner(runtime: Runtime, tmp_path: Path) -> None:
    create_user(runtime)
    folder = tmp_path / "photos"
    folder.mkdir()
    policy = events.FolderPolicy.anywhere_but_data(runtime.settings.data_dir)
    with runtime.transactions() as uow:
        owned = events.create_event(
            uow, "Wedding", folder, "fake", owner_email="ANA@example.com", policy=policy
        )
        unowned = events.create_event(uow, "Party", folder, "fake", policy=policy)
        user = accounts.find_user(uow, "ana@example.com")

    assert owned.owner_id == user.id
    assert unowned.owner_id is None
