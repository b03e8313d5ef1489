"""Guests reach only what a search gave them (issue 10): signed, expiring links scoped to an event
and a photo (a ZIP's list, a face); a gallery only when the photographer chooses it; only indexed
photos; download names that cannot smuggle control characters."""

from __future__ import annotations

import base64
import io
import re
import time
import urllib.parse
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eventface.domain.models import Event
from tests.conftest import WritePhoto
from tests.web.conftest import Photographer, Web
from tests.web.test_guest_api import search, selfie

# the wedding: which palette colours ("people") each photo shows; broken.jpg is a text file
WEDDING = {
    "red.jpg": [("red", (40, 40), 60)],
    "pair.jpg": [("red", (20, 30), 50), ("green", (150, 100), 70)],
    "blue.jpg": [("blue", (100, 60), 60)],
    "ceremony/vows.jpg": [("green", (60, 60), 60)],
    "dinner/toast.jpg": [("red", (100, 40), 60)],
}
INDEXED = {"red.jpg", "pair.jpg", "blue.jpg", "vows.jpg", "toast.jpg"}
FOUND_BY_RED = {"red.jpg", "pair.jpg", "toast.jpg"}
TOKEN = r"[A-Za-z0-9_-]+"
DAY_S = 24 * 3600


@dataclass
class Events:
    web: Web
    alice: Photographer
    wedding: Event  # alice's, private (the default)
    party: Event  # bob's, private
    folder: Path
    ids: dict[str, int]  # the wedding's photo ids by base name

    @property
    def slug(self) -> str:
        return self.wedding.slug

    def given(self, colour: str, event: Event | None = None) -> dict[str, Any]:
        """What a search for `colour` hands the guest."""
        response = search(self.web, (event or self.wedding).slug, selfie(colour))
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def given_photos(self, colour: str, event: Event | None = None) -> dict[str, dict[str, Any]]:
        return {m["name"]: m for m in self.given(colour, event)["matches"]}

    def face_ids(self, name: str) -> list[int]:
        with self.web.transaction() as uow:
            return [f.id for f in uow.faces.of_photo(self.ids[name], "fake")]


@pytest.fixture
def events(web: Web, alice: Photographer, bob: Photographer, write_photo: WritePhoto) -> Events:
    folder = web.root / "photos" / "wedding"
    for name, squares in WEDDING.items():
        write_photo(folder / name, squares)
    (folder / "broken.jpg").write_text("not a photo at all, though its name says so\n")
    party_folder = web.root / "photos" / "party"
    write_photo(party_folder / "party-red.jpg", [("red", (60, 60), 60)])
    wedding, party = web.event(alice, folder), web.event(bob, party_folder, "Party")
    web.index(alice, wedding)
    web.index(bob, party)
    photos = web.client.get(f"/api/event/{wedding.id}/photos", headers=alice.auth).json()
    ids = {p["name"].rsplit("/", 1)[-1]: p["id"] for p in photos}
    assert {p["name"]: p["status"] for p in photos}["broken.jpg"] == "failed"
    return Events(web, alice, wedding, party, folder, ids)


def token_in(url: str) -> str:
    found = re.search(rf"/[pfz]/({TOKEN})/", url)
    assert found, url
    return found.group(1)


def guest_urls(photo: dict[str, Any], zip_url: str = "") -> list[str]:
    """A given photo's links, and the ZIP's if there is one."""
    urls = [photo["thumbnail_url"], photo["preview_url"], photo["download_url"], photo["faces_url"]]
    return [*urls, zip_url] if zip_url else urls


def cover_url(page: str) -> str | None:
    """The guest page's cover photo, however the template shows it."""
    found = re.search(r"""(?:--cover: url\('|class="hero-cover" src=")([^'"]+)""", page)
    return found.group(1) if found else None


def fetch(web: Web, url: str) -> Any:
    """GET, or POST for a face search: as the guest page does."""
    return web.client.post(url) if url.endswith("/search") else web.client.get(url)


def test_a_photo_id_no_search_returned_is_404_on_every_route(events: Events) -> None:
    web, slug = events.web, events.slug
    given = events.given_photos("red")
    assert set(given) == FOUND_BY_RED
    blue, (blue_face,) = events.ids["blue.jpg"], events.face_ids("blue.jpg")

    guessed = [
        f"/e/{slug}/photos/{blue}/thumb",  # the sequential-id routes of before
        f"/e/{slug}/photos/{blue}/preview",
        f"/e/{slug}/photos/{blue}/download",
        f"/api/e/{slug}/photos/{blue}/faces",
        f"/e/{slug}/download.zip?ids={blue}",
        f"/api/e/{slug}/faces/{blue_face}/search",
        f"/e/{slug}/p/{blue}/thumb",  # an id where a link's token goes
        f"/e/{slug}/p/{blue}/preview",
        f"/e/{slug}/p/{blue}/download",
        f"/api/e/{slug}/p/{blue}/faces",
        f"/e/{slug}/z/{blue}/download",
        f"/api/e/{slug}/f/{blue_face}/search",
    ]

    for url in guessed:
        response = fetch(web, url)
        assert response.status_code == 404, url  # not 403: nothing tells a guessed id from a missing one
        assert response.json()["code"] == "not_found", url
    red = given["red.jpg"]
    for url in (red["thumbnail_url"], red["preview_url"], red["download_url"], red["faces_url"]):
        assert web.client.get(url).status_code == 200, url


def test_a_link_from_one_event_is_404_on_another(events: Events) -> None:
    web, wedding, party = events.web, events.slug, events.party.slug
    result = events.given("red", events.party)
    (photo,) = result["matches"]
    (face,) = web.client.get(photo["faces_url"]).json()
    links = [*guest_urls(photo, result["download_all_url"]), face["search_url"]]

    for url in links:
        assert f"/{party}/" in url
        assert fetch(web, url.replace(f"/{party}/", f"/{wedding}/")).status_code == 404, url
        assert fetch(web, url).status_code == 200, url


def altered(token: str) -> list[str]:
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    return [flipped, token[:-1], token + "A", token[::-1], token.lower(), f"{token}=="]


def test_an_altered_or_expired_link_is_404_and_says_nothing_more(events: Events) -> None:
    web, capabilities = events.web, events.web.context.capabilities
    result = events.given("red")
    photo = result["matches"][0]
    token = token_in(photo["thumbnail_url"])
    assert web.client.get(photo["thumbnail_url"]).status_code == 200
    refusals = set()

    for other in altered(token):
        response = web.client.get(photo["thumbnail_url"].replace(token, other))
        assert response.status_code == 404, other
        refusals.add(response.text)

    issued = time.time()
    capabilities.clock = lambda: issued + DAY_S - 60  # a day later it still works...
    assert all(fetch(web, url).status_code == 200 for url in guest_urls(photo, result["download_all_url"]))
    capabilities.clock = lambda: issued + DAY_S + capabilities.bucket_s + 1  # ...then never again
    for url in guest_urls(photo, result["download_all_url"]):
        response = fetch(web, url)
        assert response.status_code == 404, url
        refusals.add(response.text)
    assert len(refusals) == 1, refusals  # expired, forged, truncated: the same answer


def test_the_same_photo_keeps_its_link_across_searches_so_browsers_cache_it(events: Events) -> None:
    capabilities = events.web.context.capabilities
    now = time.time()
    capabilities.clock = lambda: now

    by_red, by_green = events.given_photos("red")["pair.jpg"], events.given_photos("green")["pair.jpg"]
    capabilities.clock = lambda: now + 2 * capabilities.bucket_s
    later = events.given_photos("red")["pair.jpg"]

    assert by_red["thumbnail_url"] == by_green["thumbnail_url"]
    assert later["thumbnail_url"] != by_red["thumbnail_url"]  # a new link, and the old one still works
    assert events.web.client.get(by_red["thumbnail_url"]).status_code == 200
    assert "max-age" in events.web.client.get(later["thumbnail_url"]).headers["cache-control"]


def test_the_faces_of_a_photo_not_given_are_404(events: Events) -> None:
    web, slug = events.web, events.slug
    pair = events.given_photos("green")["pair.jpg"]
    faces = web.client.get(pair["faces_url"])
    assert faces.status_code == 200 and len(faces.json()) == 2
    face_token = token_in(faces.json()[0]["search_url"])

    assert web.client.get(f"/api/e/{slug}/p/{events.ids['blue.jpg']}/faces").status_code == 404
    assert web.client.get(f"/api/e/{slug}/p/{face_token}/faces").status_code == 404  # a face's link
    assert web.client.get(f"/e/{slug}/p/{face_token}/download").status_code == 404


def test_more_photos_of_a_person_only_from_a_face_in_a_photo_given(events: Events) -> None:
    web, slug = events.web, events.slug
    vows = events.given_photos("green")["vows.jpg"]
    (face,) = web.client.get(vows["faces_url"]).json()
    (blue_face,) = events.face_ids("blue.jpg")
    (red_face,) = events.face_ids("red.jpg")  # in no photo this guest was given

    for face_id in (blue_face, red_face):
        assert web.client.post(f"/api/e/{slug}/f/{face_id}/search").status_code == 404
        assert web.client.post(f"/api/e/{slug}/faces/{face_id}/search").status_code == 404
    photo_token = token_in(vows["thumbnail_url"])
    assert web.client.post(f"/api/e/{slug}/f/{photo_token}/search").status_code == 404  # a photo's link

    more = web.client.post(face["search_url"])
    assert more.status_code == 200, more.text
    assert {m["name"] for m in more.json()["matches"]} == {"pair.jpg", "vows.jpg"}
    for match in more.json()["matches"]:  # its results are links too
        assert re.fullmatch(rf"/e/{slug}/p/{TOKEN}/thumb", match["thumbnail_url"])
        assert web.client.get(match["thumbnail_url"]).status_code == 200


def with_body(token: str, change: Any) -> str:
    """`token` with its signed part (all but the 16-byte MAC) changed, the MAC kept."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    forged = change(raw[:-16]) + raw[-16:]
    return base64.urlsafe_b64encode(forged).rstrip(b"=").decode()


def test_a_zip_of_a_forged_list_is_refused(events: Events) -> None:
    web, slug = events.web, events.slug
    url = events.given("red")["download_all_url"]
    token = token_in(url)
    blue = events.ids["blue.jpg"]
    other_token = token_in(events.given("blue")["download_all_url"])

    forged = [
        with_body(token, lambda body: body + bytes([blue])),  # one more photo
        with_body(token, lambda body: body[:-1]),  # one fewer
        with_body(token, lambda body: (2**32 - 1).to_bytes(4, "big") + body[4:]),  # never expires
        token[:-22] + other_token[-22:],  # another list's MAC
    ]
    for bad in forged:
        assert web.client.get(url.replace(token, bad)).status_code in {400, 404}, bad
    assert web.client.get(f"/e/{slug}/download.zip?ids={blue},{events.ids['red.jpg']}").status_code == 404

    genuine = web.client.get(url)
    assert genuine.status_code == 200
    assert set(zipfile.ZipFile(io.BytesIO(genuine.content)).namelist()) == FOUND_BY_RED


def test_a_photo_that_is_not_indexed_is_never_served(events: Events) -> None:
    web, wedding, capabilities = events.web, events.wedding, events.web.context.capabilities
    broken = events.ids["broken.jpg"]
    # the failed text file: by its id, and even by a correctly signed link to it
    signed = capabilities.photo(wedding.id, broken)
    for url in (
        f"/e/{wedding.slug}/photos/{broken}/download",
        f"/e/{wedding.slug}/p/{signed}/download",
        f"/e/{wedding.slug}/p/{signed}/thumb",
        f"/api/e/{wedding.slug}/p/{signed}/faces",
        f"/e/{wedding.slug}/z/{capabilities.photos(wedding.id, [broken])}/download",
    ):
        assert web.client.get(url).status_code == 404, url

    # links given while a photo was indexed stop working when it fails (replaced by a text file)...
    result = events.given("red")
    red = next(m for m in result["matches"] if m["name"] == "red.jpg")
    pair = events.given_photos("green")["pair.jpg"]
    assert web.client.get(red["thumbnail_url"]).status_code == 200
    (events.folder / "red.jpg").write_text("now a text file\n")
    web.index(events.alice, wedding)
    # ...or is pending again (changed at the source, not indexed yet)
    with web.transaction() as uow:
        uow.photos.mark_pending(events.ids["pair.jpg"], "pair.jpg", "changed", 1)

    for url in [*guest_urls(red), *guest_urls(pair)]:
        assert web.client.get(url).status_code == 404, url
    zipped = zipfile.ZipFile(io.BytesIO(web.client.get(result["download_all_url"]).content))
    assert zipped.namelist() == ["toast.jpg"]  # the search's only photo still indexed


def choose_on_the_event_page(web: Web, event: Event, owner: Photographer, visibility: str) -> None:
    csrf = web.login(owner.email)
    response = web.client.post(
        f"/events/{event.id}/visibility",
        data={"csrf_token": csrf, "visibility": visibility},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_a_gallery_event_lists_all_its_indexed_photos_by_album(events: Events) -> None:
    web, slug, alice = events.web, events.slug, events.alice

    choose_on_the_event_page(web, events.wedding, alice, "gallery")

    event_page = web.client.get(f"/events/{events.wedding.id}").text
    assert re.search(r'id="visibility-gallery"[^>]*checked', event_page)
    assert not re.search(r'id="visibility-private"[^>]*checked', event_page)
    gallery = web.client.get(f"/api/e/{slug}/gallery")
    assert gallery.status_code == 200, gallery.text
    body = gallery.json()
    assert body["total"] == len(INDEXED)  # broken.jpg failed: not listed
    assert {p["name"] for p in body["photos"]} == INDEXED
    assert body["albums"] == [{"name": "ceremony", "photos": 1}, {"name": "dinner", "photos": 1}]
    for photo in body["photos"]:
        assert web.client.get(photo["thumbnail_url"]).status_code == 200
    ceremony = web.client.get(f"/api/e/{slug}/gallery", params={"album": "ceremony"}).json()
    assert [p["name"] for p in ceremony["photos"]] == ["vows.jpg"]
    assert web.client.get(f"/api/e/{slug}/gallery", params={"album": "nope"}).status_code == 404
    pages = [
        web.client.get(f"/api/e/{slug}/gallery", params={"per_page": 2, "page": n}).json() for n in (1, 2, 3)
    ]
    assert [len(p["photos"]) for p in pages] == [2, 2, 1]
    assert [p["next_page"] for p in pages] == [2, 3, None]

    guest_page = web.client.get(f"/e/{slug}")
    assert guest_page.text.count('class="thumb"') == len(INDEXED)
    assert 'id="albums"' in guest_page.text and "Browse all photos" in guest_page.text
    cover = cover_url(guest_page.text)
    assert cover and re.fullmatch(rf"/e/{slug}/p/{TOKEN}/preview", cover), cover
    assert web.client.get(cover).status_code == 200
    album_page = web.client.get(f"/e/{slug}", params={"album": "dinner"})
    assert album_page.text.count('class="thumb"') == 1 and "toast.jpg" in album_page.text


def test_a_private_event_cannot_be_browsed(events: Events) -> None:
    web, slug = events.web, events.slug
    event = web.client.get(f"/api/event/{events.wedding.id}", headers=events.alice.auth).json()
    assert event["visibility"] == "private"

    assert web.client.get(f"/api/e/{slug}/gallery").status_code == 404
    assert web.client.get(f"/api/e/{slug}/gallery", params={"album": "ceremony"}).status_code == 404
    page = web.client.get(f"/e/{slug}")
    assert page.status_code == 200
    assert 'id="gallery' not in page.text and 'class="thumb"' not in page.text

    patched = web.client.patch(
        f"/api/event/{events.wedding.id}", json={"visibility": "gallery"}, headers=events.alice.auth
    )
    assert patched.status_code == 200 and patched.json()["visibility"] == "gallery"
    browsed = {p["name"]: p for p in web.client.get(f"/api/e/{slug}/gallery").json()["photos"]}["pair.jpg"]
    (browsed_face, _) = web.client.get(browsed["faces_url"]).json()
    found = events.given_photos("red")["red.jpg"]
    assert web.client.get(browsed["thumbnail_url"]).status_code == 200
    private = {"visibility": "private"}
    web.client.patch(f"/api/event/{events.wedding.id}", json=private, headers=events.alice.auth)
    assert web.client.get(f"/api/e/{slug}/gallery").status_code == 404
    for closed in (browsed["thumbnail_url"], browsed["faces_url"], browsed_face["search_url"]):
        assert fetch(web, closed).status_code == 404, closed  # the gallery's links close with it
    assert web.client.get(found["thumbnail_url"]).status_code == 200  # what a search found stays found
    other = web.client.patch(
        f"/api/event/{events.party.id}", json={"visibility": "gallery"}, headers=events.alice.auth
    )
    assert other.status_code == 404  # bob's event


def test_a_private_events_guest_page_has_no_cover_photo(events: Events) -> None:
    page = events.web.client.get(f"/e/{events.slug}")

    assert page.status_code == 200
    assert cover_url(page.text) is None  # its biggest group photo would show strangers' faces
    assert f"/e/{events.slug}/p/" not in page.text and "/photos/" not in page.text


def test_downloads_name_files_by_rfc_6266_without_control_characters(
    web: Web, alice: Photographer, write_photo: WritePhoto
) -> None:
    folder = web.root / "photos" / "tricky"
    raw_names = ["bell\x07 esc\x1b[31m rlo\u202egpj.jpg", "back\\slash.jpg", "naïve café.jpg"]
    for name in raw_names:
        write_photo(folder / name, [("red", (40, 40), 60)])
    event = web.event(alice, folder)
    web.index(alice, event)

    result = search(web, event.slug, selfie("red")).json()

    assert len(result["matches"]) == len(raw_names)
    for match in result["matches"]:
        response = web.client.get(match["download_url"])
        assert response.status_code == 200
        header = response.headers["content-disposition"]
        assert not re.search(r"[\x00-\x1f\x7f\\]", header), header
        parts = re.fullmatch(r"attachment; filename=\"([ -~]+)\"; filename\*=UTF-8''(\S+)", header)
        assert parts, header
        fallback, encoded = parts.groups()
        name = urllib.parse.unquote(encoded)
        assert name == match["name"]
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\\/]", name), name
        assert '"' not in fallback and "%" not in fallback
    assert {m["name"] for m in result["matches"]} == {
        "bell_ esc_[31m rlo_gpj.jpg",
        "slash.jpg",
        "naïve café.jpg",
    }
    archive = zipfile.ZipFile(io.BytesIO(web.client.get(result["download_all_url"]).content))
    assert sorted(archive.namelist()) == sorted(m["name"] for m in result["matches"])


def test_the_photographers_own_photos_need_their_session_or_token(events: Events, bob: Photographer) -> None:
    web, wedding, alice = events.web, events.wedding, events.alice
    photos = web.client.get(f"/api/event/{wedding.id}/photos", headers=alice.auth).json()
    thumb = next(p["thumbnail_url"] for p in photos if p["name"] == "blue.jpg")  # no guest was given it

    assert thumb == f"/api/event/{wedding.id}/photos/{events.ids['blue.jpg']}/thumb"
    assert web.client.get(thumb).status_code == 401
    assert web.client.get(thumb, headers=bob.auth).status_code == 404
    assert web.client.get(thumb, headers=alice.auth).status_code == 200
    web.login(alice.email)
    page = web.client.get(f"/events/{wedding.id}")
    assert f'src="{thumb}"' in page.text  # the grid, through her session
    assert web.client.get(thumb).status_code == 200
    assert f"/e/{wedding.slug}/photos/" not in page.text
