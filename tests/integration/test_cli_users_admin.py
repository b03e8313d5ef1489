"""`eventface users list | disable | enable | password | tokens | revoke-token | invite`, and
`users create --admin`, through the installed console script."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from eventface.domain.models import User
from eventface.errors import AuthenticationError
from eventface.runtime import build_runtime
from eventface.services import accounts
from eventface.settings import Settings
from tests.harness.console import command, eventface_env, run_eventface

PASSWORD = "correct horse battery"
NEW_PASSWORD = "another long passphrase"
CHEAP = {"EVENTFACE_PASSWORD_HASH_COST": "test"}


def users(*args: str, data_dir: Path, cwd: Path, stdin: str | None = None, **env: str) -> tuple[str, str]:
    """Runs `eventface users ARGS`; returns stdout and stderr."""
    if stdin is not None:
        done = subprocess.run(
            command(("users", *args), data_dir),
            input=stdin,
            capture_output=True,
            text=True,
            env=eventface_env(**CHEAP, **env),
            cwd=cwd,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout, done.stderr
    result = run_eventface("users", *args, data_dir=data_dir, env=eventface_env(**CHEAP, **env), cwd=cwd)
    return result.stdout, result.stderr


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An admin and a photographer (made in-process: each CLI run costs seconds of imports)."""
    data = tmp_path / "data"
    rt = build_runtime(Settings(data_dir=data, password_hash_cost="test"))
    with rt.transactions() as uow:
        accounts.create_user(uow, "admin@example.com", PASSWORD, passwords=rt.passwords)
        accounts.create_user(uow, "ana@example.com", PASSWORD, passwords=rt.passwords)
    rt.close()
    return data


def _user(data_dir: Path, email: str) -> User:
    rt = build_runtime(Settings(data_dir=data_dir))
    try:
        with rt.transactions() as uow:
            return accounts.find_user(uow, email)
    finally:
        rt.close()


def _token(data_dir: Path, name: str) -> str:
    rt = build_runtime(Settings(data_dir=data_dir))
    try:
        with rt.transactions() as uow:
            return accounts.create_api_token(uow, "ana@example.com", name)
    finally:
        rt.close()


def test_users_list_shows_roles_and_status_and_the_first_account_is_an_admin(
    data_dir: Path, tmp_path: Path
) -> None:
    out, _ = users("list", data_dir=data_dir, cwd=tmp_path)
    lines = out.splitlines()
    assert lines[0].split("\t")[:3] == ["admin@example.com", "admin", "active"]
    assert lines[1].split("\t")[:3] == ["ana@example.com", "photographer", "active"]
    assert "last sign-in never" in lines[1]


def test_users_create_admin_makes_an_admin(data_dir: Path, tmp_path: Path) -> None:
    users(
        "create",
        "boss@example.com",
        "--admin",
        "--password-stdin",
        data_dir=data_dir,
        cwd=tmp_path,
        stdin=PASSWORD,
    )
    assert _user(data_dir, "boss@example.com").is_admin


def test_users_disable_stops_sign_in_and_tokens_and_enable_restores_them(
    data_dir: Path, tmp_path: Path
) -> None:
    token = _token(data_dir, "laptop")

    users("disable", "ana@example.com", data_dir=data_dir, cwd=tmp_path)

    rt = build_runtime(Settings(data_dir=data_dir, password_hash_cost="test"))
    with rt.transactions() as uow, pytest.raises(AuthenticationError):
        accounts.user_for_token(uow, token)
    with rt.transactions() as uow, pytest.raises(AuthenticationError, match="disabled"):
        accounts.authenticate(uow, "ana@example.com", PASSWORD, rt.passwords)
    users("enable", "ana@example.com", data_dir=data_dir, cwd=tmp_path)
    with rt.transactions() as uow:
        assert accounts.user_for_token(uow, token).email == "ana@example.com"
    rt.close()


def test_users_password_from_stdin_changes_the_password(data_dir: Path, tmp_path: Path) -> None:
    out, err = users(
        "password", "ana@example.com", "--password-stdin", data_dir=data_dir, cwd=tmp_path, stdin=NEW_PASSWORD
    )

    assert NEW_PASSWORD not in out + err
    rt = build_runtime(Settings(data_dir=data_dir, password_hash_cost="test"))
    with rt.transactions() as uow:
        assert (
            accounts.authenticate(uow, "ana@example.com", NEW_PASSWORD, rt.passwords).email
            == "ana@example.com"
        )
    rt.close()


def test_users_tokens_shows_prefixes_never_tokens_and_revoke_token_revokes_one(
    data_dir: Path, tmp_path: Path
) -> None:
    first = users("token", "ana@example.com", "--name", "laptop", data_dir=data_dir, cwd=tmp_path)[
        0
    ].splitlines()[-1]
    second = users("token", "ana@example.com", "--name", "ci", data_dir=data_dir, cwd=tmp_path)[
        0
    ].splitlines()[-1]

    listed, _ = users("tokens", "ana@example.com", data_dir=data_dir, cwd=tmp_path)
    assert first not in listed and second not in listed
    rows = [line.split("\t") for line in listed.splitlines()]
    assert [(name, prefix) for name, prefix, *_ in rows] == [("laptop", first[:11]), ("ci", second[:11])]
    assert "last used never" in listed

    users("revoke-token", "ana@example.com", first[:11], data_dir=data_dir, cwd=tmp_path)

    rt = build_runtime(Settings(data_dir=data_dir))
    with rt.transactions() as uow:
        with pytest.raises(AuthenticationError):
            accounts.user_for_token(uow, first)
        assert accounts.user_for_token(uow, second).email == "ana@example.com"
    rt.close()


def test_users_invite_prints_a_working_link_on_the_last_line(data_dir: Path, tmp_path: Path) -> None:
    out, err = users(
        "invite",
        "ben@example.com",
        data_dir=data_dir,
        cwd=tmp_path,
        EVENTFACE_SIGNUP="invite",
        PUBLIC_BASE_URL="https://photos.example.com",
    )

    link = out.splitlines()[-1]
    assert link.startswith("https://photos.example.com/signup?invite=")
    assert "7 days" in err


def test_users_invite_is_refused_while_signup_is_closed(data_dir: Path, tmp_path: Path) -> None:
    result = run_eventface(
        "users",
        "invite",
        "ben@example.com",
        data_dir=data_dir,
        env=eventface_env(**CHEAP),
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1
    assert "EVENTFACE_SIGNUP=invite" in result.stderr


def test_a_short_secret_key_is_refused_at_start_with_a_clear_message(tmp_path: Path) -> None:
    result = run_eventface(
        "users",
        "list",
        data_dir=tmp_path / "data",
        env=eventface_env(EVENTFACE_ENCRYPTION_KEY="short"),
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "at least 32 bytes" in result.stderr
    assert "Traceback" not in result.stderr
