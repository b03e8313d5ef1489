"""The guest page as a photo product (issue 14): the web-size "Save", the ZIP of what a guest kept,
the link's card (Open Graph), the web app manifest and the page's shape."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import WritePhoto
from tests.fakes.photos import picture
from tests.web.conftest import MakeWeb, Web
from tests.web.test_guest_api import TOKEN, Guests, make_guests, search, selfie


@pytest.fixture
def guests(web: Web, tmp_path: Path, write_photo: WritePhoto) -> Guests:
    return make_guests(web, tmp_path, write_photo)


def token_of(url: str) -> str:
    found = re.search(rf"/p/({TOKEN})/", url)
    assert found, url
    return found.group(1)


def meta(page: str, prop: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', page)
    return found.group(1) if found else None


# --- "Save": the web-size copy ------------------------------------------------------------------------


def test_save_gives_a_web_size_jpeg_named_after_the_photo(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    web = make_web()
    guests = make_guests(web, tmp_path, write_photo)
    big = guests.wedding_folder / "big photo.PNG"
    # a 3000 x 1500 photo with one red face, as a PNG: the copy is a JPEG all the same
    picture((3000, 1500), [("red", (300, 300), 400)]).save(big, "PNG")
    url = f"/api/event/{guests.wedding.id}/index"
    owner_auth = {"Authorization": f"Bearer {_owner_token(web)}"}
    assert web.client.post(url, headers=owner_auth).status_code == 202
    found = {m["name"]: m for m in search(web, guests.wedding.slug, selfie("red")).json()["matches"]}
    photo = found["big photo.PNG"]
    assert photo["web_url"] == photo["thumbnail_url"].replace("/thumb", "/web")

    first = web.client.get(photo["web_url"])

    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/jpeg"
    assert first.headers["content-disposition"].startswith("attachment;")
    assert 'filename="big photo.jpg"' in first.headers["content-disposition"]
    with Image.open(io.BytesIO(first.content)) as copy:
        assert copy.format == "JPEG" and copy.size == (2048, 1024)
        assert not copy.getexif()  # re-encoded pixels: nothing of the original's metadata
    (cached,) = (web.settings.data_dir / "thumbnails" / "2048" / str(guests.wedding.id)).glob("*/*.jpg")
    big.unlink()  # made once: the second answer needs no original
    second = web.client.get(photo["web_url"])
    assert second.status_code == 200 and second.content == first.content == cached.read_bytes()


def _owner_token(web: Web) -> str:
    from eventface.services import accounts  # noqa: PLC0415 - only this test needs a second token

    with web.transaction() as uow:
        return accounts.create_api_token(uow, "alice@example.com")


def test_a_small_photo_is_saved_at_its_own_size(guests: Guests) -> None:
    copy = guests.web.client.get(guests.given("pair.jpg")["web_url"])

    assert copy.status_code == 200
    assert Image.open(io.BytesIO(copy.content)).size == (320, 240)  # never upscaled


def test_save_needs_a_signed_link_of_this_event(guests: Guests) -> None:
    web, slug = guests.web, guests.wedding.slug
    token = token_of(guests.given("red.jpg")["web_url"])
    party = guests.given("party-red.jpg", guests.party)

    assert web.client.get(f"/e/{slug}/p/{token[:-2]}xx/web").status_code == 404  # altered
    assert (
        web.client.get(f"/e/{slug}/p/{token_of(party['web_url'])}/web").status_code == 404
    )  # another event's
    assert web.client.get(f"/e/{slug}/photos/{guests.ids['red.jpg']}/web").status_code == 404  # an id


def test_deleting_the_event_deletes_its_web_copies(guests: Guests) -> None:
    web = guests.web
    assert web.client.get(guests.given("red.jpg")["web_url"]).status_code == 200
    copies = web.settings.data_dir / "thumbnails" / "2048" / str(guests.wedding.id)
    assert list(copies.glob("*/*.jpg"))

    response = web.client.delete(
        f"/api/event/{guests.wedding.id}", headers={"Authorization": f"Bearer {_owner_token(web)}"}
    )

    assert response.status_code in {200, 204}, response.text
    assert not copies.exists()


# --- the ZIP of what the guest kept --------------------------------------------------------------------


def test_a_zip_link_for_the_photos_a_guest_kept_across_searches(guests: Guests) -> None:
    web, slug, ids = guests.web, guests.wedding.slug, guests.ids
    red = search(web, slug, selfie("red")).json()["matches"]
    blue = search(web, slug, selfie("blue")).json()["matches"]
    kept = [m for m in red if m["name"] != "pair.jpg"] + blue  # "not me" on pair.jpg

    answer = web.client.post(
        f"/api/e/{slug}/zip", json={"photos": [token_of(m["thumbnail_url"]) for m in kept]}
    )

    assert answer.status_code == 200, answer.text
    url = answer.json()["download_all_url"]
    zipped = re.fullmatch(rf"/e/{slug}/z/({TOKEN})/download", url)
    assert zipped, url
    listed = web.context.capabilities.open_photos(guests.wedding.id, zipped.group(1))
    assert sorted(listed) == sorted([ids["red.jpg"], ids["blue.jpg"]])
    assert web.client.get(url).status_code == 200


@pytest.mark.parametrize(
    "photos",
    [
        ["not-a-token"],  # forged
        [],  # nothing
    ],
)
def test_a_zip_link_needs_photos_a_search_gave(guests: Guests, photos: list[str]) -> None:
    answer = guests.web.client.post(f"/api/e/{guests.wedding.slug}/zip", json={"photos": photos})

    assert answer.status_code in {404, 422}, answer.text


def test_a_zip_link_takes_no_other_events_photo(guests: Guests) -> None:
    party = guests.given("party-red.jpg", guests.party)
    answer = guests.web.client.post(
        f"/api/e/{guests.wedding.slug}/zip", json={"photos": [token_of(party["thumbnail_url"])]}
    )

    assert answer.status_code == 404


def test_a_zip_link_takes_no_gallery_link(guests: Guests) -> None:
    """A gallery's links stop working when the event turns private; a ZIP's list would not."""
    web, slug = guests.web, guests.wedding.slug
    _make_gallery(web, guests.wedding.id)
    browsed = web.client.get(f"/api/e/{slug}/gallery").json()["photos"][0]

    answer = web.client.post(f"/api/e/{slug}/zip", json={"photos": [token_of(browsed["thumbnail_url"])]})

    assert answer.status_code == 404


def _make_gallery(web: Web, event_id: int) -> None:
    response = web.client.patch(
        f"/api/event/{event_id}",
        json={"visibility": "gallery"},
        headers={"Authorization": f"Bearer {_owner_token(web)}"},
    )
    assert response.status_code == 200, response.text


# --- the link's card, "add to home screen", the page's shape ---------------------------------------


def test_the_guest_page_has_a_link_card_with_an_absolute_cover_for_a_gallery(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    web = make_web(public_base_url="https://photos.example.com")
    guests = make_guests(web, tmp_path, write_photo)
    slug = guests.wedding.slug
    private = web.client.get(f"/e/{slug}").text
    assert meta(private, "og:title") == "Wedding"
    assert meta(private, "og:url") == f"https://photos.example.com/e/{slug}"
    assert meta(private, "og:description")
    assert meta(private, "og:image") is None  # a private event shows no one's face to the link

    _make_gallery(web, guests.wedding.id)
    page = web.client.get(f"/e/{slug}").text

    image = meta(page, "og:image")
    assert image and re.fullmatch(rf"https://photos\.example\.com/e/{slug}/p/{TOKEN}/preview", image), image
    web.client.cookies.clear()  # a link crawler has no session
    fetched = web.client.get(image.removeprefix("https://photos.example.com"))
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/jpeg"


def test_the_web_app_manifest_opens_this_event(guests: Guests) -> None:
    web, slug = guests.web, guests.wedding.slug
    page = web.client.get(f"/e/{slug}").text
    assert f'<link rel="manifest" href="/e/{slug}/manifest.webmanifest">' in page

    answer = web.client.get(f"/e/{slug}/manifest.webmanifest")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/manifest+json")
    manifest: dict[str, Any] = answer.json()
    assert manifest["name"] == "Wedding"
    assert manifest["start_url"] == manifest["scope"] == f"/e/{slug}"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"]: icon["src"] for icon in manifest["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for size, src in sizes.items():
        icon = web.client.get(src)
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/png"
        assert "x".join(map(str, Image.open(io.BytesIO(icon.content)).size)) == size
    assert web.client.get("/e/no-such-event/manifest.webmanifest").status_code == 404


def test_the_guest_page_is_camera_first_and_forces_no_camera(guests: Guests) -> None:
    page = guests.web.client.get(f"/e/{guests.wedding.slug}").text

    selfie_input = re.search(r'<input id="selfie-input"[^>]*>', page)
    assert selfie_input and "capture" not in selfie_input.group(0)  # the gallery is a choice too
    assert 'accept="image/*"' in selfie_input.group(0)
    assert page.index('id="find-button"') < page.index('id="consent"')  # the consent is a sheet
    assert 'id="consent-sheet"' in page and 'id="lightbox-report"' in page


# --- thumbnails centred on the guest's face -----------------------------------------------------------


def test_each_match_says_where_the_matched_face_is(guests: Guests) -> None:
    """pair.jpg holds red at (20, 30) and green at (150, 100): each guest's crop centres on their own."""
    web, slug = guests.web, guests.wedding.slug

    red = {m["name"]: m["focus"] for m in search(web, slug, selfie("red")).json()["matches"]}
    green = {m["name"]: m["focus"] for m in search(web, slug, selfie("green")).json()["matches"]}

    def centre(left: int, top: int, side: int) -> list[float]:
        return [(left + side / 2) / 320, (top + side / 2) / 240]

    assert red["red.jpg"] == pytest.approx(centre(40, 40, 60), abs=0.01)
    assert red["pair.jpg"] == pytest.approx(centre(20, 30, 50), abs=0.01)
    assert green["pair.jpg"] == pytest.approx(centre(150, 100, 70), abs=0.01)


def test_a_gallery_crops_each_thumbnail_around_its_largest_face(guests: Guests) -> None:
    """pair.jpg holds red (50 px) and green (70 px): browsing, its crop centres on the larger."""
    web, slug = guests.web, guests.wedding.slug
    _make_gallery(web, guests.wedding.id)

    focus = {p["name"]: p["focus"] for p in web.client.get(f"/api/e/{slug}/gallery").json()["photos"]}
    page = web.client.get(f"/e/{slug}").text

    assert focus["pair.jpg"] == pytest.approx([(150 + 35) / 320, (100 + 35) / 240], abs=0.01)
    assert focus["red.jpg"] == pytest.approx([(40 + 30) / 320, (40 + 30) / 240], abs=0.01)
    # the server-rendered gallery hands the same centre to the page's script
    x, y = focus["pair.jpg"]
    assert f'data-focus="{x},{y}"' in page


def test_a_zip_request_over_its_size_cap_is_413_before_it_is_parsed(guests: Guests) -> None:
    token = token_of(guests.given("red.jpg")["thumbnail_url"])
    huge = '{"photos": ["' + token + '"], "padding": "' + "x" * 300_000 + '"}'

    answer = guests.web.client.post(
        f"/api/e/{guests.wedding.slug}/zip", content=huge, headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == "too_large"
