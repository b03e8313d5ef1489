"""The Drive commands of the installed console script against the fake Drive, as on a headless server."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.fakes.drive import FakeDrive
from tests.fakes.photos import jpeg_with_squares
from tests.harness.console import command, eventface_env, run_eventface
from tests.harness.drive import DriveOptions, authorized_user_info

OWNER = "ploy@example.com"


@pytest.fixture
def drive_options() -> DriveOptions:
    return {"email": "ploy.photos@gmail.com"}


@pytest.fixture
def env(drive: FakeDrive) -> dict[str, str]:
    return eventface_env(
        EVENTFACE_WORKERS="1", EVENTFACE_FACE_ENGINE="sface", DRIVE_API_URL=drive.api_endpoint
    )


@pytest.fixture
def authorized_user_file(tmp_path: Path, drive: FakeDrive) -> Path:
    """What `google-auth` reads as an authorized user, made on a machine with a browser."""
    path = tmp_path / "authorized_user.json"
    info = {"type": "authorized_user", **authorized_user_info(drive)}  # revoke_uri is optional there
    path.write_text(json.dumps(info))
    return path


def eventface(env: dict[str, str], tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_eventface(*args, data_dir=tmp_path / "data", env=env, cwd=tmp_path)


def failing(env: dict[str, str], tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command(args, tmp_path / "data"), capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert result.returncode != 0, result.stdout
    return result


def create_owner(env: dict[str, str], tmp_path: Path) -> None:
    subprocess.run(
        command(("users", "create", OWNER, "--password-stdin"), tmp_path / "data"),
        input="a long enough password\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )


def photo(colour: str) -> bytes:
    return jpeg_with_squares([(colour, (10, 10), 50)])


def test_connect_create_sync_and_disconnect_from_the_command_line(
    tmp_path: Path, drive: FakeDrive, env: dict[str, str], authorized_user_file: Path
) -> None:
    folder = drive.add_folder("Wedding")
    sub = drive.add_folder("Party", parent=folder)
    drive.add_photo(folder, "a.jpg", photo("red"))
    gone = drive.add_photo(sub, "b.jpg", photo("blue"))
    create_owner(env, tmp_path)

    connected = eventface(
        env, tmp_path, "drive", "connect", OWNER, "--authorized-user-file", authorized_user_file
    )
    listed = eventface(env, tmp_path, "drive", "list", OWNER)
    link = f"https://drive.google.com/drive/folders/{folder}?usp=sharing"
    created = eventface(
        env, tmp_path, "events", "create", "Wedding", "--drive-folder", link, "--owner", OWNER
    )
    event_id = created.stdout.splitlines()[-1]
    first = eventface(env, tmp_path, "sync", event_id)
    drive.add_photo(folder, "c.jpg", photo("green"))
    drive.trash(gone)
    second = eventface(env, tmp_path, "sync", event_id)
    disconnected = eventface(env, tmp_path, "drive", "disconnect", OWNER, "ploy.photos@gmail.com")

    assert "Connected Google account ploy.photos@gmail.com" in connected.stdout
    assert "ploy.photos@gmail.com" in listed.stdout and "connected" in listed.stdout
    assert re.search(r"2 added, 0 changed, 0 removed \(full listing\)", first.stdout), first.stdout
    assert re.search(r"1 added, 0 changed, 1 removed \(changes since the last sync\)", second.stdout)
    assert "Google revoked its grant" in disconnected.stdout
    refresh = httpx.post(
        drive.token_uri,
        data={
            "grant_type": "refresh_token",
            "refresh_token": drive.refresh_token,
            "client_id": drive.client_id,
            "client_secret": drive.client_secret,
        },
    )
    assert refresh.json().get("error") == "invalid_grant"  # revoked at Google, not only forgotten
    for output in (connected, listed, created, first, second, disconnected):
        assert drive.refresh_token not in output.stdout + output.stderr


def test_bad_input_gets_a_clear_message_and_saves_nothing(
    tmp_path: Path, drive: FakeDrive, env: dict[str, str], authorized_user_file: Path
) -> None:
    create_owner(env, tmp_path)
    folder = drive.add_folder("Wedding")
    a_file = drive.add_photo(folder, "a.jpg", photo("red"))

    no_account = failing(env, tmp_path, "events", "create", "W", "--drive-folder", folder, "--owner", OWNER)
    broken = tmp_path / "broken.json"
    broken.write_text('{"client_id": "x"}')
    bad_file = failing(env, tmp_path, "drive", "connect", OWNER, "--authorized-user-file", broken)
    eventface(env, tmp_path, "drive", "connect", OWNER, "--authorized-user-file", authorized_user_file)
    file_link = f"https://drive.google.com/file/d/{a_file}/view"
    not_a_folder = failing(env, tmp_path, "events", "create", "W", "--drive-folder", a_file, "--owner", OWNER)
    a_file_link = failing(
        env, tmp_path, "events", "create", "W", "--drive-folder", file_link, "--owner", OWNER
    )
    eventface(env, tmp_path, "drive", "disconnect", OWNER, "ploy.photos@gmail.com")  # revokes the grant
    revoked = failing(
        env, tmp_path, "drive", "connect", OWNER, "--authorized-user-file", authorized_user_file
    )

    assert "connect one first" in no_account.stderr
    assert "client_secret" in bad_file.stderr and "refresh_token" in bad_file.stderr
    assert "file, not a folder" in not_a_folder.stderr
    assert "link of a file" in a_file_link.stderr
    assert "revoked or expired" in revoked.stderr
    listed = eventface(env, tmp_path, "drive", "list", OWNER)
    events = eventface(env, tmp_path, "events", "list")
    assert "gmail" not in listed.stdout  # the refused grant was not stored
    assert "Wedding" not in events.stdout and "W " not in events.stdout
