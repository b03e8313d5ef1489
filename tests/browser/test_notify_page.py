"""'Email me when new photos of me arrive' in Chromium: the real `eventface web` (real face engine,
in-process worker) and a real SMTP server (aiosmtpd) whose inbox the test reads.

The guest page hands the offer its selfies through the documented contract (static/notify.js):
an "eventface:searched" event with the selfie Files. Until the guest page's script sends it, the
test sends it after a real search, with the File of the selfie it searched with.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, EventPhotos, new_page, screenshot
from tests.browser.guest_steps import find_photos
from tests.harness import server as harness
from tests.harness.smtp import Inbox, body

pytestmark = pytest.mark.slow  # a real server with the real face models loading

INDEX_DEADLINE_S = 180
SEARCH_TIMEOUT_MS = 60_000
GUEST = "guest@example.com"
LINK = re.compile(r"https?://[^/\s]+(/e/\S+)")


@dataclass
class NotifyServer:
    running: harness.Server
    inbox: Inbox
    token: str
    event_id: int
    slug: str
    folder: Path
    held_back: Path  # a photo of the guest that arrives after they subscribed


@pytest.fixture(scope="module")
def notify_server(
    tmp_path_factory: pytest.TempPathFactory, event_photos: EventPhotos
) -> Iterator[NotifyServer]:
    root = tmp_path_factory.mktemp("notify")
    folder = root / "photos" / "event"
    shutil.copytree(event_photos.folder, folder)
    name = sorted(n for n in event_photos.expected if "obama_" in n)[0]
    (late,) = folder.rglob(name)
    held_back = root / name
    late.rename(held_back)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=harness.free_port())
    smtp.start()
    env = {"SMTP_URL": f"smtp://127.0.0.1:{smtp.port}", "EVENTFACE_NOTIFY_DIGEST_MINUTES": "0"}
    try:
        with harness.Servers(root / "servers", photo_root=folder.parent, env=env) as servers:
            data_dir = root / "data"
            token = harness.create_photographer(data_dir)
            running = servers.start(data_dir)
            with running.client(token) as api:
                created = api.post("/api/events", json={"name": "Garden party", "folder": str(folder)})
                assert created.status_code == 201, created.text
            made = NotifyServer(
                running, inbox, token, created.json()["id"], created.json()["slug"], folder, held_back
            )
            index(made)
            yield made
            servers.stop(running)
    finally:
        smtp.stop()


def index(server: NotifyServer) -> None:
    with server.running.client(server.token) as api:
        assert api.post(f"/api/event/{server.event_id}/index").status_code == 202
        task = harness.wait_for(
            "the event to be indexed",
            lambda: api.get(f"/api/event/{server.event_id}/task").json(),
            lambda t: t["status"] in {"done", "failed"},
            INDEX_DEADLINE_S,
            server.running,
        )
    assert task["status"] == "done", task


def search_and_hand_over_the_selfie(page: Page, selfie: Path) -> None:
    # the guest page hands the selfies it searched with to static/notify.js itself
    # ("eventface:searched"): the offer shows only if it did
    find_photos(page, [selfie])


def path_of(url: str) -> str:
    found = LINK.search(url)
    assert found is not None, url
    return found.group(1)


def test_a_guest_subscribes_on_a_phone_in_thai_confirms_and_gets_the_new_photo_on_a_desktop(
    browser: Browser, notify_server: NotifyServer, event_photos: EventPhotos
) -> None:
    base = notify_server.running.base_url
    context, page = new_page(browser, PHONE)
    with context:
        page.goto(f"{base}/e/{notify_server.slug}?lang=th")
        expect(page.locator("#notify")).to_be_hidden()  # nothing to offer before a search
        search_and_hand_over_the_selfie(page, event_photos.selfie)
        offer = page.locator("#notify")
        expect(offer).to_be_visible()
        expect(offer.locator("h2")).to_have_text("ส่งอีเมลถึงฉันเมื่อมีรูปใหม่ของฉัน")
        offer.scroll_into_view_if_needed()
        screenshot(page, "notify-01-offer-th-phone")

        page.locator("#notify-email").fill(GUEST)
        page.locator("#notify-button").click()
        expect(page.locator("#notify-error")).to_have_text("กรุณาให้ความยินยอมก่อน")
        page.locator("#notify-consent").check()
        with page.expect_response(lambda r: r.url.endswith("/subscribe")) as answer:
            page.locator("#notify-button").click()
        assert answer.value.status == 202, answer.value.text()
        expect(page.locator("#notify-done")).to_contain_text("กรุณาตรวจสอบอีเมล")
        expect(page.locator("#notify-form")).to_be_hidden()
        screenshot(page, "notify-02-subscribed-th-phone")

        (confirmation,) = notify_server.inbox.wait_for(1)
        assert confirmation["To"] == GUEST and confirmation["Content-Language"] == "th"
        page.goto(base + path_of(body(confirmation, "plain")))
        expect(page.locator("#notify-confirm-button")).to_be_visible()
        screenshot(page, "notify-03-confirm-th-phone")
        page.locator("#notify-confirm-button").click()
        expect(page.locator("#notify-confirmed")).to_be_visible()
        screenshot(page, "notify-04-confirmed-th-phone")

    # a new photo of the guest arrives and is indexed: one digest, in Thai
    notify_server.held_back.rename(notify_server.folder / notify_server.held_back.name)
    index(notify_server)
    digest = notify_server.inbox.wait_for(2)[1]
    assert "List-Unsubscribe" in digest and "มีรูปใหม่ของคุณ 1 รูป" in body(digest, "plain")

    context, page = new_page(browser, DESKTOP)
    with context:
        photos = path_of(digest["List-Unsubscribe"].strip("<>")).removesuffix("/unsubscribe")
        page.goto(f"{base}{photos}?lang=en")
        expect(page.locator("#notify-grid li")).to_have_count(1)
        expect(page.locator("#notify-grid img")).to_have_attribute("alt", notify_server.held_back.name)
        expect(page.locator("#notify-count")).to_have_text("1 photo")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#notify-grid img')]"
            ".every((img) => img.complete && img.naturalWidth > 0)"
        )
        screenshot(page, "notify-05-photos-desktop", full_page=True)
        page.locator("#notify-unsubscribe-link").click()
        page.locator("#notify-unsubscribe-button").click()
        expect(page.locator("#notify-unsubscribed")).to_be_visible()
        screenshot(page, "notify-06-unsubscribed-desktop")
    assert harness.query(notify_server.running.db_path, "SELECT COUNT(*) FROM notify_subscriptions") == [(0,)]
