"""What a photographer may publish: events made on the web or through the API point inside the
photo roots (EVENTFACE_PHOTO_ROOTS) and never at the data dir; the CLI anywhere but the data dir."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from eventface.errors import PhotoGoneError, SourceUnavailableError
from eventface.services.events import CONTROL_CHARACTERS, FOLDER_REFUSED
from tests.conftest import WritePhoto
from tests.server.conftest import CLI_TIMEOUT_S, EVENTFACE, eventface_env, run_cli
from tests.web.conftest import MakeWeb, Photographer, Web

RED: list[tuple[str, tuple[int, int], int]] = [("red", (40, 40), 60)]


def create(web: Web, owner: Photographer, folder: str | Path, name: str = "Gala") -> tuple[int, Any]:
    response = web.client.post("/api/events", json={"name": name, "folder": str(folder)}, headers=owner.auth)
    return response.status_code, response.json()


@pytest.fixture
def roots(make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto) -> tuple[Web, Photographer, Path]:
    """A server whose one photo root is tmp_path/photos, with a wedding folder in it."""
    root = tmp_path / "photos"
    write_photo(root / "wedding" / "a.jpg", RED)
    web = make_web(photo_roots=[root])
    return web, web.photographer("alice@example.com"), root


def test_an_api_event_outside_the_photo_roots_is_refused_with_one_message_whatever_the_path(
    roots: tuple[Web, Photographer, Path], tmp_path: Path, write_photo: WritePhoto
) -> None:
    web, alice, root = roots
    outside = write_photo(tmp_path / "elsewhere" / "b.jpg", RED).parent
    (root / "escape").symlink_to(outside)
    (root / "unreadable").mkdir(mode=0o000)
    probes = [
        "/etc",  # exists, outside
        "/no/such/folder",  # missing
        outside,  # exists, outside
        root / "wedding" / "a.jpg",  # a file inside the root
        root / "missing",  # missing, inside the root
        root / "escape",  # a symlink inside the root to a folder outside
        f"{root}/wedding/../../elsewhere",  # `..` out of the root
        "wedding",  # relative: not resolved against the server's working directory
        web.settings.data_dir,
    ]
    if os.geteuid() != 0:  # root reads any folder
        probes.append(root / "unreadable")

    answers = {str(probe): create(web, alice, probe) for probe in probes}

    refused = (422, {"detail": FOLDER_REFUSED, "code": "folder_refused"})
    assert answers == dict.fromkeys(answers, refused)
    assert web.client.get("/api/events", headers=alice.auth).json() == []
    assert create(web, alice, root / "wedding")[0] == 201


def test_a_root_holding_the_data_dir_does_not_let_an_event_reach_the_data_dir_or_above_it(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    web = make_web(photo_roots=[tmp_path])  # tmp_path/data is the data dir
    alice = web.photographer("alice@example.com")
    wedding = write_photo(tmp_path / "wedding" / "a.jpg", RED).parent
    data = web.settings.data_dir
    (data / "thumbnails").mkdir(exist_ok=True)

    for folder in (tmp_path, data, data / "thumbnails", f"{wedding}/../data"):
        assert create(web, alice, folder) == (422, {"detail": FOLDER_REFUSED, "code": "folder_refused"}), (
            folder
        )
    assert create(web, alice, wedding)[0] == 201


def test_the_default_photo_root_is_the_data_dirs_photos_folder_made_on_start(
    make_web: MakeWeb, write_photo: WritePhoto
) -> None:
    web = make_web(photo_roots=[])
    alice = web.photographer("alice@example.com")
    root = web.settings.data_dir / "photos"
    assert root.is_dir()
    party = write_photo(root / "party" / "a.jpg", RED).parent

    assert create(web, alice, party)[0] == 201
    assert create(web, alice, web.settings.data_dir)[0] == 422


def test_the_new_event_form_offers_the_roots_subfolders_relative_to_their_root(
    roots: tuple[Web, Photographer, Path], write_photo: WritePhoto
) -> None:
    web, _, root = roots
    write_photo(root / "wedding" / "ceremony" / "b.jpg", RED)
    write_photo(root / "wedding" / "ceremony" / "c.jpg", RED)
    write_photo(root / "wedding" / "ceremony" / "guests" / "too-deep" / "d.jpg", RED)  # level 4: not read
    (root / ".hidden").mkdir()
    (root / "birthday").mkdir()
    csrf = web.login("alice@example.com")

    page = web.client.get("/events/new").text
    options = re.findall(r'<option value="([^"]+)"[^>]*>\s*([^<]+?)\s*</option>', page)
    folders = [(value, label) for value, label in options if value.startswith("/")]

    assert folders == [
        (str(root / "birthday"), "birthday (0 photos)"),
        (str(root / "wedding"), "wedding (3+ photos)"),
        (str(root / "wedding" / "ceremony"), "wedding/ceremony (2+ photos)"),
        (str(root / "wedding" / "ceremony" / "guests"), "wedding/ceremony/guests (0+ photos)"),
    ]
    created = web.client.post(
        "/events",
        data={"csrf_token": csrf, "name": "Wedding", "folder": folders[1][0]},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text


def test_the_new_event_form_refuses_a_folder_outside_the_roots(roots: tuple[Web, Photographer, Path]) -> None:
    web, _, _ = roots
    csrf = web.login("alice@example.com")

    refused = web.client.post("/events", data={"csrf_token": csrf, "name": "Leak", "folder": "/etc"})

    assert refused.status_code == 422
    assert "This folder cannot be used: choose a folder inside the server&#39;s photo folders" in refused.text


def test_the_cli_may_use_a_folder_outside_the_roots_but_not_the_data_dir(
    tmp_path: Path, write_photo: WritePhoto
) -> None:
    data_dir = tmp_path / "data"
    outside = write_photo(tmp_path / "anywhere" / "a.jpg", RED).parent

    created = run_cli("events", "create", "Anywhere", "--folder", outside, data_dir=data_dir)
    refused = [
        subprocess.run(
            [
                str(EVENTFACE),
                "events",
                "create",
                "Keys",
                "--folder",
                str(folder),
                "--data-dir",
                str(data_dir),
            ],
            capture_output=True,
            text=True,
            env=eventface_env(),
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
        for folder in (data_dir, data_dir / "photos" / "..", tmp_path)
    ]

    assert created.strip().splitlines()[-1] == "1"
    assert [r.returncode for r in refused] == [1, 1, 1]
    assert all("holds eventface's own data (the data dir)" in r.stderr for r in refused), refused


@pytest.mark.parametrize("name", ["Gala\x1b[2J", "Ga\nla", "Gala\x00night", "Gala\u2028night", "Gala\tnight"])
def test_an_event_name_with_control_characters_is_refused(
    roots: tuple[Web, Photographer, Path], name: str
) -> None:
    web, alice, root = roots

    assert create(web, alice, root / "wedding", name=name) == (
        422,
        {"detail": CONTROL_CHARACTERS, "code": "event_name_control_characters"},
    )


def test_an_event_folder_swapped_for_a_symlink_later_reads_nothing_from_its_target(
    roots: tuple[Web, Photographer, Path], tmp_path: Path, write_photo: WritePhoto
) -> None:
    web, alice, root = roots
    status, body = create(web, alice, root / "wedding")
    assert status == 201
    secret = write_photo(tmp_path / "private" / "a.jpg", RED).parent
    shutil.rmtree(root / "wedding")
    (root / "wedding").symlink_to(secret)  # e.g. by a sync tool writing into the root

    with web.transaction() as uow:
        event = uow.events.get(body["id"])
    with web.runtime.source(event) as source:
        with pytest.raises(SourceUnavailableError, match="now a link"):
            list(source.list_photos())
        with pytest.raises(PhotoGoneError, match="outside the event folder"):
            source.read("a.jpg")
