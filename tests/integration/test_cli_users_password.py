"""`eventface users password EMAIL` (issue 14): a new password from the CLI, prompted twice (hidden)
or read from stdin, with the sign-up rules; every session of the account ends."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventface.cli.main import app
from eventface.errors import AuthenticationError
from eventface.runtime import build_runtime
from eventface.services import accounts
from eventface.settings import Settings

OLD = "correct horse battery"
NEW = "another long passphrase"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Ana, signed in on one browser (a session row)."""
    monkeypatch.setenv("EVENTFACE_PASSWORD_HASH_COST", "test")
    data = tmp_path / "data"
    rt = build_runtime(Settings(data_dir=data, password_hash_cost="test"))
    with rt.transactions() as uow:
        user = accounts.create_user(uow, "ana@example.com", OLD, passwords=rt.passwords)
        uow.sessions.add(user.id, "f" * 64, datetime.now(UTC))
    rt.close()
    return data


def password_works(data_dir: Path, password: str) -> bool:
    rt = build_runtime(Settings(data_dir=data_dir, password_hash_cost="test"))
    try:
        with rt.transactions() as uow:
            accounts.authenticate(uow, "ana@example.com", password, rt.passwords)
        return True
    except AuthenticationError:
        return False
    finally:
        rt.close()


def sessions(data_dir: Path) -> int:
    rt = build_runtime(Settings(data_dir=data_dir, password_hash_cost="test"))
    try:
        with rt.transactions() as uow:
            user = accounts.find_user(uow, "ana@example.com")
            return 1 if uow.sessions.user("f" * 64, datetime(2000, 1, 1, tzinfo=UTC)) == user else 0
    finally:
        rt.close()


def cli(data_dir: Path, *args: str, given: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["users", "password", *args, "--data-dir", str(data_dir)], input=given)
    return result.exit_code, result.output


def test_a_new_password_is_prompted_twice_hidden_and_ends_every_session(data_dir: Path) -> None:
    assert sessions(data_dir) == 1

    code, output = cli(data_dir, "ANA@example.com", given=f"{NEW}\n{NEW}\n")

    assert code == 0, output
    assert output.count("Password") == 1 and "Repeat for confirmation" in output and NEW not in output
    assert "sessions have ended" in output
    assert password_works(data_dir, NEW) and not password_works(data_dir, OLD)
    assert sessions(data_dir) == 0


def test_a_new_password_from_stdin(data_dir: Path) -> None:
    code, output = cli(data_dir, "ana@example.com", "--stdin", given=f"{NEW}\n")

    assert code == 0, output
    assert password_works(data_dir, NEW)


def test_two_different_entries_are_refused(data_dir: Path) -> None:
    code, output = cli(data_dir, "ana@example.com", given=f"{NEW}\nsomething else entirely\n")

    assert code != 0
    assert "do not match" in output
    assert password_works(data_dir, OLD) and sessions(data_dir) == 1


@pytest.mark.parametrize(
    ("email", "given", "reason"),
    [("ana@example.com", "short\n", "at least"), ("nobody@example.com", f"{NEW}\n", "no user")],
)
def test_a_short_password_or_an_unknown_account_changes_nothing(
    data_dir: Path, email: str, given: str, reason: str
) -> None:
    code, output = cli(data_dir, email, "--stdin", given=given)

    assert code == 1
    assert reason in output
    assert password_works(data_dir, OLD) and sessions(data_dir) == 1
