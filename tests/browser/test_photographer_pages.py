"""The photographer's side of issue 14 in a real browser (Debian chromium, the real server and face
engine): the first event indexes by itself with live totals and no console errors, the brand on
the guest page, the printable QR card, a guest's removal request answered with one click.
Desktop and a 390 px phone, English and Thai; screenshots in tests/artifacts/photographer-*.png.
"""

from __future__ import annotations

import io
import itertools
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, expect

from eventface.web.i18n import THAI
from tests.browser.conftest import (
    ARTIFACTS,
    BROWSER_ENV,
    DESKTOP,
    PHONE,
    STOP_DEADLINE_S,
    new_page,
    screenshot,
)
from tests.conftest import copy_face_files
from tests.harness import server as harness

pytestmark = pytest.mark.slow  # the real face models

INDEXING_TIMEOUT_MS = 120_000
PASSWORD = "correct horse battery staple"
PHOTOS = ["people/obama/2.jpg", "people/biden/1.jpg", "people/obama/3.jpg"]
_accounts = itertools.count(1)


@pytest.fixture(scope="module")
def photo_root(faces_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small events' folders: three real photos (and a text file named .jpg) each."""
    root = tmp_path_factory.mktemp("photographer") / "photos"
    for event in ("first", "second", "third"):
        folder = copy_face_files(faces_dir, root / event, PHOTOS)
        for rel in PHOTOS:  # unique names, in one folder
            shutil.move(folder / rel, folder / rel.replace("people/", "").replace("/", "_"))
        shutil.rmtree(folder / "people")
        (folder / "zz_broken.jpg").write_text("not a photo\n")
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, photo_root: Path) -> Iterator[harness.Server]:
    root = tmp_path_factory.mktemp("server")
    with harness.Servers(root, photo_root=photo_root, env=BROWSER_ENV) as servers:
        running = servers.start(root / "data")
        yield running
        servers.stop(running, STOP_DEADLINE_S)


class Console:
    """What went wrong in the browser: console errors and answers of 400 or more."""

    def __init__(self, context: BrowserContext) -> None:
        self.errors: list[str] = []
        context.on("console", self._console)
        context.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"{response.status} {response.request.method} {response.url}")


def open_page(
    browser: Browser, device: dict[str, Any], lang: str = "en"
) -> tuple[BrowserContext, Page, Console]:
    context, page = new_page(browser, device)
    console = Console(context)
    if lang == "th":
        context.add_cookies([{"name": "lang", "value": "th", "url": "http://127.0.0.1"}])
    return context, page, console


def sign_up(page: Page, site: harness.Server) -> str:
    email = f"studio{next(_accounts)}@example.com"
    page.goto(f"{site.base_url}/signup")
    page.locator("main #email").fill(email)
    page.locator("main #password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(f"{site.base_url}/events")
    return email


def create_event(page: Page, site: harness.Server, folder: Path, name: str) -> int:
    page.goto(f"{site.base_url}/events/new")
    page.locator("#name").fill(name)
    page.locator("#folder").select_option(str(folder.resolve()))
    page.locator("#create-event").click()
    expect(page).to_have_url(re.compile(r"/events/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


@pytest.mark.parametrize(("device", "lang"), [(DESKTOP, "en"), (PHONE, "th")], ids=["desktop-en", "phone-th"])
def test_the_first_event_indexes_by_itself_with_live_totals_and_no_console_errors(
    browser: Browser, site: harness.Server, photo_root: Path, device: dict[str, Any], lang: str
) -> None:
    context, page, console = open_page(browser, device, lang)
    with context:
        sign_up(page, site)
        folder = photo_root / ("first" if lang == "en" else "second")
        create_event(page, site, folder, "งานเลี้ยงสวน Garden party" if lang == "th" else "Garden party")

        # nobody clicked "Start indexing": the run started when the event was made
        expect(page.locator("#progress")).to_be_visible()
        expect(page.locator("#never-indexed")).to_be_hidden()
        name = f"photographer-event-indexing-{'desktop-en' if lang == 'en' else 'phone-th'}"
        screenshot(page, name, full_page=True)
        # the event's totals count up while the run goes (the page polls; it reloads once done)
        page.wait_for_function(
            "() => document.getElementById('photos-total').textContent.trim() === '4'",
            timeout=INDEXING_TIMEOUT_MS,
        )
        done = "done" if lang == "en" else THAI["done"]
        expect(page.locator("#index-state")).to_have_text(done, timeout=INDEXING_TIMEOUT_MS)
        expect(page.locator("#photo-grid li")).to_have_count(4, timeout=INDEXING_TIMEOUT_MS)
        expect(page.locator("#photos-total")).to_have_text("4")
        expect(page.locator("#failed-total")).to_have_text("1")
        assert int(page.locator("#faces-total").inner_text()) >= 3
        failed = page.locator("#photo-grid li.status-failed")
        expect(failed.locator(".placeholder")).to_be_visible()
        expect(failed.locator("img")).to_have_count(0)
        expect(page.locator("#photo-grid li.status-indexed img").first).to_be_visible()
        page.locator("#photo-grid").scroll_into_view_if_needed()  # lazy thumbnails load when seen
        page.wait_for_function(
            "() => [...document.querySelectorAll('#photo-grid li.status-indexed img')]"
            ".every((i) => i.complete && i.naturalWidth > 0)"
        )
        screenshot(
            page, f"photographer-event-done-{'desktop-en' if lang == 'en' else 'phone-th'}", full_page=True
        )
        if lang == "th":
            expect(page.locator("#indexing-title")).to_have_text(THAI["Indexing"])
            expect(page.locator("#event-totals")).to_contain_text(THAI["failed"])
        assert [e for e in console.errors if "zz_broken" not in e] == []


def test_a_never_indexed_event_shows_its_state_without_404s(
    browser: Browser, site: harness.Server, photo_root: Path
) -> None:
    context, page, console = open_page(browser, PHONE)
    with context:
        sign_up(page, site)
        made = page.request.post(
            f"{site.base_url}/api/events",
            data={"name": "Not yet", "folder": str((photo_root / "third").resolve())},
            headers={"X-CSRF-Token": page.locator("meta[name=csrf-token]").get_attribute("content") or ""},
        )
        assert made.status == 201, made.text()
        page.goto(f"{site.base_url}/events/{made.json()['id']}")
        expect(page.locator("#never-indexed")).to_be_visible()
        expect(page.locator("#start-indexing")).to_have_text("Start indexing")
        expect(page.locator("#photos-total")).to_have_text("0")
        # the page polls its progress: wait for one poll's answer, then look at the console
        with page.expect_response(lambda r: r.url.endswith("/progress")) as polled:
            pass
        assert polled.value.status == 200
        screenshot(page, "photographer-never-indexed-phone", full_page=True)
        assert console.errors == []


def logo_png() -> bytes:
    image = Image.new("RGB", (400, 400), (6, 199, 85))
    for x in range(100, 300):
        for y in range(170, 230):
            image.putpixel((x, y), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def fill_brand(page: Page) -> None:
    """The brand, once for all events: a link that is not http(s) is refused, then it is saved."""
    page.locator("#edit-brand").click()
    page.locator("#brand-name-input").fill("Studio Nok")
    page.locator("#brand-line").fill("@studionok")
    page.locator("#brand-instagram").fill("https://www.instagram.com/studionok")
    page.locator("#brand-website").fill("javascript:alert(1)")
    page.locator("#brand-logo-input").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()}]
    )
    page.locator("#save-brand").click()
    expect(page.locator("#form-error")).to_contain_text("https://")
    page.locator("#brand-website").fill("https://studionok.example.com")
    page.locator("#brand-logo-input").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()}]
    )
    page.locator("#save-brand").click()
    expect(page.locator("#brand-saved")).to_be_visible()


def check_qr_card(page: Page, site: harness.Server, event_id: int) -> None:
    """The card's PDF, and its PNG downloaded from the event page (kept in tests/artifacts/)."""
    pdf = page.request.get(f"{site.base_url}/events/{event_id}/card.pdf?download=1")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    with page.expect_download() as got:
        page.locator("#card-png").click()
    card = ARTIFACTS / "photographer-qr-card.png"
    got.value.save_as(card)
    with Image.open(card) as image:
        assert image.size == (1240, 1748)


def show_request_on_a_phone_in_thai(
    browser: Browser, signed_in: BrowserContext, site: harness.Server, event_id: int
) -> None:
    """The same photographer on a phone, in Thai: the request waits at the top of the event page."""
    phone = browser.new_context(**PHONE, storage_state=signed_in.storage_state())
    with phone:
        phone.add_cookies([{"name": "lang", "value": "th", "url": site.base_url}])
        console = Console(phone)
        page = phone.new_page()
        page.goto(f"{site.base_url}/events/{event_id}")
        requests = page.locator("#removal-requests")
        expect(requests.locator("h2")).to_contain_text(THAI["Guests asked to remove photos"])
        expect(requests.get_by_role("button", name=THAI["Hide photo"])).to_be_visible()
        requests.scroll_into_view_if_needed()
        screenshot(page, "photographer-removal-request-phone-th")
        page.locator("#branding").scroll_into_view_if_needed()
        screenshot(page, "photographer-branding-phone-th")
        assert console.errors == []


def test_brand_qr_card_and_a_guests_removal_request(
    browser: Browser, site: harness.Server, photo_root: Path, tmp_path: Path
) -> None:
    context, page, console = open_page(browser, DESKTOP)
    with context:
        sign_up(page, site)
        event_id = create_event(page, site, photo_root / "third", "Somchai & Nok")
        expect(page.locator("#index-state")).to_have_text("done", timeout=INDEXING_TIMEOUT_MS)
        expect(page.locator("#photo-grid li")).to_have_count(4)

        fill_brand(page)
        screenshot(page, "photographer-brand-form-desktop", full_page=True)

        # a gallery event: the cover (the first photo) and the brand on the guest page
        page.goto(f"{site.base_url}/events/{event_id}")
        page.locator("#visibility-gallery").check()
        page.locator("#save-visibility").click()
        guest_url = page.locator("#guest-url").input_value()

        check_qr_card(page, site, event_id)

        guest_context, guest, guest_console = open_page(browser, PHONE, "th")
        with guest_context:
            guest.goto(guest_url)
            expect(guest.locator("#brand-name")).to_have_text("Studio Nok")
            expect(guest.locator("#brand-logo")).to_be_visible()
            assert guest.locator("#brand-logo").evaluate("(i) => i.naturalWidth") == 400
            links = guest.locator("#brand-links a")
            expect(links).to_have_count(3)
            for i in range(3):
                assert links.nth(i).get_attribute("rel") == "noopener noreferrer"
            assert links.nth(0).get_attribute("href") == "https://line.me/R/ti/p/@studionok"
            screenshot(guest, "photographer-guest-brand-phone-th")
            # a guest asks for a photo to be removed, with the link the gallery gave them
            slug = guest_url.rsplit("/", 1)[1]
            photo = guest.request.get(f"{site.base_url}/api/e/{slug}/gallery").json()["photos"][0]
            asked = guest.request.post(
                f"{site.base_url}{photo['faces_url'].replace('/faces', '/removal-request')}",
                form={"reason": "ขอลบรูปนี้ด้วยค่ะ ขอบคุณค่ะ"},
            )
            assert asked.status == 202, asked.text()
            assert guest_console.errors == []

        show_request_on_a_phone_in_thai(browser, context, site, event_id)
        page.goto(f"{site.base_url}/events")
        expect(page.locator(".removal-badge")).to_have_text("1 removal request")
        screenshot(page, "photographer-dashboard-desktop")
        page.goto(f"{site.base_url}/events/{event_id}")
        requests = page.locator("#removal-requests")
        expect(requests).to_contain_text("ขอลบรูปนี้ด้วยค่ะ")
        screenshot(page, "photographer-removal-request-desktop", full_page=True)
        requests.get_by_role("button", name="Hide photo").click()
        expect(page.locator("#removal-requests")).to_have_count(0)
        expect(page.locator("#photo-grid li.hidden-photo")).to_have_count(1)
        assert page.request.get(f"{site.base_url}{photo['thumbnail_url']}").status == 404
        gallery = page.request.get(f"{site.base_url}/api/e/{slug}/gallery").json()
        assert photo["name"] not in {p["name"] for p in gallery["photos"]}
        screenshot(page, "photographer-hidden-photo-desktop", full_page=True)
        # the brand form's refusal was a 422 page; the hidden photo's old link a 404 asked by the test
        assert [e for e in console.errors if "/brand" not in e and "/thumb" not in e] == []
