"""The installed `eventface` console script, end to end, as a user runs it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness.console import command, create_event, eventface_env, run_eventface

SFACE = {"EVENTFACE_WORKERS": "1", "EVENTFACE_FACE_ENGINE": "sface"}


def test_db_commands_create_and_check_the_database_in_the_data_dir(tmp_path: Path) -> None:
    env = eventface_env(**SFACE)
    data_dir = tmp_path / "somewhere" / "else"

    upgrade = run_eventface("db", "upgrade", data_dir=data_dir, env=env, cwd=tmp_path)
    check = run_eventface("db", "check", data_dir=data_dir, env=env, cwd=tmp_path)

    assert (data_dir / "eventface.db").is_file()
    assert not (tmp_path / "data").exists()  # the default ./data was not used
    assert str(data_dir / "eventface.db") in upgrade.stdout.replace("\n", "")
    assert "Models and migrations agree." in check.stdout


def test_data_dir_can_come_from_the_environment(tmp_path: Path) -> None:
    data_dir = tmp_path / "from-env"
    env = eventface_env(**SFACE, EVENTFACE_DATA_DIR=str(data_dir))
    folder = tmp_path / "photos"
    folder.mkdir()

    created = run_eventface(
        "events", "create", "Env", "--folder", folder, data_dir=None, env=env, cwd=tmp_path
    )

    assert created.stdout.splitlines()[-1] == "1"
    assert (data_dir / "eventface.db").is_file()
    assert not (tmp_path / "data").exists()


@pytest.mark.slow
def test_create_index_search_list_and_delete_an_event(tmp_path: Path, faces_dir: Path) -> None:
    env = eventface_env(**SFACE)
    data_dir = tmp_path / "data"
    folder = tmp_path / "Wedding photos"
    (folder / "ceremony").mkdir(parents=True)
    shutil.copyfile(faces_dir / "groups/fr_two_people.jpg", folder / "ceremony" / "two people.jpg")
    shutil.copyfile(faces_dir / "people/biden/2.jpg", folder / "biden.jpg")
    shutil.copyfile(faces_dir / "people/kit_harington/1.jpg", folder / "kit.jpg")
    (folder / "broken.jpg").write_text("this is not a photo")
    selfie = tmp_path / "selfie.jpg"  # not in the event folder
    shutil.copyfile(faces_dir / "people/obama/1.jpg", selfie)

    event = create_event(folder, data_dir, env, tmp_path)
    assert event.isdigit()

    index = run_eventface("index", event, data_dir=data_dir, env=env, cwd=tmp_path)
    assert "4 new, 0 changed, 0 removed, 0 unchanged photos; indexed 3" in index.stdout
    assert "1 failed" in index.stdout
    assert "failed: broken.jpg: not an image" in index.stdout

    found = run_eventface("search", event, selfie, "--json", data_dir=data_dir, env=env, cwd=tmp_path)
    result = json.loads(found.stdout)
    assert set(result) == {"matches", "selfies"}
    assert result["selfies"] == [{"file": str(selfie), "faces_found": 1}]
    (match,) = result["matches"]
    assert set(match) == {"photo_id", "name", "path", "distance", "margin", "via"}
    assert match["via"] == "selfie"
    assert match["path"] == "ceremony/two people.jpg"  # relative to the event folder
    assert (folder / match["path"]).is_file()
    assert isinstance(match["photo_id"], int) and isinstance(match["distance"], float)
    assert 0 <= match["distance"] <= 1

    listing = run_eventface("events", "list", data_dir=data_dir, env=env, cwd=tmp_path)
    (row,) = [line for line in listing.stdout.splitlines() if "Wedding" in line]
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[:7] == [event, "Wedding", "4", str(_faces(index.stdout)), "0", "1", "sface"]

    deleted = run_eventface("events", "delete", event, data_dir=data_dir, env=env, cwd=tmp_path)
    assert f"Deleted event {event}" in deleted.stdout
    assert "Wedding" not in run_eventface("events", "list", data_dir=data_dir, env=env, cwd=tmp_path).stdout
    assert folder.joinpath("kit.jpg").is_file()  # the photos themselves are left alone

    gone = run_eventface(
        "search", event, selfie, "--json", data_dir=data_dir, env=env, cwd=tmp_path, check=False
    )
    assert gone.returncode != 0
    assert f"error: no event '{event}'" in gone.stderr
    assert gone.stdout == ""


def _faces(index_output: str) -> int:
    """The face count `eventface index` reports ("indexed 3 with 5 faces")."""
    found = re.search(r"indexed \d+ with (\d+) faces", index_output)
    assert found, index_output
    return int(found.group(1))


def test_indexing_an_event_whose_folder_was_deleted_fails_with_a_clear_message(tmp_path: Path) -> None:
    env = eventface_env(**SFACE)
    data_dir = tmp_path / "data"
    folder = tmp_path / "photos"
    folder.mkdir()
    event = create_event(folder, data_dir, env, tmp_path)
    shutil.rmtree(folder)

    result = run_eventface("index", event, data_dir=data_dir, env=env, cwd=tmp_path, check=False)

    assert result.returncode == 2
    assert f"error: photo folder not found or not a folder: {folder}" in " ".join(result.stderr.split())


def test_creating_an_event_on_a_missing_folder_is_refused(tmp_path: Path) -> None:
    env = eventface_env(**SFACE)

    result = run_eventface(
        "events",
        "create",
        "Nope",
        "--folder",
        tmp_path / "missing",
        data_dir=tmp_path / "d",
        env=env,
        cwd=tmp_path,
        check=False,
    )

    assert result.returncode == 1
    assert "error: photo folder not found" in result.stderr


def test_search_refuses_more_than_three_selfies(tmp_path: Path) -> None:
    env = eventface_env(**SFACE)
    selfies = [tmp_path / f"{i}.jpg" for i in range(4)]
    for path in selfies:
        path.write_bytes(b"x")

    result = run_eventface(
        "search", "1", *selfies, data_dir=tmp_path / "d", env=env, cwd=tmp_path, check=False
    )

    assert result.returncode == 1
    assert "give 1 to 3 selfies, not 4" in result.stderr


def test_events_show_json_gives_the_guest_link_and_counts(tmp_path: Path) -> None:
    env = eventface_env(EVENTFACE_PUBLIC_BASE_URL="https://photos.example.com")
    folder = tmp_path / "photos"
    folder.mkdir()
    data_dir = tmp_path / "d"
    subprocess.run(
        command(("users", "create", "ann@example.com", "--password-stdin"), data_dir),
        input="correct horse battery\n",
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    )
    result = run_eventface(
        "events",
        "create",
        "Gala",
        "--folder",
        folder,
        "--owner",
        "ann@example.com",
        data_dir=data_dir,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    event_id = result.stdout.strip().splitlines()[-1]

    shown = run_eventface("events", "show", event_id, "--json", data_dir=data_dir, env=env, cwd=tmp_path)

    info = json.loads(shown.stdout)
    assert info["id"] == int(event_id)
    assert info["name"] == "Gala"
    assert info["guest_url"] == f"https://photos.example.com/e/{info['slug']}"
    assert len(info["slug"]) >= 16  # unguessable
    assert info["photos"] == 0 and info["faces"] == 0
    assert info["owner"] == "ann@example.com"
    assert info["auto_sync"]["enabled"] is False


def test_events_show_of_a_missing_event_fails_clearly(tmp_path: Path) -> None:
    env = eventface_env()
    result = run_eventface(
        "events", "show", "99", data_dir=tmp_path / "d", env=env, cwd=tmp_path, check=False
    )
    assert result.returncode == 1
    assert "no event '99'" in result.stderr
