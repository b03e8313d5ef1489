"""The guest side: selfie search, event-scoped photo files and ZIPs, "more photos of this person", privacy."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from eventface.domain.models import Event
from eventface.errors import SourceUnavailableError
from eventface.sources.base import SourcePhoto
from tests.conftest import WritePhoto
from tests.fakes.photos import PALETTE, encode
from tests.web.conftest import WEDDING, MakeWeb, Photographer, Web

SELFIE_NAME = "guest-selfie-7f3a9c.jpg"


def selfie(*colours: str, size: int = 200, seed: int = 0) -> bytes:
    """A noisy grey JPEG (its bytes unlike any other file's) with one upright block per colour.

    The first block is the largest; the noise stays far from every palette colour.
    """
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(108, 149, (size, size, 3), dtype=np.uint8))
    draw = ImageDraw.Draw(image)
    for i, colour in enumerate(colours):
        side = size // 2 - 30 * i
        left = 10 + 95 * i
        draw.rectangle((left, 10, left + side // 2, 10 + side), fill=PALETTE[colour])
    return encode(image)


def search(
    web: Web, slug: str, *selfies: bytes, consent: str | None = "true", name: str = SELFIE_NAME
) -> Any:
    files: list[tuple[str, tuple[str | None, bytes | str, str | None]]] = [
        ("selfies", (name, data, "image/jpeg")) for data in selfies
    ]
    if consent is not None:
        files.append(("consent", (None, consent, None)))  # a plain form field, in the same multipart body
    return web.client.post(f"/api/e/{slug}/search", files=files)


@dataclass
class Guests:
    """Alice's indexed wedding, and Bob's indexed party with a red "person" of its own."""

    web: Web
    wedding: Event
    party: Event
    wedding_folder: Path
    party_folder: Path
    ids: dict[str, int]  # the wedding's photo ids by name
    party_ids: dict[str, int]

    def given(self, name: str, event: Event | None = None) -> dict[str, Any]:
        """The photo as a search hands it to a guest (its signed links): found with a selfie."""
        event = event or self.wedding
        response = search(self.web, event.slug, selfie(PERSON_IN[name]))
        assert response.status_code == 200, response.text
        by_name: dict[str, dict[str, Any]] = {m["name"]: m for m in response.json()["matches"]}
        return by_name[name]

    def photo_url(self, name: str, kind: str) -> str:
        """kind: thumb, preview or download."""
        url: str = self.given(name)["thumbnail_url" if kind == "thumb" else f"{kind}_url"]
        return url


# who to look for to be given each photo
PERSON_IN = {"red.jpg": "red", "pair.jpg": "green", "blue.jpg": "blue", "party-red.jpg": "red"}
TOKEN = r"[A-Za-z0-9_-]+"


def photo_ids(web: Web, owner: Photographer, event: Event) -> dict[str, int]:
    photos = web.client.get(f"/api/event/{event.id}/photos", headers=owner.auth).json()
    return {p["name"]: p["id"] for p in photos}


def make_guests(web: Web, root: Path, write_photo: WritePhoto) -> Guests:
    alice, bob = web.photographer("alice@example.com"), web.photographer("bob@example.com")
    wedding_folder, party_folder = root / "photos" / "wedding", root / "photos" / "party"
    for name, squares in WEDDING.items():
        write_photo(wedding_folder / name, squares)
    write_photo(party_folder / "party-red.jpg", [("red", (60, 60), 60)])
    write_photo(party_folder / "party-cyan.jpg", [("cyan", (60, 60), 60)])
    wedding, party = web.event(alice, wedding_folder), web.event(bob, party_folder, "Party")
    web.index(alice, wedding)
    web.index(bob, party)
    return Guests(
        web,
        wedding,
        party,
        wedding_folder,
        party_folder,
        photo_ids(web, alice, wedding),
        photo_ids(web, bob, party),
    )


@pytest.fixture
def guests(web: Web, tmp_path: Path, write_photo: WritePhoto) -> Guests:
    return make_guests(web, tmp_path, write_photo)


def names(response: Any) -> list[str]:
    return [m["name"] for m in response.json()["matches"]]


# --- search ---------------------------------------------------------------------------------------


def test_a_selfie_finds_exactly_that_persons_photos(guests: Guests) -> None:
    slug = guests.wedding.slug

    response = search(guests.web, slug, selfie("red"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(names(response)) == ["pair.jpg", "red.jpg"]  # not blue.jpg, not the party's red photo
    distances = [m["distance"] for m in body["matches"]]
    assert distances == sorted(distances) and all(0 <= d <= 0.1 for d in distances)
    capabilities = guests.web.context.capabilities
    for match in body["matches"]:
        photo_id = guests.ids[match["name"]]
        assert match["photo_id"] == photo_id
        found = re.fullmatch(rf"/e/{slug}/p/({TOKEN})/thumb", match["thumbnail_url"])
        assert found, match["thumbnail_url"]
        token = found.group(1)
        assert capabilities.open_photo(guests.wedding.id, token).id == photo_id  # signed for it
        assert (match["preview_url"], match["download_url"], match["faces_url"]) == (
            f"/e/{slug}/p/{token}/preview",
            f"/e/{slug}/p/{token}/download",
            f"/api/e/{slug}/p/{token}/faces",
        )
    assert body["selfies"] == [{"faces_found": 1, "code": "ok", "message": None}]
    zipped = re.fullmatch(rf"/e/{slug}/z/({TOKEN})/download", body["download_all_url"])
    assert zipped, body["download_all_url"]
    ids = set(capabilities.open_photos(guests.wedding.id, zipped.group(1)))
    assert ids == {guests.ids["red.jpg"], guests.ids["pair.jpg"]}


def test_each_colour_is_its_own_person(guests: Guests) -> None:
    slug = guests.wedding.slug

    assert names(search(guests.web, slug, selfie("green"))) == ["pair.jpg"]
    assert names(search(guests.web, slug, selfie("blue"))) == ["blue.jpg"]
    assert names(search(guests.web, slug, selfie("cyan"))) == []  # only at Bob's party
    assert names(search(guests.web, guests.party.slug, selfie("red"))) == ["party-red.jpg"]


def test_several_selfies_each_report_and_search_together(guests: Guests) -> None:
    response = search(guests.web, guests.wedding.slug, selfie("red"), selfie(seed=1), selfie("red", seed=2))

    assert response.status_code == 200, response.text
    assert sorted(names(response)) == ["pair.jpg", "red.jpg"]
    assert [s["code"] for s in response.json()["selfies"]] == ["ok", "no_face", "ok"]


def test_a_selfie_without_a_face_is_refused_and_says_why(guests: Guests) -> None:
    response = search(guests.web, guests.wedding.slug, selfie())

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "no_usable_selfie"
    (report,) = body["selfies"]
    assert (report["faces_found"], report["code"]) == (0, "no_face")
    assert report["message"]


def test_a_selfie_with_several_faces_uses_the_largest(guests: Guests) -> None:
    response = search(guests.web, guests.wedding.slug, selfie("blue", "green"))

    assert names(response) == ["blue.jpg"]
    (report,) = response.json()["selfies"]
    assert (report["faces_found"], report["code"]) == (2, "many_faces")


def test_an_undecodable_selfie_is_reported_as_unreadable(guests: Guests) -> None:
    response = search(guests.web, guests.wedding.slug, b"\xff\xd8\xff\xe0" + b"\x00garbage" * 50)

    assert response.status_code == 422, response.text
    assert response.json()["selfies"][0]["code"] == "unreadable"


@pytest.mark.parametrize("consent", [None, "", "false", "no"])
def test_a_search_needs_consent(guests: Guests, consent: str | None) -> None:
    response = search(guests.web, guests.wedding.slug, selfie("red"), consent=consent)

    assert response.status_code == 400
    assert "consent" in response.json()["detail"]


@pytest.mark.parametrize("consent", ["true", "on", "1", "yes", "TRUE"])
def test_consent_may_come_from_a_checkbox(guests: Guests, consent: str) -> None:
    assert search(guests.web, guests.wedding.slug, selfie("red"), consent=consent).status_code == 200


def test_a_search_needs_one_to_three_selfies(guests: Guests) -> None:
    slug = guests.wedding.slug

    none = search(guests.web, slug)
    four = search(guests.web, slug, *(selfie("red", seed=i) for i in range(4)))
    not_multipart = guests.web.client.post(f"/api/e/{slug}/search", data={"consent": "true"})

    assert (none.status_code, four.status_code, not_multipart.status_code) == (400, 400, 400)
    assert "1 to 3 selfies" in none.json()["detail"]
    assert "at most 3" in four.json()["detail"]
    assert "multipart" in not_multipart.json()["detail"]


def test_a_selfie_over_the_size_limit_is_413(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    web = make_web(max_selfie_mb=0.01)
    guests = make_guests(web, tmp_path, write_photo)
    small, large = encode(Image.new("RGB", (64, 64), PALETTE["red"])), selfie("red")
    assert len(small) < 0.01 * 2**20 < len(large)

    too_large = search(web, guests.wedding.slug, small, large)

    assert too_large.status_code == 413, too_large.text
    assert "selfie 2" in too_large.json()["detail"] and "0.01 MB" in too_large.json()["detail"]
    assert search(web, guests.wedding.slug, small).status_code == 200


def test_an_upload_far_over_the_limit_is_cut_off(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    web = make_web(max_selfie_mb=0.01)
    guests = make_guests(web, tmp_path, write_photo)

    response = search(web, guests.wedding.slug, b"\xff\xd8\xff" + os.urandom(2 * 2**20))

    assert response.status_code == 413, response.text


@pytest.mark.parametrize(
    "data",
    [b"just some text, not a photo\n", b"GIF89a\x01\x00\x01\x00", b"%PDF-1.7\n"],
    ids=["text", "gif", "pdf"],
)
def test_a_selfie_that_is_not_a_supported_image_is_415(guests: Guests, data: bytes) -> None:
    response = search(guests.web, guests.wedding.slug, data)  # declared as image/jpeg: not trusted

    assert response.status_code == 415, response.text
    assert "selfie 1" in response.json()["detail"]


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_selfies_are_searched(guests: Guests, fmt: str) -> None:
    image = Image.new("RGB", (200, 200), (128, 128, 128))
    ImageDraw.Draw(image).rectangle((50, 50, 120, 120), fill=PALETTE["blue"])

    response = search(
        guests.web,
        guests.wedding.slug,
        encode(image, fmt, lossless=True) if fmt == "WEBP" else encode(image, fmt),
    )

    assert names(response) == ["blue.jpg"]


def test_an_unknown_slug_or_an_event_id_is_404(guests: Guests) -> None:
    web, slug, event_id = guests.web, guests.wedding.slug, str(guests.wedding.id)
    red = guests.given("red.jpg")

    assert search(web, "no-such-event", selfie("red")).status_code == 404
    assert search(web, event_id, selfie("red")).status_code == 404
    assert web.client.get(f"/e/{event_id}").status_code == 404
    for url in (red["thumbnail_url"], red["download_url"], red["faces_url"]):
        assert web.client.get(url).status_code == 200, url
        assert web.client.get(url.replace(f"/{slug}/", f"/{event_id}/")).status_code == 404, url
    assert web.client.get(f"/e/{slug}").status_code == 200  # the guest page itself


def test_searches_are_rate_limited_per_client(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    web = make_web(search_rate_limit=2)
    guests = make_guests(web, tmp_path, write_photo)
    red_face = photo_faces(web, guests.given("red.jpg")["faces_url"])[0]["search_url"]

    second = search(web, guests.wedding.slug, selfie("blue"))  # given("red.jpg") was the first
    third = search(web, guests.wedding.slug, selfie("red"))
    by_face = web.client.post(red_face)

    assert second.status_code == 200
    for limited in (third, by_face):
        assert limited.status_code == 429, limited.text
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert "too many searches" in limited.json()["detail"]


# --- photo files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "folder"), [("thumb", "480"), ("preview", "1600")])
def test_thumbnails_and_previews_are_made_once(guests: Guests, kind: str, folder: str) -> None:
    web, photo_id = guests.web, guests.ids["pair.jpg"]
    url = guests.photo_url("pair.jpg", kind)

    first = web.client.get(url)

    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(first.content)).size == (320, 240)
    (cached,) = (web.settings.data_dir / "thumbnails" / folder / str(guests.wedding.id) / str(photo_id)).glob(
        "*.jpg"
    )
    assert cached.read_bytes() == first.content
    os.utime(cached, ns=(1_000_000_000, 1_000_000_000))
    (guests.wedding_folder / "pair.jpg").unlink()  # the second answer must not need the original

    second = web.client.get(url)

    assert second.status_code == 200
    assert second.content == first.content
    assert cached.stat().st_mtime_ns == 1_000_000_000


def test_a_thumbnail_of_a_large_photo_is_smaller(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    web = make_web()
    alice = web.photographer("alice@example.com")
    folder = tmp_path / "big"
    (folder).mkdir()
    Image.new("RGB", (2000, 1000), (128, 128, 128)).save(folder / "big.jpg")
    event = web.event(alice, folder)
    web.index(alice, event)
    photo_id = photo_ids(web, alice, event)["big.jpg"]
    base = f"/api/event/{event.id}/photos/{photo_id}"  # the photographer's (no face: no guest finds it)

    thumb = web.client.get(f"{base}/thumb", headers=alice.auth)
    preview = web.client.get(f"{base}/preview", headers=alice.auth)

    assert Image.open(io.BytesIO(thumb.content)).size == (480, 240)
    assert Image.open(io.BytesIO(preview.content)).size == (1600, 800)


def test_a_download_is_the_original_file(guests: Guests) -> None:
    response = guests.web.client.get(guests.photo_url("red.jpg", "download"))

    assert response.status_code == 200
    assert response.content == (guests.wedding_folder / "red.jpg").read_bytes()
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"red.jpg\"; filename*=UTF-8''red.jpg"
    )


def test_a_vanished_original_is_404(guests: Guests) -> None:
    url = guests.photo_url("red.jpg", "download")
    (guests.wedding_folder / "red.jpg").unlink()

    assert guests.web.client.get(url).status_code == 404


class UnreachableSource:
    """A source that cannot be read at the moment (an unmounted disk, Drive down): this cannot be
    staged with a local folder, whose read errors all mean the file is gone."""

    def list_photos(self) -> Iterator[SourcePhoto]:
        raise SourceUnavailableError("the disk /mnt/private-nas/wedding is not mounted")

    def read(self, file_id: str) -> bytes:
        raise SourceUnavailableError("the disk /mnt/private-nas/wedding is not mounted")


def test_an_unreadable_source_is_503_and_keeps_its_paths_to_the_log(
    guests: Guests, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = guests.photo_url("red.jpg", "download")
    monkeypatch.setattr(
        guests.web.runtime, "source", lambda event: contextlib.nullcontext(UnreachableSource())
    )

    response = guests.web.client.get(url)

    assert response.status_code == 503
    assert "try again" in response.json()["detail"]
    assert "/mnt/private-nas" not in response.text


@pytest.mark.parametrize("kind", ["thumb", "preview", "download"])
def test_another_events_photo_is_404_through_this_events_link(guests: Guests, kind: str) -> None:
    given = guests.given("party-red.jpg", guests.party)
    foreign: str = given["thumbnail_url" if kind == "thumb" else f"{kind}_url"]

    response = guests.web.client.get(foreign.replace(guests.party.slug, guests.wedding.slug))

    assert response.status_code == 404
    assert guests.web.client.get(foreign).status_code == 200


def zip_members(response: Any) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    return {info.filename: archive.read(info) for info in archive.infolist()}


def test_the_zip_of_a_search_holds_exactly_its_originals(guests: Guests) -> None:
    found = search(guests.web, guests.wedding.slug, selfie("red")).json()

    response = guests.web.client.get(found["download_all_url"])

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="Wedding.zip"' in response.headers["content-disposition"]
    chosen = {m["name"] for m in found["matches"]}
    assert chosen == {"red.jpg", "pair.jpg"}
    assert zip_members(response) == {n: (guests.wedding_folder / n).read_bytes() for n in chosen}


def test_the_zip_leaves_out_other_events_photos(guests: Guests) -> None:
    web, wedding, foreign = guests.web, guests.wedding, guests.party_ids["party-red.jpg"]
    # even a list signed for this event serves only this event's photos
    mixed = web.context.capabilities.photos(wedding.id, [foreign, guests.ids["red.jpg"]])
    only_foreign = web.context.capabilities.photos(wedding.id, [foreign])
    partys_zip = search(web, guests.party.slug, selfie("red")).json()["download_all_url"]

    assert zip_members(web.client.get(f"/e/{wedding.slug}/z/{mixed}/download")) == {
        "red.jpg": (guests.wedding_folder / "red.jpg").read_bytes()
    }
    assert web.client.get(f"/e/{wedding.slug}/z/{only_foreign}/download").status_code == 404
    assert web.client.get(partys_zip.replace(guests.party.slug, wedding.slug)).status_code == 404
    assert web.client.get(partys_zip).status_code == 200


@pytest.mark.parametrize("token", ["x", "red", "1%2C2", "AAAA", "_" * 40])
def test_a_zip_needs_a_signed_list(guests: Guests, token: str) -> None:
    response = guests.web.client.get(f"/e/{guests.wedding.slug}/z/{token}/download")

    assert response.status_code == 404, response.text


# --- more photos of this person -------------------------------------------------------------------


def photo_faces(web: Web, faces_url: str) -> list[dict[str, Any]]:
    response = web.client.get(faces_url)
    assert response.status_code == 200, response.text
    faces: list[dict[str, Any]] = response.json()
    return faces


def test_a_photos_faces_are_boxes_in_fractions_of_the_photo(guests: Guests) -> None:
    faces = photo_faces(guests.web, guests.given("pair.jpg")["faces_url"])

    assert len(faces) == 2
    for face in faces:
        assert all(0 <= face[k] <= 1 for k in ("left", "top", "width", "height"))
        assert face["left"] + face["width"] <= 1 and face["top"] + face["height"] <= 1
    red, green = sorted(faces, key=lambda f: f["left"])
    # pair.jpg is 320 x 240: red at (20, 30) side 50, green at (150, 100) side 70; JPEG blurs a pixel
    slack = 2 / 240
    assert red["left"] == pytest.approx(20 / 320, abs=slack) and red["top"] == pytest.approx(
        30 / 240, abs=slack
    )
    assert red["width"] == pytest.approx(50 / 320, abs=slack)
    assert red["height"] == pytest.approx(50 / 240, abs=slack)
    assert green["left"] == pytest.approx(150 / 320, abs=slack)
    assert green["top"] == pytest.approx(100 / 240, abs=slack)
    assert green["width"] == pytest.approx(70 / 320, abs=slack)
    assert green["height"] == pytest.approx(70 / 240, abs=slack)


def test_more_photos_of_the_person_whose_face_was_picked(guests: Guests) -> None:
    web, slug = guests.web, guests.wedding.slug
    red, green = sorted(photo_faces(web, guests.given("pair.jpg")["faces_url"]), key=lambda f: f["left"])
    assert re.fullmatch(rf"/api/e/{slug}/f/{TOKEN}/search", red["search_url"]), red

    reds = web.client.post(red["search_url"])
    greens = web.client.post(green["search_url"])

    assert reds.status_code == 200, reds.text
    assert sorted(names(reds)) == ["pair.jpg", "red.jpg"]
    assert names(greens) == ["pair.jpg"]
    assert reds.json()["selfies"] == []
    assert reds.json()["matches"][0]["download_url"].startswith(f"/e/{slug}/p/")


def test_another_events_face_or_photo_is_404(guests: Guests) -> None:
    web, wedding, party = guests.web, guests.wedding.slug, guests.party.slug
    party_photo = guests.given("party-red.jpg", guests.party)["faces_url"]
    (party_face,) = photo_faces(web, party_photo)

    assert web.client.post(party_face["search_url"].replace(party, wedding)).status_code == 404
    assert web.client.post(f"/api/e/{wedding}/f/999999/search").status_code == 404
    assert web.client.get(party_photo.replace(party, wedding)).status_code == 404
    assert web.client.post(party_face["search_url"]).status_code == 200


# --- privacy ----------------------------------------------------------------------------------------


def files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_a_selfie_leaves_no_trace_on_disk_or_in_the_logs(
    guests: Guests, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # over 1 MiB: a default multipart parser would have spooled it to a temporary file
    data = selfie("red", size=1600, seed=42)
    assert len(data) > 2**20
    slices = [data[at : at + 64] for at in (len(data) // 3, len(data) // 2, len(data) - 200)]
    temporary_files: list[str] = []
    for name in ("TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        real = getattr(tempfile, name)
        monkeypatch.setattr(
            tempfile,
            name,
            lambda *a, _real=real, _name=name, **k: temporary_files.append(_name) or _real(*a, **k),
        )

    with caplog.at_level(logging.DEBUG):
        response = search(guests.web, guests.wedding.slug, data, name=SELFIE_NAME)

    assert response.status_code == 200, response.text
    assert sorted(names(response)) == ["pair.jpg", "red.jpg"]
    assert temporary_files == [], "the selfie went through a temporary file"
    data_dir = guests.web.settings.data_dir
    for chunk in slices:
        assert files_containing(data_dir, chunk) == []
    assert files_containing(data_dir, SELFIE_NAME.encode()) == []
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {getattr(r, 'fields', '')!r} {r.exc_text or ''}" for r in caplog.records
    )
    assert "/search" in logged  # the request itself is logged...
    assert SELFIE_NAME not in logged  # ...but not what was uploaded
    for chunk in slices:
        assert chunk[:16].hex() not in logged
        assert repr(chunk[:16])[2:-1] not in logged
