"""The photographer's side of issue 14 through the web app: hidden photos, guests' removal
requests, the brand, the cover, the printable QR card, the event page's live numbers, the first
event and the set-up texts only admins see."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from eventface.domain.models import SyncRun, SyncTrigger
from eventface.web.pages import QuietSyncs, fold_quiet_runs
from eventface.web.shared_limits import REMOVAL_REQUESTS_PER_HOUR
from tests.conftest import WritePhoto
from tests.security import test_guest_capabilities as capabilities_tests
from tests.security.test_guest_capabilities import (
    INDEXED,
    TOKEN,
    Events,
    choose_on_the_event_page,
    cover_url,
    fetch,
    guest_urls,
)
from tests.web.conftest import PASSWORD, WEDDING, MakeWeb, Photographer, Web

# the wedding of the guest-capability tests: indexed, one failed file, albums, bob's party beside it
events = capabilities_tests.events


def hide(events: Events, name: str, hidden: bool = True) -> None:
    response = events.web.client.patch(
        f"/api/event/{events.wedding.id}/photos/{events.ids[name]}",
        json={"hidden": hidden},
        headers=events.alice.auth,
    )
    assert response.status_code == 200, response.text


# --- hidden photos -------------------------------------------------------------------------------


def test_a_hidden_photo_never_reaches_guests_and_comes_back_when_shown(events: Events) -> None:
    web, slug = events.web, events.slug
    before = events.given("red")
    red = {m["name"]: m for m in before["matches"]}["red.jpg"]
    choose_on_the_event_page(web, events.wedding, events.alice, "gallery")
    browsed = {p["name"]: p for p in web.client.get(f"/api/e/{slug}/gallery").json()["photos"]}["red.jpg"]
    (face,) = web.client.get(red["faces_url"]).json()
    assert web.client.post(face["search_url"]).status_code == 200

    hide(events, "red.jpg")

    assert web.client.post(face["search_url"]).status_code == 404  # "more photos of this person" from it

    assert "red.jpg" not in {m["name"] for m in events.given("red")["matches"]}  # search
    for url in [*guest_urls(red), *guest_urls(browsed)]:  # links handed out before: dead at once
        assert fetch(web, url).status_code == 404, url
    zipped = web.client.get(before["download_all_url"])
    assert zipped.status_code == 200 and b"red.jpg" not in zipped.content  # the ZIP leaves it out
    gallery = web.client.get(f"/api/e/{slug}/gallery").json()
    assert "red.jpg" not in {p["name"] for p in gallery["photos"]} and gallery["total"] == len(INDEXED) - 1
    listed = web.client.get(f"/api/event/{events.wedding.id}/photos", headers=events.alice.auth).json()
    assert {p["name"]: p["hidden"] for p in listed}["red.jpg"] is True  # the photographer still has it
    thumb = web.client.get(
        f"/api/event/{events.wedding.id}/photos/{events.ids['red.jpg']}/thumb", headers=events.alice.auth
    )
    assert thumb.status_code == 200

    hide(events, "red.jpg", hidden=False)
    assert "red.jpg" in {m["name"] for m in events.given("red")["matches"]}
    assert web.client.get(red["thumbnail_url"]).status_code == 200


def test_hiding_needs_the_owner_and_a_boolean(events: Events, bob: Photographer) -> None:
    url = f"/api/event/{events.wedding.id}/photos/{events.ids['red.jpg']}"
    assert events.web.client.patch(url, json={"hidden": True}, headers=bob.auth).status_code == 404
    assert events.web.client.patch(url, json={"hidden": 1}, headers=events.alice.auth).status_code == 422
    other = f"/api/event/{events.party.id}/photos/{events.ids['red.jpg']}"
    assert events.web.client.patch(other, json={"hidden": True}, headers=bob.auth).status_code == 404


def test_the_event_page_hides_a_photo_with_one_click(events: Events) -> None:
    web = events.web
    csrf = web.login(events.alice.email)
    photo_id = events.ids["blue.jpg"]
    page = web.client.get(f"/events/{events.wedding.id}").text
    assert f'action="/events/{events.wedding.id}/photos/{photo_id}/hide?page=1"' in page

    response = web.client.post(
        f"/events/{events.wedding.id}/photos/{photo_id}/hide?page=1",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/events/{events.wedding.id}#photo-{photo_id}"
    page = web.client.get(f"/events/{events.wedding.id}").text
    assert re.search(rf'<li class="photo status-indexed hidden-photo" id="photo-{photo_id}"', page)
    assert events.given("blue")["matches"] == []
    refused = web.client.post(
        f"/events/{events.wedding.id}/photos/{photo_id}/show", data={"csrf_token": "forged"}
    )
    assert refused.status_code == 403


# --- removal requests ----------------------------------------------------------------------------


def ask_removal(web: Web, photo: dict[str, Any], reason: str | None = None) -> Any:
    url = photo["faces_url"].replace("/faces", "/removal-request")
    return web.client.post(url, data={"reason": reason} if reason is not None else {})


def test_a_guest_asks_and_the_photographer_hides_the_photo_with_one_click(events: Events) -> None:
    web = events.web
    red = events.given_photos("red")["red.jpg"]

    answer = ask_removal(web, red, "I am in this photo and would like it removed, please.")

    assert answer.status_code == 202, answer.text
    assert answer.json()["message"]
    csrf = web.login(events.alice.email)
    dashboard = web.client.get("/events").text
    assert f'href="/events/{events.wedding.id}#removal-requests">1 removal request</a>' in dashboard
    page = web.client.get(f"/events/{events.wedding.id}").text
    assert 'id="removal-requests"' in page
    assert "I am in this photo and would like it removed, please." in page
    found = re.search(r'action="(/events/\d+/removal-requests/(\d+)/hide)"', page)
    assert found, "no one-click hide on the event page"
    clicked = web.client.post(found.group(1), data={"csrf_token": csrf}, follow_redirects=False)
    assert clicked.status_code == 303
    assert web.client.get(red["thumbnail_url"]).status_code == 404  # hidden from guests at once
    assert 'id="removal-requests"' not in web.client.get(f"/events/{events.wedding.id}").text
    again = web.client.post(found.group(1), data={"csrf_token": csrf})
    assert again.status_code == 404  # answered already


def test_the_photographer_may_dismiss_a_request(events: Events) -> None:
    web = events.web
    blue = events.given_photos("blue")["blue.jpg"]
    assert ask_removal(web, blue).status_code == 202  # no reason: fine
    csrf = web.login(events.alice.email)
    page = web.client.get(f"/events/{events.wedding.id}").text
    assert "No reason given." in page
    found = re.search(r'action="(/events/\d+/removal-requests/\d+/dismiss)"', page)
    assert found

    web.client.post(found.group(1), data={"csrf_token": csrf})

    assert 'id="removal-requests"' not in web.client.get(f"/events/{events.wedding.id}").text
    assert web.client.get(blue["thumbnail_url"]).status_code == 200  # still shown


def test_a_removal_request_needs_a_photo_the_guest_was_given(events: Events) -> None:
    web, slug = events.web, events.slug
    red = events.given_photos("red")["red.jpg"]
    forged = f"/api/e/{slug}/p/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/removal-request"
    assert web.client.post(forged, data={"reason": "x"}).status_code == 404
    other_event = red["faces_url"].replace(slug, events.party.slug).replace("/faces", "/removal-request")
    assert web.client.post(other_event).status_code == 404
    assert ask_removal(web, red, "x" * 501).status_code == 422
    assert ask_removal(web, red, "ลบรูปนี้ด้วยค่ะ " * 30).status_code == 202  # Thai, under 500 characters
    with web.transaction() as uow:
        assert uow.removal_requests.open_count(events.wedding.id) == 1


def test_removal_requests_are_rate_limited_per_client(events: Events) -> None:
    web = events.web
    red = events.given_photos("red")["red.jpg"]
    answers = [ask_removal(web, red).status_code for _ in range(REMOVAL_REQUESTS_PER_HOUR + 1)]
    assert answers == [202] * REMOVAL_REQUESTS_PER_HOUR + [429]
    with web.transaction() as uow:
        assert uow.removal_requests.open_count(events.wedding.id) == REMOVAL_REQUESTS_PER_HOUR


# --- cover ---------------------------------------------------------------------------------------


def test_the_default_cover_is_the_first_photo_and_the_photographer_may_choose_another(events: Events) -> None:
    web, slug = events.web, events.slug
    choose_on_the_event_page(web, events.wedding, events.alice, "gallery")

    def cover_photo_id() -> int:
        url = cover_url(web.client.get(f"/e/{slug}").text)
        assert url and re.fullmatch(rf"/e/{slug}/p/{TOKEN}/preview", url), url
        token = url.split("/")[4]
        return web.context.capabilities.open_photo(events.wedding.id, token).id

    # not pair.jpg, the most crowded: the first in name order
    assert cover_photo_id() == events.ids["blue.jpg"]
    csrf = web.login(events.alice.email)
    chosen = web.client.post(
        f"/events/{events.wedding.id}/cover",
        data={"csrf_token": csrf, "photo_id": str(events.ids["toast.jpg"])},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    assert cover_photo_id() == events.ids["toast.jpg"]
    hide(events, "toast.jpg")  # a hidden photo is never the cover
    assert cover_photo_id() == events.ids["blue.jpg"]
    refused = web.client.post(
        f"/events/{events.wedding.id}/cover",
        data={"csrf_token": csrf, "photo_id": str(events.ids["toast.jpg"])},
    )
    assert refused.status_code == 422


def test_a_private_event_shows_only_a_cover_the_photographer_chose(events: Events) -> None:
    web, slug = events.web, events.slug
    assert cover_url(web.client.get(f"/e/{slug}").text) is None
    csrf = web.login(events.alice.email)
    web.client.post(
        f"/events/{events.wedding.id}/cover",
        data={"csrf_token": csrf, "photo_id": str(events.ids["blue.jpg"])},
    )
    page = web.client.get(f"/e/{slug}").text
    cover = cover_url(page)
    assert cover and cover.startswith(f"/e/{slug}/cover.jpg")  # one image: no signed link, no faces
    assert f"/e/{slug}/p/" not in page
    image = web.client.get(cover)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    hide(events, "blue.jpg")
    assert cover_url(web.client.get(f"/e/{slug}").text) is None
    assert web.client.get(cover).status_code == 404


# --- brand ---------------------------------------------------------------------------------------


def png_logo(width: int = 1200, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def save_brand(web: Web, csrf: str, logo: bytes | None = None, **fields: str) -> Any:
    data = {"csrf_token": csrf, "name": "", "line": "", "instagram": "", "website": "", **fields}
    files = {"logo": ("logo.png", logo, "image/png")} if logo is not None else None
    return web.client.post("/brand", data=data, files=files, follow_redirects=False)


def test_the_brand_is_shown_on_the_guest_page_with_safe_links_and_a_re_encoded_logo(events: Events) -> None:
    web = events.web
    csrf = web.login(events.alice.email)

    saved = save_brand(
        web,
        csrf,
        png_logo(),
        name="Studio Nok\nPhotography",
        line="@studionok",
        instagram="@studio.nok",
        website="https://studionok.example.com/weddings",
    )

    assert saved.status_code == 303, saved.text
    page = web.client.get(f"/e/{events.slug}").text
    assert 'id="brand"' in page and "Studio Nok Photography" in page
    links = dict(
        re.findall(
            r'<a class="brand-link (\w+)" href="([^"]+)" target="_blank" rel="noopener noreferrer"', page
        )
    )
    assert links == {
        "line": "https://line.me/R/ti/p/@studionok",
        "instagram": "https://www.instagram.com/studio.nok",
        "website": "https://studionok.example.com/weddings",
    }
    logo = re.search(r'id="brand-logo"[^>]*src="([^"]+)"', page) or re.search(
        r'src="([^"]+)"[^>]*id="brand-logo"', page
    )
    assert logo and logo.group(1).startswith(f"/e/{events.slug}/logo.png?v=")
    served = web.client.get(logo.group(1))
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.format == "PNG" and max(image.size) == 512  # shrunk, our own encoding
    assert web.client.get(f"/e/{events.party.slug}/logo.png").status_code == 404  # bob has none


@pytest.mark.parametrize(
    "field,value",
    [
        ("website", "javascript:alert(1)"),
        ("website", "data:text/html,hi"),
        ("instagram", "ftp://example.com/x"),
        ("line", "https://"),
        ("website", "https://user:pass@example.com/"),
        ("website", "https://example.com/" + "a" * 500),
    ],
)
def test_a_brand_link_must_be_http_or_https(web: Web, alice: Photographer, field: str, value: str) -> None:
    csrf = web.login(alice.email)
    refused = save_brand(web, csrf, **{field: value})
    assert refused.status_code == 422
    assert "https://" in refused.text and 'id="form-error"' in refused.text
    assert 'class="brand-link' not in refused.text  # what was typed is never rendered as a link
    with web.transaction() as uow:
        assert uow.brands.get(alice.id) is None


def test_a_logo_that_is_not_an_image_or_too_big_is_refused(web: Web, alice: Photographer) -> None:
    csrf = web.login(alice.email)
    assert save_brand(web, csrf, b"<svg onload=alert(1)></svg>", name="Nok").status_code == 422
    assert save_brand(web, csrf, b"\x89PNG\r\n\x1a\n" + b"\0" * 100).status_code == 422
    assert save_brand(web, csrf, b"\0" * (3 * 1024 * 1024)).status_code == 413
    with web.transaction() as uow:
        assert uow.brands.logo(alice.id) is None
        assert uow.brands.get(alice.id) is None  # nor the name sent with a refused logo


def test_the_brand_goes_with_the_account(web: Web, alice: Photographer) -> None:
    csrf = web.login(alice.email)
    assert save_brand(web, csrf, png_logo(64, 64), name="Nok").status_code == 303
    with web.transaction() as uow:
        assert uow.brands.logo(alice.id) is not None
        uow.session.execute(
            __import__("sqlalchemy").text("DELETE FROM users WHERE id = :id"), {"id": alice.id}
        )
    with web.transaction() as uow:
        assert uow.brands.get(alice.id) is None


# --- QR card -------------------------------------------------------------------------------------


def test_the_qr_card_is_an_a6_pdf_and_a_300_dpi_png(events: Events) -> None:
    web = events.web
    web.login(events.alice.email)
    page = web.client.get(f"/events/{events.wedding.id}").text
    assert f'href="/events/{events.wedding.id}/card.pdf?download=1"' in page

    pdf = web.client.get(f"/events/{events.wedding.id}/card.pdf?download=1")
    png = web.client.get(f"/events/{events.wedding.id}/card.png")

    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", pdf.content)
    assert box, pdf.content[:400]
    width_mm, height_mm = (float(v) / 72 * 25.4 for v in box.groups())
    assert (round(width_mm), round(height_mm)) == (105, 148)  # A6
    with Image.open(io.BytesIO(png.content)) as image:
        assert image.size == (1240, 1748) and round(image.info["dpi"][0]) == 300
    sheet = web.client.get(f"/events/{events.wedding.id}/card.pdf?sheet=a4")
    a4 = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", sheet.content)
    assert a4 and [round(float(v) / 72 * 25.4) for v in a4.groups()] == [210, 297]
    assert web.client.get(f"/events/{events.wedding.id}/card.svg").status_code == 404
    assert web.client.get(f"/events/{events.party.id}/card.pdf").status_code == 404  # bob's


# --- the event page: first event, live numbers, placeholders --------------------------------------


def test_an_event_made_on_the_form_starts_indexing(
    web: Web, alice: Photographer, write_photo: WritePhoto
) -> None:
    folder = web.root / "photos" / "gala"
    for name, squares in WEDDING.items():
        write_photo(folder / name, squares)
    csrf = web.login(alice.email)

    made = web.client.post(
        "/events", data={"csrf_token": csrf, "name": "Gala", "folder": str(folder)}, follow_redirects=False
    )

    assert made.status_code == 303, made.text
    event_id = int(made.headers["location"].rsplit("/", 1)[1])
    progress = web.client.get(f"/api/event/{event_id}/progress", headers=alice.auth).json()
    assert progress["task"] is not None and progress["task"]["status"] == "done"  # immediate queue here
    assert (progress["photos"], progress["faces"], progress["pending"]) == (3, 4, 0)


def test_a_never_indexed_event_has_progress_without_a_404(
    web: Web, alice: Photographer, wedding_folder: Any
) -> None:
    event = web.event(alice, wedding_folder)
    progress = web.client.get(f"/api/event/{event.id}/progress", headers=alice.auth)
    assert progress.status_code == 200
    assert progress.json() == {"photos": 0, "faces": 0, "pending": 0, "failed": 0, "task": None}
    web.login(alice.email)
    page = web.client.get(f"/events/{event.id}").text
    assert re.search(r'<p class="muted" id="never-indexed" >', page)


def test_a_failed_or_pending_photo_is_a_placeholder_not_an_image(events: Events) -> None:
    events.web.login(events.alice.email)
    page = events.web.client.get(f"/events/{events.wedding.id}").text
    failed = re.search(r'<li class="photo status-failed" id="photo-(\d+)">(.*?)</li>', page, re.S)
    assert failed and failed.group(1) == str(events.ids["broken.jpg"])
    assert 'class="placeholder"' in failed.group(2) and "<img" not in failed.group(2)


def run(minute: int, added: int = 0, error: str | None = None, finished: bool = True) -> SyncRun:
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC) + timedelta(minutes=minute)
    return SyncRun(minute, 1, SyncTrigger.SCHEDULE, at, at if finished else None, added, 0, 0, False, error)


def test_syncs_that_changed_nothing_fold_into_one_line() -> None:
    runs = [run(9), run(8), run(7), run(6, added=2), run(5), run(4, error="offline"), run(3), run(2), run(1)]

    items = fold_quiet_runs(runs)

    assert items[0] == QuietSyncs(3, runs[2].started_at, runs[0].started_at)
    assert items[1:4] == [runs[3], runs[4], runs[5]]  # one quiet run alone stays a run
    assert items[4] == QuietSyncs(3, runs[8].started_at, runs[6].started_at)
    assert fold_quiet_runs([run(1, finished=False), run(0)]) == [run(1, finished=False), run(0)]


# --- texts for admins only -----------------------------------------------------------------------


def test_server_set_up_texts_are_shown_to_admins_only(make_web: MakeWeb) -> None:
    web = make_web(public_base_url="http://127.0.0.1:8000")
    admin, photographer = web.photographer("admin@example.com"), web.photographer("ana@example.com")
    (web.root / "photos").mkdir()
    event = web.event(photographer, web.root / "photos")

    web.login(photographer.email)
    for path in ("/events", "/events/new", f"/events/{event.id}"):
        page = web.client.get(path).text
        assert "GOOGLE_CLIENT_ID" not in page and "PUBLIC_BASE_URL" not in page, path
    assert "ask the server&#39;s admin" in web.client.get("/events").text
    web.client.post("/logout", data={"csrf_token": web.csrf_token()})
    web.login(admin.email, PASSWORD)
    assert "GOOGLE_CLIENT_ID" in web.client.get("/events").text
    admin_event = web.event(admin, web.root / "photos", "Admin's")
    assert "PUBLIC_BASE_URL" in web.client.get(f"/events/{admin_event.id}").text


def test_the_event_page_folds_syncs_that_changed_nothing(
    web: Web, alice: Photographer, wedding_folder: Any
) -> None:
    event = web.event(alice, wedding_folder)
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    with web.transaction() as uow:
        for minute, added in [(0, 3), (1, 0), (2, 0), (3, 0), (4, 1), (5, 0)]:
            run_id = uow.sync_runs.start(event.id, SyncTrigger.SCHEDULE, start + timedelta(minutes=minute))
            uow.sync_runs.finish(run_id, start + timedelta(minutes=minute, seconds=2), added=added)
    web.login(alice.email)

    page = web.client.get(f"/events/{event.id}").text

    runs = re.findall(r'<li class="sync-run([^"]*)">', page)
    assert runs == ["", "", " quiet-runs", ""]  # newest first: a lone quiet run, +1, three quiet, +3
    assert "3 syncs with no changes" in page and "10:01 UTC" in page and "10:03 UTC" in page
    assert page.count("no changes") == 2  # the lone quiet run says so too, without +0 ~0 −0
