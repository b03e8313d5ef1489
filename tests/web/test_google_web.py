"""Connecting Google Drive in the browser flow and Drive's webhook, through the app and the fake Drive.

The fake serves Google's consent screen (/auth), token and revoke endpoints and Drive itself; the
test plays the browser: it follows the redirects by hand, as a browser would.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from eventface.db.tables import GoogleAccountRow
from eventface.domain.models import AccountStatus, Event
from eventface.services import drive_push, events, sync
from tests.fakes.drive import FakeDrive
from tests.fakes.photos import jpeg_with_squares
from tests.harness.drive import DriveOptions, client_secrets
from tests.web.conftest import MakeWeb, Photographer, Web

CALLBACK = "http://testserver/google/callback"
PUBLIC = "https://photos.example.com"


@pytest.fixture
def drive_options() -> DriveOptions:
    return {"email": "Ploy.Photos@gmail.com"}


@pytest.fixture
def secrets_file(tmp_path: Path, drive: FakeDrive) -> Path:
    path = tmp_path / "client_secret.json"
    path.write_text(json.dumps(client_secrets(drive, redirect_uris=[CALLBACK])))
    return path


@dataclass
class Site:
    web: Web
    drive: FakeDrive
    ploy: Photographer
    origin: str = "http://testserver"  # where Google sends the browser back to

    def connect(self, next_path: str = "/events") -> httpx.URL:
        """Plays the browser through Google's consent; returns where eventface sent it back to."""
        start = self.web.client.get(f"/google/connect?next={next_path}", follow_redirects=False)
        assert start.status_code == 303, start.text
        consent = httpx.get(start.headers["location"], follow_redirects=False)
        assert consent.status_code == 302, consent.text
        back = consent.headers["location"]
        assert back.startswith(f"{self.origin}/google/callback?")
        done = self.web.client.get(back.removeprefix(self.origin), follow_redirects=False)
        assert done.status_code == 303, done.text
        return httpx.URL(done.headers["location"])

    def accounts(self) -> list[GoogleAccountRow]:
        with self.web.transaction() as uow:
            rows = list(uow.session.scalars(select(GoogleAccountRow)))
            uow.session.expunge_all()
            return rows


@pytest.fixture
def site(make_web: MakeWeb, drive: FakeDrive, secrets_file: Path) -> Site:
    web = make_web(google_client_secrets_file=secrets_file, drive_api_url=drive.api_endpoint)
    ploy = web.photographer("ploy@example.com")
    web.login(ploy.email)
    return Site(web, drive, ploy)


def test_connecting_stores_the_grant_sealed_and_says_so(site: Site) -> None:
    back = site.connect("/events/new")

    assert (back.path, back.params.get("google")) == ("/events/new", "connected")
    (row,) = site.accounts()
    assert (row.owner_id, row.email, row.status) == (site.ploy.id, "ploy.photos@gmail.com", "connected")
    assert site.drive.refresh_token not in row.credentials  # sealed, not JSON in the clear
    assert "refresh_token" not in row.credentials


def test_the_consent_url_asks_for_offline_drive_access_with_pkce(site: Site) -> None:
    start = site.web.client.get("/google/connect", follow_redirects=False)

    url = httpx.URL(start.headers["location"])
    assert url.params["access_type"] == "offline"
    assert url.params["redirect_uri"] == CALLBACK
    assert "https://www.googleapis.com/auth/drive.readonly" in url.params["scope"].split()
    assert url.params["code_challenge_method"] == "S256" and url.params["state"]


def test_cancel_on_googles_screen_comes_back_as_denied(site: Site) -> None:
    site.drive.deny_next_consent()

    assert site.connect().params.get("google_error") == "denied"
    assert site.accounts() == []


def test_unticking_drive_comes_back_as_no_drive_and_stores_nothing(site: Site) -> None:
    site.drive.untick_drive_next_consent()

    assert site.connect().params.get("google_error") == "no_drive"
    assert site.accounts() == []


def test_a_callback_with_a_forged_state_is_refused(site: Site) -> None:
    start = site.web.client.get("/google/connect", follow_redirects=False)
    consent = httpx.get(start.headers["location"], follow_redirects=False)
    forged = httpx.URL(consent.headers["location"]).copy_set_param("state", "attacker")

    done = site.web.client.get(f"/google/callback?{forged.query.decode()}", follow_redirects=False)

    assert httpx.URL(done.headers["location"]).params.get("google_error") == "failed"
    assert site.accounts() == []


def test_connect_needs_a_signed_in_photographer_and_a_configured_client(make_web: MakeWeb) -> None:
    web = make_web()
    assert web.client.get("/google/connect", follow_redirects=False).headers["location"].startswith("/login")
    owner = web.photographer("x@example.com")
    web.login(owner.email)
    assert web.client.get("/google/connect", follow_redirects=False).status_code == 404


def test_disconnect_revokes_at_google_and_forgets_the_grant(site: Site) -> None:
    site.connect()
    (row,) = site.accounts()
    csrf = site.web.csrf_token()

    done = site.web.client.post(
        f"/google/accounts/{row.id}/disconnect", data={"csrf_token": csrf}, follow_redirects=False
    )

    assert httpx.URL(done.headers["location"]).params.get("google") == "disconnected"
    assert site.accounts() == []
    refused = httpx.post(
        site.drive.token_uri,
        data={
            "grant_type": "refresh_token",
            "refresh_token": f"{site.drive.refresh_token}-1",
            "client_id": site.drive.client_id,
            "client_secret": site.drive.client_secret,
        },
    )
    assert refused.json()["error"] == "invalid_grant"


def test_another_photographer_cannot_disconnect_an_account(site: Site) -> None:
    site.connect()
    (row,) = site.accounts()
    other = site.web.photographer("other@example.com")
    csrf = site.web.login(other.email)

    answer = site.web.client.post(f"/google/accounts/{row.id}/disconnect", data={"csrf_token": csrf})

    assert answer.status_code == 404
    assert len(site.accounts()) == 1


# --- push notifications


@dataclass
class Pushed:
    site: Site
    event: Event
    folder: str


@pytest.fixture
def pushed(make_web: MakeWeb, drive: FakeDrive, secrets_file: Path) -> Pushed:
    web = make_web(
        google_client_secrets_file=secrets_file, drive_api_url=drive.api_endpoint, public_base_url=PUBLIC
    )
    web.client.base_url = httpx.URL("https://testserver")  # the session cookie is https-only now
    ploy = web.photographer("ploy@example.com")
    web.login(ploy.email)
    site = Site(web, drive, ploy, origin=PUBLIC)
    site.connect()
    folder = drive.add_folder("Wedding")
    drive.add_photo(folder, "a.jpg", jpeg_with_squares([("red", (10, 10), 50)]))
    event = events.create_drive_event(web.runtime.google, "Wedding", folder, "fake", owner_id=ploy.id)
    enabled = web.client.post(
        f"/api/event/{event.id}/auto-sync/enable", json={"interval_minutes": 60}, headers=ploy.auth
    )
    assert enabled.status_code == 200, enabled.text
    return Pushed(site, event, folder)


def notify(web: Web, channel_id: str, token: str | None, state: str = "change") -> httpx.Response:
    headers = {"X-Goog-Channel-ID": channel_id, "X-Goog-Resource-State": state, "X-Goog-Resource-ID": "r"}
    if token is not None:
        headers["X-Goog-Channel-Token"] = token
    return web.client.post(drive_push.WEBHOOK_PATH, headers=headers)


def test_enabling_auto_sync_opens_one_channel_to_the_https_webhook(pushed: Pushed) -> None:
    (channel,) = pushed.site.drive.channels

    assert channel.address == PUBLIC + drive_push.WEBHOOK_PATH
    assert channel.token and len(channel.token) >= 32
    status = pushed.site.web.client.get(
        f"/api/event/{pushed.event.id}/auto-sync/status", headers=pushed.site.ploy.auth
    ).json()
    assert (status["push_notifications"], status["source"], status["reconnect_needed"]) == (
        True,
        "google_drive",
        False,
    )


def test_a_notification_with_the_channel_token_syncs_the_event_at_once(pushed: Pushed) -> None:
    drive, web = pushed.site.drive, pushed.site.web
    (channel,) = drive.channels
    drive.add_photo(pushed.folder, "new.jpg", jpeg_with_squares([("blue", (10, 10), 50)]))

    answer = notify(web, channel.id, channel.token)

    assert answer.status_code == 200
    with web.transaction() as uow:  # the queue is immediate here: the sync ran inside the request
        status = sync.auto_sync_status(uow, str(pushed.event.id))
        runs = uow.sync_runs.recent(pushed.event.id)
    assert status.photos_total == 2
    assert runs[0].trigger.value == "push" and runs[0].added == 1


@pytest.mark.parametrize("token", ["wrong-token", None])
def test_a_notification_with_a_wrong_or_missing_token_is_rejected(pushed: Pushed, token: str | None) -> None:
    web = pushed.site.web
    (channel,) = pushed.site.drive.channels
    with web.transaction() as uow:
        before = uow.sync_runs.recent(pushed.event.id)

    answer = notify(web, channel.id, token)

    assert answer.status_code == 403
    with web.transaction() as uow:
        assert uow.sync_runs.recent(pushed.event.id) == before


def test_unknown_channels_and_non_notifications_are_refused(pushed: Pushed) -> None:
    web = pushed.site.web

    assert notify(web, "no-such-channel", "x").status_code == 404
    assert web.client.post(drive_push.WEBHOOK_PATH).status_code == 400


def test_drives_sync_hello_is_acknowledged_without_a_sync(pushed: Pushed) -> None:
    web = pushed.site.web
    (channel,) = pushed.site.drive.channels
    with web.transaction() as uow:
        before = len(uow.sync_runs.recent(pushed.event.id))

    assert notify(web, channel.id, channel.token, state="sync").status_code == 200
    with web.transaction() as uow:
        assert len(uow.sync_runs.recent(pushed.event.id)) == before


def test_disabling_the_last_syncing_event_stops_the_channel(pushed: Pushed) -> None:
    web = pushed.site.web

    web.client.post(f"/api/event/{pushed.event.id}/auto-sync/disable", headers=pushed.site.ploy.auth)

    assert pushed.site.drive.channels == []
    with web.transaction() as uow:
        assert uow.google_accounts.with_channels() == []


def test_a_channel_is_renewed_before_it_expires_without_a_gap(pushed: Pushed) -> None:
    web, drive = pushed.site.web, pushed.site.drive
    (old,) = drive.channels
    soon = datetime.fromtimestamp(int(old.expiration) / 1000, UTC) - drive_push.RENEW_BEFORE / 2

    report = drive_push.maintain_channels(web.runtime.google, PUBLIC, soon)

    (new,) = drive.channels
    assert (report.opened, new.id != old.id) == (1, True)
    assert notify(web, old.id, old.token).status_code == 404  # the old channel is forgotten
    assert notify(web, new.id, new.token).status_code == 200


def test_disconnecting_stops_the_channel_and_marks_the_events(pushed: Pushed) -> None:
    web = pushed.site.web
    (row,) = pushed.site.accounts()

    web.client.post(f"/google/accounts/{row.id}/disconnect", data={"csrf_token": web.csrf_token()})

    assert pushed.site.drive.channels == []
    with web.transaction() as uow:
        assert uow.events.google_account_state(pushed.event.id) is AccountStatus.RECONNECT_NEEDED


def test_no_channel_without_an_https_public_address(site: Site) -> None:
    site.connect()
    folder = site.drive.add_folder("Wedding")
    event = events.create_drive_event(site.web.runtime.google, "W", folder, "fake", owner_id=site.ploy.id)

    site.web.client.post(f"/api/event/{event.id}/auto-sync/enable", json={}, headers=site.ploy.auth)

    assert site.drive.channels == []  # polling alone: Drive can only call an https address


def test_no_token_or_secret_reaches_the_logs(
    make_web: MakeWeb, drive: FakeDrive, secrets_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):  # every logger, the Google client libraries' included
        web = make_web(
            google_client_secrets_file=secrets_file, drive_api_url=drive.api_endpoint, public_base_url=PUBLIC
        )
        web.client.base_url = httpx.URL("https://testserver")
        ploy = web.photographer("ploy@example.com")
        web.login(ploy.email)
        site = Site(web, drive, ploy, origin=PUBLIC)
        site.connect()
        folder = drive.add_folder("Wedding")
        drive.add_photo(folder, "a.jpg", jpeg_with_squares([("red", (10, 10), 50)]))
        event = events.create_drive_event(web.runtime.google, "W", folder, "fake", owner_id=ploy.id)
        web.client.post(f"/api/event/{event.id}/auto-sync/enable", json={}, headers=ploy.auth)
        (channel,) = drive.channels
        assert channel.token is not None
        notify(web, channel.id, channel.token)

    assert "sync completed" in caplog.text  # the logs were captured at all
    for secret in (drive.refresh_token, drive.client_secret, "ya29.fake-", channel.token, ploy.token):
        assert secret not in caplog.text


def test_the_api_creates_a_drive_event_and_refuses_a_wrong_link(site: Site) -> None:
    site.connect()
    folder = site.drive.add_folder("Wedding")
    auth = site.ploy.auth

    created = site.web.client.post("/api/events", json={"name": "W", "drive_folder": folder}, headers=auth)
    wrong = site.web.client.post(
        "/api/events", json={"name": "W", "drive_folder": "https://example.com/x"}, headers=auth
    )
    both = site.web.client.post(
        "/api/events", json={"name": "W", "drive_folder": folder, "folder": "/tmp"}, headers=auth
    )

    assert created.status_code == 201, created.text
    assert (wrong.status_code, "not a Google Drive link" in wrong.json()["detail"]) == (422, True)
    assert both.status_code == 422
    status = site.web.client.get(f"/api/event/{created.json()['id']}/auto-sync/status", headers=auth)
    assert status.json()["source"] == "google_drive"


def test_connecting_the_same_account_again_resumes_its_events(pushed: Pushed) -> None:
    web, drive = pushed.site.web, pushed.site.drive
    (row,) = pushed.site.accounts()
    web.client.post(f"/google/accounts/{row.id}/disconnect", data={"csrf_token": web.csrf_token()})
    (kept,) = pushed.site.accounts()  # an event reads with it: kept, without its grant
    assert (kept.id, kept.status, kept.credentials) == (row.id, "reconnect_needed", "")

    pushed.site.connect()
    drive.add_photo(pushed.folder, "b.jpg", jpeg_with_squares([("blue", (10, 10), 50)]))
    synced = web.client.post(
        f"/api/event/{pushed.event.id}/auto-sync/enable", json={}, headers=pushed.site.ploy.auth
    )

    assert synced.status_code == 200
    with web.transaction() as uow:
        assert uow.events.google_account_state(pushed.event.id) is AccountStatus.CONNECTED
        status = sync.auto_sync_status(uow, str(pushed.event.id))
    assert (status.last_error, status.photos_total, status.push_notifications) == (None, 2, True)
