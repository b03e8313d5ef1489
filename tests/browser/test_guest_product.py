"""The guest page as a photo product (issue 14) in a real browser, on a phone and a desktop, in
English and Thai: the consent sheet, a 12 MP selfie shrunk on the phone over a slow link, the
guest's place kept, the viewer, save, share, "not me", "report" and "find more".

One server per module (the real face engine); the event is made and indexed through the API.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Request, expect

from tests.browser.conftest import (
    BROWSER_ENV,
    DESKTOP,
    PHONE,
    STOP_DEADLINE_S,
    EventPhotos,
    new_page,
    screenshot,
)
from tests.browser.guest_steps import (
    COUNT_UPLOADS,
    ConsoleErrors,
    choose_selfies,
    find_photos,
    phone_selfie,
    result_names,
    wait_for_thumbnails,
)
from tests.harness import server as harness

pytestmark = pytest.mark.slow  # the real face models on real photos

INDEX_DEADLINE_S = 240
SECOND_SELFIE = "people/biden/2.jpg"
# a slow mobile link: 400 ms each way, 400 kbit/s up and down (issue 14)
SLOW_LINK = {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
# the removal-request route is another branch's (issue 14, photographer side): 404 until it lands
REPORT_ROUTE = "removal-request"


@pytest.fixture(scope="module")
def guest_url(tmp_path_factory: pytest.TempPathFactory, event_photos: EventPhotos) -> Iterator[str]:
    """An indexed event on a fresh `eventface web`: made through the API, not the pages."""
    root = tmp_path_factory.mktemp("guest-server")
    data_dir = root / "data"
    token = harness.create_photographer(data_dir)
    with harness.Servers(root, photo_root=event_photos.folder.parent, env=BROWSER_ENV) as servers:
        running = servers.start(data_dir)
        with running.client(token) as api:
            created = api.post(
                "/api/events", json={"name": "Garden party", "folder": str(event_photos.folder)}
            )
            assert created.status_code == 201, created.text
            event_id, slug = created.json()["id"], created.json()["slug"]
            api.post(f"/api/event/{event_id}/index")
            harness.wait_for(
                "the event to be indexed",
                lambda: task_state(api, event_id),
                lambda state: state in {"done", "failed"},
                INDEX_DEADLINE_S,
                running,
            )
        yield f"{running.base_url}/e/{slug}"
        servers.stop(running, STOP_DEADLINE_S)


def task_state(api: httpx.Client, event_id: int) -> str | None:
    # a kept-alive connection may be dropped while the server loads its models on a busy machine
    try:
        state: str | None = api.get(f"/api/event/{event_id}/task").json().get("status")
    except httpx.TransportError:
        return None
    return state


def assert_no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px"


def test_a_12_mp_selfie_finds_the_guest_over_a_slow_phone_link(
    browser: Browser, guest_url: str, event_photos: EventPhotos
) -> None:
    """The whole first search on a throttled phone: consent sheet, picker, the selfie shrunk in the
    browser (turned upright by its EXIF tag: sideways, no face would be found), progress, results."""
    selfie = phone_selfie(event_photos.selfie)
    assert len(selfie) > 2_000_000
    context, page = new_page(browser, PHONE)
    with context:
        errors = ConsoleErrors(page)
        uploads: list[Request] = []
        page.on("request", lambda r: uploads.append(r) if r.url.endswith("/search") else None)
        page.add_init_script(COUNT_UPLOADS)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
        page.goto(guest_url)
        expect(page.locator("#event-name")).to_have_text("Garden party")
        find = page.locator("#find-button")
        expect(find).to_be_in_viewport()  # the first screen: the event and one button
        screenshot(page, "guest-01-first-screen-phone")

        # the consent sheet before the picker: nothing is picked without the box ticked
        find.click()
        sheet = page.locator("#consent-sheet")
        expect(sheet).to_be_visible()
        expect(page.locator("#consent")).not_to_be_checked()
        page.locator("#consent-continue").click()
        expect(page.locator("#consent-error")).to_have_text("Please give your consent first.")
        expect(page.locator("#consent")).to_be_focused()
        page.locator(".consent-more summary").click()
        expect(page.locator("#consent-text")).to_contain_text("biometric data")
        screenshot(page, "guest-02-consent-sheet-phone")
        page.locator("#consent-cancel").click()
        expect(sheet).to_be_hidden()
        assert uploads == []

        choose_selfies(page, [{"name": "IMG_4032.jpg", "mimeType": "image/jpeg", "buffer": selfie}])
        expect(page.locator("#search-step")).to_contain_text(re.compile(r"Preparing|Uploading|Finding"))
        expect(page.locator("#search-step")).to_contain_text("Uploading your selfie…")
        expect(page.locator("#search-selfie")).to_be_visible()
        screenshot(page, "guest-03-uploading-phone")
        expect(page.locator("#results")).to_be_visible(timeout=60_000)
        names = result_names(page)
        assert set(names) == set(event_photos.expected), names
        wait_for_thumbnails(page)
        expect(page.locator("#search-progress")).to_be_hidden()
        expect(page.locator("#search-panel")).to_be_hidden()  # the form folded away
        expect(page.locator("#results-count")).to_have_text(f"{len(names)} photos found")
        screenshot(page, "guest-04-results-phone")
        assert_no_sideways_scroll(page)

        assert len(uploads) == 1
        (sent,) = page.evaluate("() => window.uploadedBytes")
        assert 20_000 < sent < 700_000, f"the selfie went up as {sent} bytes"  # shrunk, not 3.6 MB
        assert errors.errors == []


def test_the_guest_keeps_their_place_in_thai_on_a_phone(
    browser: Browser, guest_url: str, event_photos: EventPhotos
) -> None:
    """Results survive Back, reload and the language switch; Back closes the viewer; swipe, the
    counter, the face boxes; "not me" hides a photo for good on this phone."""
    context, page = new_page(browser, PHONE)
    with context:
        errors = ConsoleErrors(page)
        page.goto(f"{guest_url}?lang=th")
        expect(page.locator("#find-button")).to_have_text("ค้นหารูปของฉัน")
        screenshot(page, "guest-05-first-screen-thai-phone")
        page.locator("#find-button").click()
        expect(page.locator("#consent-sheet")).to_contain_text("ยินยอม")
        screenshot(page, "guest-06-consent-sheet-thai-phone")
        page.locator("#consent-cancel").click()
        find_photos(page, [event_photos.selfie])
        total = len(event_photos.expected)
        expect(page.locator("#results-title")).to_have_text("รูปของคุณ")
        expect(page.locator("#results-count")).to_have_text(f"พบ {total} รูป")
        wait_for_thumbnails(page)
        screenshot(page, "guest-07-results-thai-phone")

        # the viewer: "1 / N", a swipe to the next, faces behind the toggle
        page.locator("#result-grid li button.thumb").first.tap()
        expect(page.locator("#lightbox")).to_be_visible()
        expect(page.locator("#lightbox-counter")).to_have_text(f"1 / {total}")
        page.wait_for_function("() => document.getElementById('lightbox-image').naturalWidth > 0")
        expect(page.locator("#face-layer")).to_be_hidden()
        page.locator("#faces-toggle").click()
        expect(page.locator("#face-layer button").first).to_be_visible()
        expect(page.locator("#lightbox-hint")).to_be_visible()
        screenshot(page, "guest-08-viewer-faces-thai-phone")
        swipe_left(page)
        expect(page.locator("#lightbox-counter")).to_have_text(f"2 / {total}")
        expect(page).to_have_url(re.compile(r"#photo-2$"))

        # Back closes the viewer and keeps the results
        page.go_back()
        expect(page.locator("#lightbox")).to_be_hidden()
        expect(page.locator("#result-grid li")).to_have_count(total)

        # reload, then the language switch: the results come back without a new search
        page.reload()
        expect(page.locator("#result-grid li")).to_have_count(total)
        expect(page.locator("#search-panel")).to_be_hidden()
        page.locator("header .langs a[lang=en]").click()
        expect(page.locator("#results-title")).to_have_text("Your photos")
        expect(page.locator("#result-grid li")).to_have_count(total)

        not_me_hides_a_photo_across_reloads(page, total)
        assert_no_sideways_scroll(page)
        assert errors.errors == []


def swipe_left(page: Page) -> None:
    """A finger (here the mouse: the same pointer events) drawn from right to left over the photo."""
    box = page.locator("#lightbox-stage").bounding_box()
    assert box
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.8, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=5)
    page.mouse.up()


def not_me_hides_a_photo_across_reloads(page: Page, total: int) -> None:
    hidden_name = result_names(page)[-1]
    page.locator("#result-grid li button.thumb").last.tap()
    page.locator("#lightbox-not-me").click()
    expect(page.locator("#lightbox")).to_be_hidden()
    expect(page.locator("#result-grid li")).to_have_count(total - 1)
    assert hidden_name not in result_names(page)
    expect(page.locator("#show-hidden")).to_have_text("1 hidden: show them")
    page.reload()
    expect(page.locator("#result-grid li")).to_have_count(total - 1)
    page.locator("#show-hidden").click()
    expect(page.locator("#result-grid li")).to_have_count(total)


def save_and_share(page: Page) -> None:
    """In the open viewer: Save gives a web-size JPEG named after the photo; Share, without Web
    Share for files (desktop chromium here), saves it instead and says so."""
    with page.expect_download() as saved:
        page.locator("#lightbox-save").click()
    name = saved.value.suggested_filename
    assert name.endswith(".jpg"), name
    with Image.open(io.BytesIO(Path(saved.value.path()).read_bytes())) as copy:
        assert copy.format == "JPEG" and max(copy.size) <= 2048
    if not page.evaluate("() => Boolean(navigator.canShare)"):
        with page.expect_download() as shared:
            page.locator("#lightbox-share").click()
        assert shared.value.suggested_filename == name
        expect(page.locator("#lightbox-status")).to_contain_text("saved instead")


def report(page: Page) -> None:
    """Report / remove my photo: sent, or (until the photographer's side lands) a clear error."""
    page.locator("#lightbox-report").click()
    expect(page.locator("#report-sheet")).to_be_visible()
    page.locator("#report-reason").fill("I would rather not be online")
    screenshot(page, "guest-12-report-sheet-desktop")
    with page.expect_response(lambda r: REPORT_ROUTE in r.url) as answer:
        page.locator("#report-send").click()
    if answer.value.status == 202:
        expect(page.locator("#lightbox-status")).to_have_text("Sent. The photographer will look at it.")
    else:
        expect(page.locator("#report-error")).to_have_text("Reporting is not available for this event.")
        screenshot(page, "guest-12b-report-not-available-desktop")
        page.locator("#report-cancel").click()


def test_save_share_report_more_of_a_person_and_find_more_on_a_desktop(
    browser: Browser, guest_url: str, event_photos: EventPhotos, faces_dir: Path
) -> None:
    context, page = new_page(browser, DESKTOP)
    with context:
        errors = ConsoleErrors(page, ignore=[REPORT_ROUTE])
        page.goto(guest_url)
        screenshot(page, "guest-09-first-screen-desktop")
        find_photos(page, [event_photos.selfie])
        first_count = page.locator("#result-grid li").count()
        wait_for_thumbnails(page)
        screenshot(page, "guest-10-results-desktop", full_page=True)

        page.locator("#result-grid li button.thumb").first.click()
        expect(page.locator("#lightbox-counter")).to_have_text(f"1 / {first_count}")
        page.wait_for_function("() => document.getElementById('lightbox-image').naturalWidth > 0")
        screenshot(page, "guest-11-viewer-desktop")

        save_and_share(page)
        report(page)

        # a face: more photos of that person, and Back to the guest's own photos
        page.locator("#faces-toggle").click()
        face = page.locator("#face-layer button").first
        expect(face).to_be_visible()
        with page.expect_response(lambda r: r.url.endswith("/search")) as person:
            face.click()
        assert person.value.status == 200
        expect(page.locator("#results-title")).to_have_text("Photos of the person you chose")
        expect(page.locator("#back-to-mine")).to_be_visible()
        page.go_back()
        expect(page.locator("#results-title")).to_have_text("Your photos")
        expect(page.locator("#result-grid li")).to_have_count(first_count)

        # find more: a second selfie (another person here) adds its photos to the first's
        zip_before = page.locator("#download-all").get_attribute("href")
        find_photos(page, [faces_dir / SECOND_SELFIE], button="#find-more")
        expect(page.locator("#result-grid li")).not_to_have_count(first_count)
        assert page.locator("#result-grid li").count() > first_count
        # the ZIP of both searches' photos: a new signed list, made once the results are merged
        everything = page.locator("#download-all")
        expect(everything).to_have_attribute("href", re.compile(r"^/e/[^/]+/z/[A-Za-z0-9_-]+/download$"))
        expect(everything).not_to_have_attribute("href", zip_before or "")
        expect(everything).to_be_visible()
        zip_url = everything.get_attribute("href") or ""
        with zipfile.ZipFile(
            io.BytesIO(httpx.get(guest_url.rsplit("/e/", 1)[0] + zip_url, timeout=60).content)
        ) as zipped:
            assert sorted(zipped.namelist()) == sorted(result_names(page))
        wait_for_thumbnails(page)
        screenshot(page, "guest-13-found-more-desktop", full_page=True)
        assert errors.errors == []


def test_the_guest_page_in_thai_on_a_desktop(
    browser: Browser, guest_url: str, event_photos: EventPhotos
) -> None:
    context, page = new_page(browser, DESKTOP)
    with context:
        errors = ConsoleErrors(page)
        page.goto(f"{guest_url}?lang=th")
        page.locator("#find-button").click()
        expect(page.locator("#consent-title")).to_have_text("เกี่ยวกับข้อมูลใบหน้าของคุณ")
        screenshot(page, "guest-14-consent-thai-desktop")
        page.locator("#consent-cancel").click()
        find_photos(page, [event_photos.selfie])
        wait_for_thumbnails(page)
        page.locator("#result-grid li button.thumb").first.click()
        page.wait_for_function("() => document.getElementById('lightbox-image').naturalWidth > 0")
        expect(page.locator("#lightbox-save")).to_contain_text("บันทึก")
        screenshot(page, "guest-15-viewer-thai-desktop")
        page.keyboard.press("Escape")
        expect(page.locator("#lightbox")).to_be_hidden()
        expect(page).not_to_have_url(re.compile(r"#photo-"))
        assert errors.errors == []


# the phone's share sheet, stood in for: headless chromium on Linux has no Web Share
FAKE_SHARE_SHEET = """(() => {
  navigator.canShare = (data) => Boolean(data && data.files && data.files.length);
  navigator.share = async (data) => {
    window.shared = data.files.map((f) => ({ name: f.name, type: f.type, size: f.size }));
  };
})();"""


def test_share_hands_the_photo_file_to_the_phones_share_sheet(
    browser: Browser, guest_url: str, event_photos: EventPhotos
) -> None:
    context, page = new_page(browser, PHONE)
    with context:
        errors = ConsoleErrors(page)
        page.add_init_script(FAKE_SHARE_SHEET)
        page.goto(guest_url)
        find_photos(page, [event_photos.selfie])
        page.locator("#result-grid li button.thumb").first.tap()
        page.wait_for_function("() => document.getElementById('lightbox-image').naturalWidth > 0")
        screenshot(page, "guest-16-viewer-phone")

        page.locator("#lightbox-share").tap()

        page.wait_for_function("() => Array.isArray(window.shared)")
        (shared,) = page.evaluate("() => window.shared")
        assert shared["type"] == "image/jpeg" and shared["size"] > 10_000, shared
        assert shared["name"] == re.sub(r"\.[^.]*$", ".jpg", result_names(page)[0])
        expect(page.locator("#lightbox-status")).to_be_hidden()  # shared, not saved instead
        assert errors.errors == []
