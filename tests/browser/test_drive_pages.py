"""Google Drive in the photographer's pages, in a real browser, on phone and desktop.

The real `eventface web` server reads Drive and signs in with Google through the fake Drive (its
OAuth client file points at the fake's endpoints). A photographer's history is seeded through the
services on the same data dir: two connected accounts (one refused since), Drive events synced
by the fake colour-square engine, a failed sync.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from eventface.domain.models import Event, SyncTrigger
from eventface.jobs.tasks import sync_event
from eventface.services import accounts, events, google_accounts
from eventface.settings import Settings
from tests.browser.conftest import BROWSER_ENV, DESKTOP, PHONE, STOP_DEADLINE_S, new_page, screenshot
from tests.fakes.drive import FakeDrive
from tests.fakes.photos import jpeg_with_squares
from tests.harness.drive import authorized_user_info, client_secrets
from tests.harness.server import Server, Servers
from tests.web.conftest import build_with_fake_engine

pytestmark = pytest.mark.slow  # a real server with the real face models loading

PASSWORD = "correct horse battery staple"
OWNER = "ploy@example.com"
GOOGLE_EMAIL = "ploy.photos@gmail.com"
STUDIO_EMAIL = "ploy.studio@gmail.com"
REFUSAL = "Google refused the stored access: reconnect the Google account"
DEVICES = {"phone": PHONE, "desktop": DESKTOP}


@dataclass(frozen=True)
class Seeded:
    server: Server
    drive: FakeDrive
    wedding: Event  # a Drive event with three syncs: manual (full listing), scheduled (failed), push
    wedding_folder: str
    studio: Event  # a Drive event whose account Google refused since
    local: Event  # a folder on the server, never synced


@pytest.fixture(scope="module")
def drive_server(tmp_path_factory: pytest.TempPathFactory, module_drive: FakeDrive) -> Iterator[Server]:
    """`eventface web` whose Drive and Google sign-in are the fake's."""
    root = tmp_path_factory.mktemp("drive-server")
    client_file = root / "client_secret.json"
    client_file.write_text(json.dumps(client_secrets(module_drive)))
    env = {
        **BROWSER_ENV,
        "EVENTFACE_PHOTO_ROOTS": "",  # the default, <data dir>/photos: its events are made in `seeded`
        "EVENTFACE_DRIVE_API_URL": module_drive.api_endpoint,
        "EVENTFACE_GOOGLE_CLIENT_SECRETS_FILE": str(client_file),
    }
    with Servers(root, env=env) as servers:
        running = servers.start(root / "data")
        yield running
        servers.stop(running, STOP_DEADLINE_S)


def photo(*colours: str) -> bytes:
    return jpeg_with_squares([(colour, (10 + 70 * i, 40), 50) for i, colour in enumerate(colours)])


@pytest.fixture(scope="module")
def seeded(drive_server: Server, module_drive: FakeDrive, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    drive = module_drive
    data_dir = drive_server.data_dir
    rt = build_with_fake_engine(Settings(data_dir=data_dir, drive_api_url=drive.api_endpoint, workers=1))
    try:
        with rt.transactions() as uow:
            user = accounts.create_user(uow, OWNER, PASSWORD)
            google_accounts.save_grant(uow, rt.google.box, user.id, GOOGLE_EMAIL, authorized_user_info(drive))
            studio_account = google_accounts.save_grant(
                uow, rt.google.box, user.id, STUDIO_EMAIL, authorized_user_info(drive)
            )
        folder = drive.add_folder("Nok & Tom")
        for n, colours in enumerate([("red", "green"), ("blue",), ("green",)]):
            drive.add_photo(folder, f"ceremony-{n}.jpg", photo(*colours))
        wedding = events.create_drive_event(
            rt.google,
            "Nok & Tom's wedding",
            f"https://drive.google.com/drive/folders/{folder}?usp=sharing",
            "fake",
            owner_id=user.id,
            account_email=GOOGLE_EMAIL,
            event_date=date(2026, 2, 14),
        )
        assert sync_event(rt, wedding.id, SyncTrigger.MANUAL, when_due=False).status == "synced"
        with rt.transactions() as uow:  # a scheduled sync that found Drive down
            failed_at = datetime.now(UTC)
            run = uow.sync_runs.start(wedding.id, SyncTrigger.SCHEDULE, failed_at)
            uow.sync_runs.finish(run, failed_at, error="Google Drive cannot be reached: timed out")
        drive.add_photo(folder, "first-dance.jpg", photo("red", "blue"))
        assert sync_event(rt, wedding.id, SyncTrigger.PUSH, when_due=False).status == "synced"

        portraits = drive.add_folder("Portraits")
        drive.add_photo(portraits, "portrait.jpg", photo("blue"))
        studio = events.create_drive_event(
            rt.google, "Studio portraits", portraits, "fake", owner_id=user.id, account_email=STUDIO_EMAIL
        )
        assert sync_event(rt, studio.id, SyncTrigger.MANUAL, when_due=False).status == "synced"
        with rt.transactions() as uow:
            uow.google_accounts.mark_reconnect_needed(studio_account.id, REFUSAL)

        local_folder = tmp_path_factory.mktemp("office")
        (local_folder / "team.jpg").write_bytes(photo("green"))
        with rt.transactions() as uow:
            policy = events.FolderPolicy.anywhere_but_data(data_dir)
            local = events.create_event(
                uow, "Office party", local_folder, "fake", owner_id=user.id, policy=policy
            )
    finally:
        rt.close()
    return Seeded(drive_server, drive, wedding, folder, studio, local)


def sign_in(page: Page, server: Server, email: str = OWNER) -> None:
    page.goto(f"{server.base_url}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(f"{server.base_url}/events")


def event_row(page: Page, event: Event) -> Any:
    return page.locator(f'#events li[data-event-id="{event.id}"]')


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_dashboard_shows_google_accounts_and_what_drive_events_did(
    browser: Browser, seeded: Seeded, device: str
) -> None:
    context, page = new_page(browser, DEVICES[device])
    with context:
        sign_in(page, seeded.server)

        accounts_list = page.locator("#google-accounts > li")
        expect(accounts_list).to_have_count(2)
        fine = accounts_list.filter(has_text=GOOGLE_EMAIL)
        expect(fine.locator(".badge")).to_have_text("connected")
        expect(fine.get_by_role("link", name="Reconnect")).to_have_count(0)
        refused = accounts_list.filter(has_text=STUDIO_EMAIL)
        expect(refused.locator(".badge")).to_have_text("reconnect needed")
        expect(refused).to_contain_text("it was removed, or it expired")
        expect(refused.get_by_role("link", name="Reconnect")).to_have_attribute(
            "href", "/google/connect?next=/events"
        )
        expect(page.get_by_role("button", name="Disconnect")).to_have_count(2)
        expect(page.locator("#google-connect")).to_have_text("Connect another Google account")

        wedding = event_row(page, seeded.wedding)
        expect(wedding.locator(".source")).to_have_text("Google Drive")
        expect(wedding.locator(".reconnect-badge")).to_have_count(0)
        expect(wedding.locator(".activity dd")).to_contain_text("+4")
        expect(wedding.locator(".activity dd")).to_contain_text("3 syncs")
        expect(wedding.locator(".activity dd")).to_contain_text("1 failed")
        # the time is shown in the browser's zone and language, not as the server's UTC
        expect(wedding.locator("time.local-time")).not_to_contain_text("UTC")
        expect(event_row(page, seeded.studio).locator(".reconnect-badge")).to_have_text("reconnect needed")
        local = event_row(page, seeded.local)
        expect(local.locator(".source code")).to_have_text(seeded.local.source_uri)
        expect(local.locator(".activity dd")).to_have_text("no syncs")
        screenshot(page, f"drive-dashboard-{device}", full_page=True)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_drive_events_page_shows_its_folder_account_and_sync_activity(
    browser: Browser, seeded: Seeded, device: str
) -> None:
    context, page = new_page(browser, DEVICES[device])
    with context:
        sign_in(page, seeded.server)
        page.goto(f"{seeded.server.base_url}/events/{seeded.wedding.id}")

        expect(page.locator("#drive-folder")).to_have_attribute(
            "href", f"https://drive.google.com/drive/folders/{seeded.wedding_folder}"
        )
        expect(page.locator("#drive-account")).to_have_text(GOOGLE_EMAIL)
        expect(page.locator("#reconnect-warning")).to_have_count(0)
        expect(page.locator("#sync-error")).to_be_hidden()
        runs = page.locator("#sync-runs > li")
        expect(runs).to_have_count(3)
        expect(runs.nth(0)).to_contain_text("Drive push")
        expect(runs.nth(0)).to_contain_text("+1 added")
        expect(runs.nth(0).locator(".full-listing")).to_have_count(0)
        expect(runs.nth(1)).to_contain_text("Scheduled")
        expect(runs.nth(1).locator(".run-error")).to_have_text("Google Drive cannot be reached: timed out")
        expect(runs.nth(2)).to_contain_text("Manual")
        expect(runs.nth(2)).to_contain_text("+3 added")
        expect(runs.nth(2).locator(".full-listing")).to_have_text("full listing")
        # the server reads the thumbnails from Drive with the event's account
        expect(page.locator("#photo-grid li")).to_have_count(4)
        page.locator("#photo-grid").scroll_into_view_if_needed()  # lazy images load near the viewport
        page.wait_for_function(
            "() => [...document.querySelectorAll('#photo-grid img')]"
            ".every((img) => img.complete && img.naturalWidth > 0)"
        )
        screenshot(page, f"drive-event-{device}", full_page=True)
        page.locator("#sync-activity").scroll_into_view_if_needed()
        screenshot(page, f"drive-event-activity-{device}")


def test_an_event_whose_account_google_refused_says_how_to_reconnect(
    browser: Browser, seeded: Seeded
) -> None:
    context, page = new_page(browser, PHONE)
    with context:
        sign_in(page, seeded.server)
        page.goto(f"{seeded.server.base_url}/events/{seeded.studio.id}")

        warning = page.locator("#reconnect-warning")
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("This event has stopped syncing")
        expect(warning).to_contain_text(REFUSAL)
        expect(warning.get_by_role("link", name="Reconnect")).to_have_attribute(
            "href", f"/google/connect?next=/events/{seeded.studio.id}"
        )
        expect(page.locator("#drive-account")).to_have_text(STUDIO_EMAIL)
        screenshot(page, "drive-event-reconnect-phone")


def test_the_new_event_form_switches_between_a_server_folder_and_a_drive_folder(
    browser: Browser, seeded: Seeded
) -> None:
    context, page = new_page(browser, PHONE)
    with context:
        sign_in(page, seeded.server)
        page.goto(f"{seeded.server.base_url}/events/new")
        expect(page.locator("#local-panel")).to_be_visible()
        expect(page.locator("#drive-panel")).to_be_hidden()
        screenshot(page, "drive-new-event-local-phone", full_page=True)

        page.get_by_text("Google Drive folder", exact=True).click()
        expect(page.locator("#local-panel")).to_be_hidden()
        expect(page.locator("#drive_link")).to_be_visible()
        expect(page.locator("#google_account option")).to_have_text(
            [GOOGLE_EMAIL, f"{STUDIO_EMAIL} (reconnect needed)"]
        )
        expect(page.locator(f'#google_account option[value="{STUDIO_EMAIL}"]')).to_be_disabled()
        page.locator("#name").fill("Engagement shoot")
        page.locator("#drive_link").fill("https://drive.google.com/file/d/1abcdefghijk/view")
        screenshot(page, "drive-new-event-drive-phone", full_page=True)

        page.locator("#create-event").click()
        expect(page.locator("#form-error")).to_have_text(
            "This is the link of a file, not of a folder: open the folder and copy its link"
        )
        expect(page.locator("#name")).to_have_value("Engagement shoot")
        expect(page.locator("#drive-panel")).to_be_visible()
        screenshot(page, "drive-new-event-error-phone", full_page=True)

        page.goto(f"{seeded.server.base_url}/events?lang=th")
        expect(page.locator("#google-title")).to_have_text("Google ไดรฟ์")
        expect(event_row(page, seeded.studio).locator(".reconnect-badge")).to_have_text("ต้องเชื่อมต่อใหม่")
        screenshot(page, "drive-dashboard-thai-phone", full_page=True)


def test_a_photographer_connects_google_drive_creates_an_event_and_disconnects(
    browser: Browser, seeded: Seeded
) -> None:
    base = seeded.server.base_url
    context, page = new_page(browser, DESKTOP)
    with context:
        page.goto(f"{base}/signup")
        page.locator("#email").fill("mai@example.com")
        page.locator("#password").fill(PASSWORD)
        page.locator("main button[type=submit]").click()
        expect(page).to_have_url(f"{base}/events")
        expect(page.locator("#google-connect")).to_have_text("Connect Google Drive")

        page.goto(f"{base}/events/new")
        page.locator("#name").fill("Songkran party")
        page.get_by_text("Google Drive folder", exact=True).click()
        expect(page.locator("#drive_link")).to_have_count(0)
        screenshot(page, "drive-new-event-connect-desktop")
        page.locator("#google-connect").click()  # Google's consent screen (the fake's) says yes at once

        expect(page).to_have_url(f"{base}/events/new")  # ?google=connected was shown once, then dropped
        expect(page.locator("#google-notice")).to_contain_text("Google Drive is connected.")
        expect(page.locator("#source-drive")).to_be_checked()
        expect(page.locator("#name")).to_have_value("Songkran party")  # kept across the trip to Google
        expect(page.locator(".account-line")).to_contain_text(seeded.drive.email)
        folder = seeded.drive.add_folder("Songkran")
        seeded.drive.add_photo(folder, "splash.jpg", photo("blue"))
        page.locator("#drive_link").fill(f"https://drive.google.com/drive/folders/{folder}")
        screenshot(page, "drive-new-event-connected-desktop")
        page.locator("#create-event").click()

        expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/events/\d+$"))
        expect(page.locator("main h1")).to_have_text("Songkran party")
        expect(page.locator("#drive-folder")).to_have_attribute(
            "href", f"https://drive.google.com/drive/folders/{folder}"
        )
        expect(page.locator("#drive-account")).to_have_text(seeded.drive.email)
        expect(page.locator("#no-sync-runs")).to_be_visible()

        page.goto(f"{base}/events")
        disconnect = page.get_by_role("button", name="Disconnect")
        answers: list[bool] = []

        def answer(dialog: Dialog) -> None:
            assert seeded.drive.email in dialog.message
            if answers:
                dialog.accept()
            else:
                dialog.dismiss()
            answers.append(True)

        page.on("dialog", answer)
        disconnect.click()  # dismissed: nothing happens
        expect(page.locator("#google-accounts > li")).to_have_count(1)
        disconnect.click()
        expect(page.locator("#google-notice")).to_contain_text("The Google account was disconnected.")
        expect(page).to_have_url(f"{base}/events")
        # the event still reads with it: kept without its grant, so connecting it again resumes the event
        expect(page.locator("#google-accounts > li")).to_have_count(1)
        expect(page.locator("#google-accounts > li")).to_contain_text("reconnect needed")
        expect(page.locator("#events .reconnect-badge")).to_have_text("reconnect needed")
        screenshot(page, "drive-dashboard-disconnected-desktop", full_page=True)
