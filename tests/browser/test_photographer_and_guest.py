"""The product in a real browser: a photographer indexes an event, guests find and download their photos.

One server per module: the first test indexes the event through the photographer's pages, the
others reuse that event (or index it themselves when run alone).
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Request, Route, expect

from tests.browser.conftest import DESKTOP, PHONE, EventPhotos, Server, new_page, screenshot
from tests.browser.guest_steps import choose_selfies, find_photos, result_names

pytestmark = pytest.mark.slow  # the real face models on real photos

INDEXING_TIMEOUT_MS = 180_000
SEARCH_TIMEOUT_MS = 60_000
PASSWORD = "correct horse battery staple"
_accounts = itertools.count(1)


def sign_up_create_event_and_index(page: Page, server: Server, photos: EventPhotos) -> str:
    """The photographer's side, through the pages; returns the guest link the event page shows."""
    email = f"photographer{next(_accounts)}@example.com"
    server.emails.append(email)
    page.goto(f"{server.base_url}/signup")
    screenshot(page, "01-signup")
    main = page.locator("main")
    main.locator("#email").fill(email)
    main.locator("#password").fill(PASSWORD)
    main.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{server.base_url}/events")
    expect(page.locator("header .who")).to_have_text(email)
    screenshot(page, "02-dashboard-empty")

    main.get_by_role("link", name="New event").click()
    expect(page).to_have_url(f"{server.base_url}/events/new")
    page.locator("#name").fill("Garden party")
    page.locator("#event_date").fill("2025-06-14")
    page.locator("#folder").select_option(str(photos.folder.resolve()))
    screenshot(page, "03-new-event")
    page.locator("#new-event button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(server.base_url)}/events/\d+$"))
    expect(main.locator("h1")).to_have_text("Garden party")
    # issue 14: a new event is indexed at once, nobody has to press "Start indexing"
    expect(page.locator("#progress")).to_be_visible()
    expect(page.locator("#index-state")).to_have_text(re.compile(r"^(queued|running|done)$"))
    screenshot(page, "04-event-indexing", full_page=True)

    # the page polls the task, then reloads itself with the photo grid when the run is over
    expect(page.locator("#index-state")).to_have_text("done", timeout=INDEXING_TIMEOUT_MS)
    total = len(photos.originals)
    expect(page.locator("#photo-grid li")).to_have_count(total, timeout=INDEXING_TIMEOUT_MS)
    expect(page.locator("#index-state")).to_have_text("done")
    assert page.locator("#index-progress").evaluate("(bar) => bar.value") == 100
    expect(page.locator("#index-counts")).to_contain_text(f"{total}/{total} photos indexed")
    expect(page.locator("#index-counts")).to_contain_text("0 failed photos")
    expect(page.locator("#photos-total")).to_have_text(str(total))
    assert int(page.locator("#faces-total").inner_text()) >= total
    expect(page.locator("#failures")).to_be_hidden()
    screenshot(page, "05-event-done", full_page=True)

    guest_url = page.locator("#guest-url").input_value()
    assert re.fullmatch(rf"{re.escape(server.base_url)}/e/[A-Za-z0-9_-]+", guest_url), guest_url
    expect(page.locator("#open-guest")).to_have_attribute("href", guest_url)

    page.goto(f"{server.base_url}/events")
    expect(page.locator("#events li")).to_have_count(1)
    expect(page.locator("#events .badge")).to_have_text("done")
    screenshot(page, "06-dashboard")
    return guest_url


@pytest.fixture
def guest_url(browser: Browser, server: Server, event_photos: EventPhotos) -> str:
    """The indexed event's guest link: the one the first test made, else made here."""
    if server.guest_url is None:
        context, page = new_page(browser, DESKTOP)
        with context:
            server.guest_url = sign_up_create_event_and_index(page, server, event_photos)
    return server.guest_url


def assert_found_exactly(page: Page, photos: EventPhotos) -> list[str]:
    expect(page.locator("#result-grid li")).to_have_count(len(photos.expected))
    names = result_names(page)
    assert sorted(names) == sorted(photos.expected)
    expect(page.locator("#results-count")).to_have_text(f"{len(photos.expected)} photos found")
    expect(page.locator("#no-results")).to_be_hidden()
    expect(page.locator("#selfie-notes li")).to_have_count(0)
    expect(page.locator("#download-all")).to_be_visible()
    expect(page.locator("#search-panel")).to_be_hidden()  # folded away (issue 14)
    # thumbnails really load
    page.wait_for_function(
        "() => [...document.querySelectorAll('#result-grid img')]"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )
    return names


def grey_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (128, 128, 128)).save(out, format="JPEG", quality=90)
    return out.getvalue()


def test_photographer_indexes_and_guest_finds_and_downloads_on_desktop(
    browser: Browser, server: Server, event_photos: EventPhotos
) -> None:
    context, page = new_page(browser, DESKTOP)
    with context:
        server.guest_url = guest_url = sign_up_create_event_and_index(page, server, event_photos)

        page.goto(guest_url)
        expect(page.locator("#event-name")).to_have_text("Garden party")
        expect(page.locator("#results")).to_be_hidden()
        screenshot(page, "07-guest-desktop", full_page=True)
        find_photos(page, [event_photos.selfie])
        names = assert_found_exactly(page, event_photos)
        screenshot(page, "08-results-desktop", full_page=True)

        # one photo: the original file, byte for byte (the viewer's "Original")
        first = page.locator("#result-grid li").first
        first.locator("button.thumb").click()
        with page.expect_download() as one:
            page.locator("#lightbox-download").click()
        download = one.value
        assert download.failure() is None
        assert download.suggested_filename == names[0]
        assert Path(download.path()).read_bytes() == event_photos.originals[names[0]].read_bytes()
        page.locator("#lightbox-close").click()
        expect(page.locator("#lightbox")).to_be_hidden()

        # all of them, as one ZIP of the originals
        slug = guest_url.rsplit("/", 1)[1]
        expect(page.locator("#download-all")).to_have_attribute(
            "href",
            re.compile(rf"^/e/{re.escape(slug)}/z/[A-Za-z0-9_-]+/download$"),  # a signed list
        )
        with page.expect_download() as everything:
            page.locator("#download-all").click()
        archive = everything.value
        assert archive.failure() is None
        assert archive.suggested_filename.endswith(".zip")
        with zipfile.ZipFile(archive.path()) as zipped:
            assert zipped.testzip() is None
            assert sorted(zipped.namelist()) == sorted(event_photos.expected)
            for member in zipped.namelist():
                assert zipped.read(member) == event_photos.originals[member].read_bytes(), member

        # the lightbox on a wide screen
        first.locator("button.thumb").click()
        expect(page.locator("#lightbox")).to_be_visible()
        expect(page.locator("#lightbox-download")).to_have_attribute("download", names[0])
        page.locator("#faces-toggle").click()
        expect(page.locator("#face-layer button").first).to_be_visible()
        page.wait_for_function("() => document.getElementById('lightbox-image').naturalWidth > 0")
        screenshot(page, "09-lightbox-desktop")
        page.locator("#lightbox-close").click()
        expect(page.locator("#lightbox")).to_be_hidden()


def test_guest_on_a_phone(browser: Browser, guest_url: str, event_photos: EventPhotos) -> None:
    context, page = new_page(browser, PHONE)
    with context:
        searches: list[Request] = []
        page.on("request", lambda r: searches.append(r) if r.url.endswith("/search") else None)
        page.goto(guest_url)
        expect(page.locator("#find-button")).to_be_visible()
        screenshot(page, "10-guest-phone")
        screenshot(page, "11-guest-phone-full", full_page=True)

        # no search without consent: the sheet does not open the picker until the box is ticked
        page.locator("#find-button").click()
        page.locator("#consent-continue").click()
        expect(page.locator("#consent-error")).to_have_text("Please give your consent first.")
        expect(page.locator("#consent")).to_be_focused()
        expect(page.locator("#results")).to_be_hidden()
        assert searches == []
        screenshot(page, "12-guest-phone-no-consent")
        page.locator("#consent-cancel").click()

        find_photos(page, [event_photos.selfie])
        assert len(searches) == 1
        expect(page.locator("#form-error")).to_be_hidden()
        names = assert_found_exactly(page, event_photos)
        screenshot(page, "13-results-phone")
        screenshot(page, "14-results-phone-full", full_page=True)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the results page scrolls sideways by {overflow} px on a phone"

        # the lightbox opens on a tap and closes with Escape
        page.locator("#result-grid li button.thumb").first.tap()
        lightbox = page.locator("#lightbox")
        expect(lightbox).to_be_visible()
        assert lightbox.evaluate("(d) => d.open") is True
        expect(page.locator("#lightbox-download")).to_have_attribute("download", names[0])
        expect(page.locator("#lightbox-prev")).to_be_disabled()
        page.locator("#faces-toggle").tap()
        expect(page.locator("#face-layer button").first).to_be_visible()
        page.wait_for_function("() => document.getElementById('lightbox-image').naturalWidth > 0")
        screenshot(page, "15-lightbox-phone")
        page.keyboard.press("Escape")
        expect(lightbox).to_be_hidden()
        assert lightbox.evaluate("(d) => d.open") is False

        # start over: the results go, the button is back
        page.locator("#start-over").click()
        expect(page.locator("#results")).to_be_hidden()
        expect(page.locator("#find-button")).to_be_visible()


def test_guest_page_in_thai(browser: Browser, guest_url: str) -> None:
    context, page = new_page(browser, PHONE)
    with context:
        page.goto(f"{guest_url}?lang=th")
        expect(page.locator("html")).to_have_attribute("lang", "th")
        expect(page.locator("label[for=consent]")).to_contain_text("ยินยอม")
        expect(page.locator("#consent-text")).to_contain_text("ข้อมูลชีวมิติ")
        expect(page.locator("#find-button")).to_have_text("ค้นหารูปของฉัน")
        expect(page.locator("header .langs a[aria-current=true]")).to_have_text("ไทย")
        screenshot(page, "16-guest-thai-phone", full_page=True)

        page.locator("#find-button").click()
        page.locator("#consent-continue").click()
        expect(page.locator("#consent-error")).to_have_text("กรุณาให้ความยินยอมก่อน")

        # the choice is remembered without the query parameter
        page.goto(guest_url)
        expect(page.locator("html")).to_have_attribute("lang", "th")

    context, page = new_page(browser, DESKTOP)
    with context:
        page.goto(f"{guest_url}?lang=th")
        expect(page.locator("label[for=consent]")).to_contain_text("ยินยอม")
        screenshot(page, "17-guest-thai-desktop", full_page=True)


def test_guest_page_waits_out_a_full_search_queue_and_retries_by_itself(
    browser: Browser, guest_url: str, event_photos: EventPhotos
) -> None:
    """A 503 with Retry-After (the server's queue of searches is full, issue 12): the page says
    so, counts down, and sends the same search again without the guest doing anything."""
    context, page = new_page(browser, PHONE)
    with context:
        turned_away: list[str] = []

        def full_queue_once(route: Route) -> None:
            if turned_away:
                route.continue_()
                return
            turned_away.append(route.request.url)
            route.fulfill(
                status=503,
                headers={"Retry-After": "3"},
                content_type="application/json",
                body='{"detail": "many guests are searching right now", "code": "busy"}',
            )

        page.route("**/api/e/*/search", full_queue_once)
        page.goto(guest_url)
        choose_selfies(page, [event_photos.selfie])

        waiting = page.locator("#search-wait")
        expect(waiting).to_have_text(
            re.compile(r"^Many guests are searching right now: trying again in [1-4] s…$")
        )
        screenshot(page, "18a-guest-waits-for-a-full-queue-phone")
        expect(page.locator("#find-button")).to_be_disabled()
        expect(page.locator("#results")).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
        expect(waiting).to_be_hidden()
        expect(page.locator("#form-error")).to_be_hidden()
        assert len(turned_away) == 1
        assert_found_exactly(page, event_photos)

    context, page = new_page(browser, PHONE)  # and in Thai
    with context:
        page.route("**/api/e/*/search", lambda route: route.fulfill(status=503, headers={"Retry-After": "5"}))
        page.goto(f"{guest_url}?lang=th")
        choose_selfies(page, [event_photos.selfie])
        expect(page.locator("#search-wait")).to_have_text(
            re.compile(r"^มีแขกหลายคนกำลังค้นหาอยู่ในขณะนี้ ระบบจะลองใหม่ใน [1-6] วินาที…$")
        )


def test_guest_with_a_selfie_without_a_face_on_a_phone(browser: Browser, guest_url: str) -> None:
    """The empty state: why the selfie was refused, no photos, and nothing to download."""
    context, page = new_page(browser, PHONE)
    with context:
        page.goto(guest_url)
        grey = {"name": "grey.jpg", "mimeType": "image/jpeg", "buffer": grey_jpeg()}
        find_photos(page, [grey], status=422)  # no usable selfie: refused, with the reason for each
        expect(page.locator("#form-error")).to_have_text("None of your selfies could be used.")
        expect(page.locator("#no-results")).to_be_visible()
        expect(page.locator("#result-grid li")).to_have_count(0)
        expect(page.locator("#results-count")).to_have_text("0 photos found")
        expect(page.locator("#selfie-notes li")).to_have_count(1)
        expect(page.locator("#selfie-notes li")).to_have_text(
            "Selfie 1: No face found in this selfie: try one facing the camera, in good light."
        )
        screenshot(page, "18-no-face-phone", full_page=True)
        expect(page.locator("#download-all")).to_be_hidden()
        expect(page.locator("#find-button")).to_be_visible()  # to try another selfie at once


def test_gallery_event_browsed_and_a_face_followed_on_a_phone(
    browser: Browser, server: Server, guest_url: str, event_photos: EventPhotos
) -> None:
    """The photographer turns the event into a gallery; a guest browses it without a selfie, and a
    face in a photo finds more photos of that person."""
    context, page = new_page(browser, DESKTOP)
    with context:
        page.goto(f"{server.base_url}/login")
        page.locator("#email").fill(server.emails[0])
        page.locator("#password").fill(PASSWORD)
        page.locator("main button[type=submit]").click()
        expect(page).to_have_url(f"{server.base_url}/events")
        page.locator("#events li a.event-name").first.click()
        expect(page.locator("#visibility-private")).to_be_checked()  # private unless chosen
        page.locator("#visibility-gallery").check()
        page.locator("#save-visibility").click()
        expect(page.locator("#visibility-gallery")).to_be_checked()

    context, page = new_page(browser, PHONE)
    with context:
        page.goto(guest_url)
        grid = page.locator("#gallery-grid li")
        expect(grid).to_have_count(len(event_photos.originals))
        expect(page.locator("#albums a")).to_have_count(3)  # all, groups, people
        page.wait_for_function(
            "() => [...document.querySelectorAll('#gallery-grid img')]"
            ".every((img) => img.complete && img.naturalWidth > 0)"
        )
        screenshot(page, "19-gallery-phone", full_page=True)

        grid.first.locator("button.thumb").tap()
        expect(page.locator("#lightbox")).to_be_visible()
        page.wait_for_function("() => document.getElementById('lightbox-image').naturalWidth > 0")
        page.locator("#faces-toggle").tap()
        face = page.locator("#face-layer button").first
        expect(face).to_be_visible()
        with page.expect_response(lambda r: r.url.endswith("/search")) as answer:
            face.tap()
        assert answer.value.status == 200, answer.value.text()
        expect(page.locator("#results")).to_be_visible()
        expect(page.locator("#results-title")).to_have_text("Photos of the person you chose")
        assert page.locator("#result-grid li").count() >= 1
        page.wait_for_function(
            "() => [...document.querySelectorAll('#result-grid img')]"
            ".every((img) => img.complete && img.naturalWidth > 0)"
        )
        screenshot(page, "20-gallery-more-of-a-person-phone", full_page=True)
