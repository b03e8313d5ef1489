"""`eventface users ...` and `events create --owner` through the installed console script."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner

from eventface.cli.main import app
from eventface.runtime import build_runtime
from eventface.services import accounts
from eventface.settings import Settings
from tests.harness.console import command, eventface_env, run_eventface

PASSWORD = "correct horse battery"


def users_create(email: str, data_dir: Path, cwd: Path, stdin: str = PASSWORD + "\n") -> None:
    result = subprocess.run(
        command(("users", "create", email, "--password-stdin"), data_dir),
        input=stdin,
        capture_output=True,
        text=True,
        env=eventface_env(),
        cwd=cwd,
        timeout=60,
        check=True,
    )
    assert f"Created user {email.lower()}" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr


def test_users_create_reads_the_password_from_stdin(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    users_create("Ana@Example.com", data_dir, tmp_path)

    rt = build_runtime(Settings(data_dir=data_dir))
    with rt.transactions() as uow:
        assert accounts.authenticate(uow, "ana@example.com", PASSWORD).email == "ana@example.com"
    rt.close()


def test_users_token_prints_a_token_that_authenticates_on_the_last_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    users_create("ana@example.com", data_dir, tmp_path)

    result = run_eventface(
        "users",
        "token",
        "ana@example.com",
        "--name",
        "curl",
        data_dir=data_dir,
        env=eventface_env(),
        cwd=tmp_path,
    )

    token = result.stdout.splitlines()[-1]
    assert "shown only once" in result.stderr
    rt = build_runtime(Settings(data_dir=data_dir))
    with rt.transactions() as uow:
        assert accounts.user_for_token(uow, token).email == "ana@example.com"
    rt.close()


def test_events_create_with_owner_sets_the_owner(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    folder = tmp_path / "photos"
    folder.mkdir()
    users_create("ana@example.com", data_dir, tmp_path)

    created = run_eventface(
        "events",
        "create",
        "Wedding",
        "--folder",
        folder,
        "--owner",
        "ANA@example.com",
        data_dir=data_dir,
        env=eventface_env(),
        cwd=tmp_path,
    )

    event_id = created.stdout.splitlines()[-1]
    rt = build_runtime(Settings(data_dir=data_dir))
    with rt.transactions() as uow:
        owner = accounts.find_user(uow, "ana@example.com")
        assert uow.events.find(event_id).owner_id == owner.id
    rt.close()


def test_events_create_with_an_unknown_owner_fails_and_creates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    folder = tmp_path / "photos"
    folder.mkdir()
    env = eventface_env()

    result = run_eventface(
        "events",
        "create",
        "Wedding",
        "--folder",
        folder,
        "--owner",
        "bob@example.com",
        data_dir=data_dir,
        env=env,
        cwd=tmp_path,
        check=False,
    )

    assert result.returncode == 1
    assert "error: no user with email 'bob@example.com'" in result.stderr
    assert "Wedding" not in run_eventface("events", "list", data_dir=data_dir, env=env, cwd=tmp_path).stdout


def test_users_create_refuses_a_duplicate_email(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    users_create("ana@example.com", data_dir, tmp_path)

    result = subprocess.run(
        command(("users", "create", "ANA@example.com", "--password-stdin"), data_dir),
        input=PASSWORD,
        capture_output=True,
        text=True,
        env=eventface_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "already exists" in result.stderr


def test_users_create_without_password_stdin_prompts_twice_with_hidden_input(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    result = CliRunner().invoke(
        app, ["users", "create", "ana@example.com", "--data-dir", str(data_dir)], input=f"{PASSWORD}\n" * 2
    )

    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output
