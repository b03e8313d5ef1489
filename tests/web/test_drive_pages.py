"""The photographer's pages for Google Drive: the dashboard card, a Drive event through the form,
the event page's source, reconnect warning and sync activity.

The runtime reads Drive through the fake Drive (the real google-api-python-client over HTTP);
grants are stored as the OAuth callback would store them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete

from eventface.db.tables import GoogleAccountRow
from eventface.domain.models import Event, GoogleAccount, SourceKind, SyncTrigger
from eventface.jobs.tasks import sync_event
from eventface.services import events, google_accounts, sync
from eventface.web import pages
from eventface.web.i18n import THAI
from tests.fakes.drive import FakeDrive
from tests.fakes.photos import jpeg_with_squares
from tests.harness.drive import authorized_user_info
from tests.web.conftest import MakeWeb, Photographer, Web

OWNER = "ploy@example.com"
GOOGLE_EMAIL = "ploy.photos@gmail.com"
OTHER_EMAIL = "ploy.studio@gmail.com"
REFUSAL = "Google refused the stored access: reconnect the Google account"


@dataclass
class Site:
    """The app on the fake Drive, with a signed-in photographer."""

    web: Web
    drive: FakeDrive
    owner: Photographer
    csrf: str

    def connect(self, email: str = GOOGLE_EMAIL) -> GoogleAccount:
        with self.web.transaction() as uow:
            account: GoogleAccount = google_accounts.save_grant(
                uow, self.web.runtime.google.box, self.owner.id, email, authorized_user_info(self.drive)
            )
        return account

    def refuse(self, account: GoogleAccount) -> None:
        with self.web.transaction() as uow:
            uow.google_accounts.mark_reconnect_needed(account.id, REFUSAL)

    def drive_event(self, folder: str, name: str = "Wedding", email: str | None = None) -> Event:
        return events.create_drive_event(
            self.web.runtime.google, name, folder, "fake", owner_id=self.owner.id, account_email=email
        )

    def page(self, path: str) -> str:
        response = self.web.client.get(path)
        assert response.status_code == 200, response.text
        return html.unescape(response.text)

    def create(self, **form: str) -> Any:
        return self.web.client.post(
            "/events", data={"csrf_token": self.csrf, "name": "Wedding", **form}, follow_redirects=False
        )


def make_site(make_web: MakeWeb, drive: FakeDrive, **settings: Any) -> Site:
    web = make_web(drive_api_url=drive.api_endpoint, **settings)
    owner = web.photographer(OWNER)
    return Site(web, drive, owner, web.login(OWNER))


@pytest.fixture
def site(make_web: MakeWeb, drive: FakeDrive) -> Site:
    """Google Drive configured on the server (an OAuth client is set)."""
    return make_site(make_web, drive, google_client_id="test-client-id", google_client_secret="secret")


@pytest.fixture
def unconfigured(make_web: MakeWeb, drive: FakeDrive) -> Site:
    return make_site(make_web, drive)


def photo(*colours: str) -> bytes:
    return jpeg_with_squares([(colour, (10 + 70 * i, 40), 50) for i, colour in enumerate(colours)])


def wedding_folder(drive: FakeDrive) -> str:
    root = drive.add_folder("Wedding")
    drive.add_photo(root, "couple.jpg", photo("red", "green"))
    drive.add_photo(drive.add_folder("Party", parent=root), "dance.jpg", photo("blue"))
    return root


def folder_link(folder: str) -> str:
    return f"https://drive.google.com/drive/u/0/folders/{folder}?usp=sharing"


def opening_tag(page: str, element_id: str) -> str:
    match = re.search(rf'<\w+[^>]*\bid="{element_id}"[^>]*>', page)
    assert match is not None, f"no #{element_id} on the page"
    return match.group(0)


def section(page: str, element_id: str) -> str:
    """The text of the element with that id, down to its closing tag (no nesting of the same tag)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert match is not None, f"no #{element_id} on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


# --- dashboard: the Google Drive card ----------------------------------------------------------------


def test_the_dashboard_offers_to_connect_google_drive_when_the_server_can(site: Site) -> None:
    page = site.page("/events")

    assert 'id="google-connect" href="/google/connect?next=/events"' in page
    assert "Connect Google Drive" in section(page, "google-connect")
    assert 'id="google-accounts"' not in page
    assert 'id="google-not-configured"' not in page


def test_the_dashboard_tells_who_must_set_up_google_when_the_server_cannot(unconfigured: Site) -> None:
    page = unconfigured.page("/events")

    hint = section(page, "google-not-configured")
    assert "the server admin must set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET" in hint
    assert "/google/connect" not in page


def test_the_dashboard_lists_accounts_with_their_state_and_a_way_out(site: Site) -> None:
    fine = site.connect(GOOGLE_EMAIL)
    refused = site.connect(OTHER_EMAIL)
    site.refuse(refused)

    page = site.page("/events")

    accounts = re.findall(r'<li class="account" data-account-id="(\d+)">(.*?)</li>', page, re.S)
    by_id = {int(account_id): body for account_id, body in accounts}
    assert set(by_id) == {fine.id, refused.id}
    assert GOOGLE_EMAIL in by_id[fine.id] and ">connected<" in by_id[fine.id]
    assert "Reconnect" not in by_id[fine.id]
    assert OTHER_EMAIL in by_id[refused.id] and ">reconnect needed<" in by_id[refused.id]
    assert "it was removed, or it expired" in by_id[refused.id]
    assert REFUSAL in by_id[refused.id]
    assert 'href="/google/connect?next=/events">Reconnect' in by_id[refused.id]
    for account_id, body in by_id.items():
        assert f'action="/google/accounts/{account_id}/disconnect"' in body
        assert f'name="csrf_token" value="{site.csrf}"' in body
        assert "data-confirm=" in body
    assert "Connect another Google account" in section(page, "google-connect")


def test_an_account_to_reconnect_has_no_reconnect_link_when_google_is_not_set_up(unconfigured: Site) -> None:
    unconfigured.refuse(unconfigured.connect())

    page = unconfigured.page("/events")

    assert "reconnect needed" in page
    assert "/google/connect" not in page


@pytest.mark.parametrize(
    ("query", "element_id", "text"),
    [
        ("google=connected", "google-notice", "Google Drive is connected."),
        ("google=disconnected", "google-notice", "stop syncing until you connect the account again"),
        ("google_error=denied", "google-error", "You cancelled the Google sign-in"),
        ("google_error=no_drive", "google-error", "tick the box that lets eventface see your Google Drive"),
        ("google_error=failed", "google-error", "Google sign-in failed. Please try again."),
    ],
)
def test_the_outcome_of_connecting_google_is_shown_once_back(
    site: Site, query: str, element_id: str, text: str
) -> None:
    page = site.page(f"/events?{query}")

    assert text in section(page, element_id)


def test_an_unknown_outcome_shows_no_banner(site: Site) -> None:
    page = site.page("/events?google=hacked&google_error=<script>")

    assert 'id="google-notice"' not in page and 'id="google-error"' not in page


def test_the_outcome_banner_speaks_thai(site: Site) -> None:
    page = site.page("/events?google_error=no_drive&lang=th")

    assert THAI[pages.GOOGLE_ERRORS["no_drive"]] in section(page, "google-error")
    assert "เชื่อมต่อบัญชี Google อื่น" not in page  # no account yet
    assert "เชื่อมต่อ Google ไดรฟ์" in section(page, "google-connect")


@pytest.mark.parametrize("text", pages.PAGE_MESSAGES)
def test_every_message_the_pages_module_shows_has_a_thai_translation(text: str) -> None:
    assert THAI.get(text, "").strip(), f"no Thai translation for {text!r} (add it to web/i18n.py)"


# --- dashboard: event rows ----------------------------------------------------------------------------


def event_row(page: str, event: Event) -> str:
    match = re.search(rf'<li class="card event-row" data-event-id="{event.id}">(.*?)</li>', page, re.S)
    assert match is not None, f"no row for event {event.id}"
    return " ".join(match.group(1).split())


def test_event_rows_show_the_source_a_refused_account_and_the_last_days_syncs(
    site: Site, tmp_path: Any
) -> None:
    account = site.connect()
    drive_event = site.drive_event(wedding_folder(site.drive))
    studio = tmp_path / "studio"  # not tmp_path itself: it holds the data dir
    studio.mkdir()
    local_event = site.web.event(site.owner, studio, name="Studio")
    assert sync_event(site.web.runtime, drive_event.id, SyncTrigger.MANUAL, when_due=False).status == "synced"
    now = datetime.now(UTC)
    with site.web.transaction() as uow:
        failed = uow.sync_runs.start(drive_event.id, SyncTrigger.PUSH, now)
        uow.sync_runs.finish(failed, now, error="Google Drive cannot be reached")
        old = uow.sync_runs.start(drive_event.id, SyncTrigger.SCHEDULE, now - timedelta(days=2))
        uow.sync_runs.finish(old, now - timedelta(days=2), added=40, removed=9)
    site.refuse(account)

    page = site.page("/events")

    drive_row = event_row(page, drive_event)
    assert "Google Drive" in drive_row
    assert "reconnect needed" in drive_row
    # the two syncs of today: two photos added (the listing), one failure; not the old run's 40
    assert "+2" in drive_row and "−0" in drive_row and "· 2 syncs" in drive_row and "· 1 failed" in drive_row
    assert re.search(
        r'<time datetime="[^"]+" class="local-time">\d{1,2} [A-Z][a-z]{2,3} \d{4}, \d\d:\d\d UTC</time>',
        drive_row,
    )
    local_row = event_row(page, local_event)
    assert str(studio) in local_row
    assert "reconnect needed" not in local_row and "Google Drive" not in local_row
    assert "no syncs" in local_row and "never" in local_row


def test_a_drive_event_whose_account_was_disconnected_must_be_reconnected(site: Site) -> None:
    account = site.connect()
    event = site.drive_event(wedding_folder(site.drive))
    with site.web.transaction() as uow:  # what deleting the photographer's Google account row leaves
        uow.session.execute(delete(GoogleAccountRow).where(GoogleAccountRow.id == account.id))

    page = site.page("/events")

    assert "reconnect needed" in event_row(page, event)


# --- the new-event form ----------------------------------------------------------------------------


def test_the_form_offers_both_sources_and_the_connected_account(site: Site) -> None:
    site.connect()

    page = site.page("/events/new")

    assert 'name="source" value="local_folder" id="source-local" checked' in page
    assert 'name="source" value="google_drive" id="source-drive" >' in page
    assert 'id="drive_link" name="drive_link"' in page
    assert f'<input type="hidden" name="google_account" value="{GOOGLE_EMAIL}">' in page
    assert 'id="google-connect"' not in page


def test_without_an_account_the_form_offers_to_connect_and_comes_back_to_drive(site: Site) -> None:
    page = site.page("/events/new")

    assert 'id="google-connect" href="/google/connect?next=/events/new"' in page
    assert 'id="drive_link"' not in page

    back = site.page("/events/new?google=connected")
    assert 'value="google_drive" id="source-drive" checked' in back
    assert "Google Drive is connected." in section(back, "google-notice")


def test_several_accounts_are_a_choice_and_a_refused_one_cannot_be_chosen(site: Site) -> None:
    site.connect(GOOGLE_EMAIL)
    site.refuse(site.connect(OTHER_EMAIL))

    page = site.page("/events/new")

    options = re.findall(r'<option value="([^"]+)"\s*([^>]*)>', page)
    assert [(value, "disabled" in attrs) for value, attrs in options] == [
        (GOOGLE_EMAIL, False),
        (OTHER_EMAIL, True),
    ]
    assert 'href="/google/connect?next=/events/new" class="google-connect">Reconnect' in page


def test_a_drive_event_is_created_from_a_pasted_folder_link(site: Site) -> None:
    site.connect(OTHER_EMAIL)
    chosen = site.connect(GOOGLE_EMAIL)
    folder = wedding_folder(site.drive)

    response = site.create(
        name="Garden party",
        event_date="2026-02-14",
        source="google_drive",
        drive_link=folder_link(folder),
        google_account=GOOGLE_EMAIL,
    )

    assert response.status_code == 303, response.text
    event_id = int(response.headers["location"].rsplit("/", 1)[1])
    with site.web.transaction() as uow:
        event = uow.events.get(event_id)
    assert (event.name, event.source_kind, event.source_uri) == (
        "Garden party",
        SourceKind.GOOGLE_DRIVE,
        folder,
    )
    assert event.google_account_id == chosen.id
    assert event.event_date is not None and event.event_date.isoformat() == "2026-02-14"


def test_a_local_folder_event_is_still_created_with_or_without_the_source_field(
    site: Site, tmp_path: Any
) -> None:
    folder = tmp_path / "studio"  # not tmp_path itself: it holds the data dir
    folder.mkdir()
    for form in ({"folder": str(folder)}, {"folder": str(folder), "source": "local_folder"}):
        response = site.create(**form)
        assert response.status_code == 303, response.text


def refused_form(site: Site, **form: str) -> str:
    response = site.create(**form)
    assert response.status_code == 422, response.text
    return html.unescape(response.text)


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("https://example.com/folders/abc", "This is not the link of a Google Drive folder"),
        ("", "Paste the link of a Google Drive folder"),
        (
            "https://drive.google.com/file/d/1abcdefghijklmnop/view",
            "This is the link of a file, not of a folder",
        ),
        (
            "1" + "x" * 32,
            "This Google Drive folder does not exist or is not shared with the connected account",
        ),
    ],
)
def test_a_wrong_link_is_refused_with_the_reason_and_the_typed_values_kept(
    site: Site, link: str, message: str
) -> None:
    site.connect()

    page = refused_form(site, name="Gala", event_date="2026-03-01", source="google_drive", drive_link=link)

    assert message in section(page, "form-error")
    assert 'id="name" name="name" required maxlength="200" value="Gala"' in page
    assert 'value="2026-03-01"' in page
    assert f'value="{link}"' in opening_tag(page, "drive_link")
    assert 'value="google_drive" id="source-drive" checked' in page
    with site.web.transaction() as uow:
        assert uow.events.summaries() == []


def test_a_link_to_a_file_found_at_drive_is_refused(site: Site) -> None:
    site.connect()
    a_file = site.drive.add_photo(wedding_folder(site.drive), "single.jpg", photo("red"))

    page = refused_form(site, source="google_drive", drive_link=a_file)

    assert "This is the link of a file, not of a folder" in section(page, "form-error")


def test_a_drive_event_without_a_connected_account_asks_to_connect_one(site: Site) -> None:
    page = refused_form(site, source="google_drive", drive_link=folder_link(wedding_folder(site.drive)))

    assert "Connect Google Drive first" in section(page, "form-error")
    assert 'id="google-connect" href="/google/connect?next=/events/new"' in page


def test_a_refused_account_is_marked_and_the_form_says_to_reconnect(site: Site) -> None:
    account = site.connect()
    folder = wedding_folder(site.drive)
    site.drive.revoke()
    site.web.runtime.google.forget(account.id)  # no cached access token, as in a new process

    page = refused_form(site, source="google_drive", drive_link=folder, google_account=GOOGLE_EMAIL)

    assert "Google no longer accepts eventface's access to this account" in section(page, "form-error")
    assert "reconnect needed" in page


def test_the_form_errors_speak_thai(site: Site) -> None:
    site.connect()

    response = site.web.client.post(
        "/events?lang=th",
        data={"csrf_token": site.csrf, "name": "Gala", "source": "google_drive", "drive_link": ""},
    )

    assert response.status_code == 422
    assert THAI["paste the link of a Google Drive folder"] in section(
        html.unescape(response.text), "form-error"
    )


# --- the event page ------------------------------------------------------------------------------


def test_a_drive_events_page_links_its_folder_and_names_its_account(site: Site) -> None:
    site.connect()
    folder = wedding_folder(site.drive)
    event = site.drive_event(folder)

    page = site.page(f"/events/{event.id}")

    assert f'href="https://drive.google.com/drive/folders/{folder}"' in page
    assert section(page, "drive-account") == GOOGLE_EMAIL
    assert 'id="reconnect-warning"' not in page
    assert "No syncs yet" in section(page, "no-sync-runs")


def test_the_sync_activity_lists_recent_syncs(site: Site) -> None:
    site.connect()
    folder = wedding_folder(site.drive)
    event = site.drive_event(folder)
    runtime = site.web.runtime
    assert sync_event(runtime, event.id, SyncTrigger.MANUAL, when_due=False).status == "synced"
    site.drive.add_photo(folder, "cake.jpg", photo("green"))
    assert sync_event(runtime, event.id, SyncTrigger.PUSH, when_due=False).status == "synced"
    with site.web.transaction() as uow:
        run = uow.sync_runs.start(event.id, SyncTrigger.SCHEDULE, datetime.now(UTC))
        uow.sync_runs.finish(run, datetime.now(UTC), error="Google Drive cannot be reached: timed out")

    page = site.page(f"/events/{event.id}")

    runs = [
        " ".join(re.sub(r"<[^>]+>", " ", body).split())
        for body in re.findall(r'<li class="sync-run[^"]*">(.*?)</li>', page, re.S)
    ]
    assert len(runs) == 3
    scheduled, push, manual = runs  # newest first
    assert "Scheduled" in scheduled and "Google Drive cannot be reached: timed out" in scheduled
    assert "Drive push" in push and "+1 added ~0 changed −0 removed" in push
    assert "full listing" not in push
    assert "Manual" in manual and "+2 added" in manual and "full listing" in manual
    assert 'id="no-sync-runs"' not in page


def test_a_refused_account_puts_a_reconnect_warning_on_the_event_page(site: Site) -> None:
    account = site.connect()
    event = site.drive_event(wedding_folder(site.drive))
    site.refuse(account)

    page = site.page(f"/events/{event.id}")

    warning = section(page, "reconnect-warning")
    assert "This event has stopped syncing" in warning
    assert REFUSAL in warning
    assert f'id="reconnect" href="/google/connect?next=/events/{event.id}"' in page


def test_a_disconnected_account_puts_a_reconnect_warning_on_the_event_page(site: Site) -> None:
    account = site.connect()
    event = site.drive_event(wedding_folder(site.drive))
    with site.web.transaction() as uow:  # what deleting the photographer's Google account row leaves
        uow.session.execute(delete(GoogleAccountRow).where(GoogleAccountRow.id == account.id))

    page = site.page(f"/events/{event.id}")

    assert "Its Google account was disconnected." in section(page, "reconnect-warning")
    assert section(page, "drive-account") == "disconnected"


def test_a_failed_sync_shows_its_error_on_the_event_page(site: Site) -> None:
    site.connect()
    event = site.drive_event(wedding_folder(site.drive))
    with site.web.transaction() as uow:
        sync.finish_sync(uow, event.id, datetime.now(UTC), "Google Drive cannot be reached: timed out")

    page = site.page(f"/events/{event.id}")

    assert "hidden" not in opening_tag(page, "sync-error")
    assert "The last sync failed: Google Drive cannot be reached: timed out" in section(page, "sync-error")
