"""Email notifications of new photos (issue 14), against a real SMTP server (aiosmtpd) that the
test reads, the fake colour-square engine, and the Huey queue in immediate mode: an index run
ends with its notification pass, and a mail is in the inbox when the request returns."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from eventface.db.tables import EventRow, NotifyMatchRow, NotifySubscriptionRow
from eventface.domain.models import Event
from eventface.jobs.tasks import digest_sender, notify_subscribers
from eventface.services import branding
from eventface.web import notify_pages
from eventface.web.i18n import THAI
from eventface.web.notify_pages import NotifyMails
from tests.conftest import WritePhoto
from tests.harness.smtp import SmtpServer, body
from tests.web.conftest import MakeWeb, Photographer, Web
from tests.web.test_guest_api import selfie

GUEST = "guest.person@example.com"
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/e/[^/\s]+/notify/confirm/[^\s\"<]+)")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Party:
    web: Web
    smtp: SmtpServer
    owner: Photographer
    event: Event
    folder: Path
    write_photo: WritePhoto

    def subscribe(
        self, *colours: str, email: str = GUEST, lang: str = "en", consent: str = "true", slug: str = ""
    ) -> Any:
        files: list[tuple[str, tuple[str | None, bytes | str, str | None]]] = [
            ("selfies", ("selfie.jpg", selfie(*colours), "image/jpeg"))
        ]
        files += [("consent", (None, consent, None)), ("email", (None, email, None))]
        files.append(("language", (None, lang, None)))
        return self.web.client.post(f"/api/e/{slug or self.event.slug}/subscribe", files=files)

    def add_photo(self, name: str, colour: str) -> None:
        """A new photo of `colour` lands in the folder and is indexed (its notification pass with it)."""
        self.write_photo(self.folder / name, [(colour, (40, 40), 60)])
        self.web.index(self.owner, self.event)

    def messages(self) -> list[EmailMessage]:
        return list(self.smtp.inbox.messages)

    def confirm_path(self, message: EmailMessage) -> str:
        found = CONFIRM_LINK.search(body(message, "plain"))
        assert found is not None, body(message, "plain")
        return found.group(1)

    def confirm(self, path: str) -> Any:
        page = self.web.client.get(path)
        assert page.status_code == 200, page.text
        token = CSRF.search(page.text)
        assert token is not None
        return self.web.client.post(path, data={"csrf_token": token.group(1)})

    def subscriptions(self) -> list[NotifySubscriptionRow]:
        with self.web.transaction() as uow:
            rows = list(uow.session.scalars(select(NotifySubscriptionRow)))
            uow.session.expunge_all()
            return rows


@pytest.fixture
def party_for(make_web: MakeWeb, smtp_server: SmtpServer, tmp_path: Path, write_photo: WritePhoto) -> Any:
    def make(**settings: Any) -> Party:
        settings.setdefault("notify_digest_minutes", 0)
        web = make_web(smtp_url=smtp_server.url, mail_from="Photos <noreply@photos.example.org>", **settings)
        owner = web.photographer("alice@example.com")
        folder = tmp_path / "photos" / "party"
        write_photo(folder / "red.jpg", [("red", (40, 40), 60)])
        write_photo(folder / "blue.jpg", [("blue", (40, 40), 60)])
        event = web.event(owner, folder, "Garden party")
        web.index(owner, event)
        return Party(web, smtp_server, owner, event, folder, write_photo)

    return make


@pytest.fixture
def party(party_for: Any) -> Party:
    made: Party = party_for()
    return made


def digests(party: Party) -> list[EmailMessage]:
    return [m for m in party.messages() if "List-Unsubscribe" in m]


def confirmed_subscriber(party: Party, lang: str = "en") -> None:
    assert party.subscribe("red", lang=lang).status_code == 202
    (message,) = party.smtp.inbox.wait_for(1)
    assert party.confirm(party.confirm_path(message)).status_code == 200


# --- the whole way ------------------------------------------------------------------------------


def test_subscribe_confirm_get_a_digest_see_the_photos_and_unsubscribe(
    party: Party, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = party.subscribe("red", lang="th")
    assert answer.status_code == 202 and answer.json()["status"] == "pending"
    assert "ยืนยัน" in answer.json()["message"]

    (confirmation,) = party.smtp.inbox.wait_for(1)
    assert confirmation["To"] == GUEST and confirmation["Content-Language"] == "th"
    assert confirmation["Subject"] == "ยืนยัน: ส่งอีเมลแจ้งรูปใหม่ของฉันจากงาน Garden party"
    path = party.confirm_path(confirmation)
    assert path in body(confirmation, "html") and "หากไม่ใช่คุณ" in body(confirmation, "plain")

    # a photo of the guest before the confirmation: nothing is sent
    party.add_photo("red-early.jpg", "red")
    assert len(party.messages()) == 1
    # opening the link (as a mail scanner does) confirms nothing
    page = party.web.client.get(path)
    assert page.status_code == 200 and 'id="notify-confirm-button"' in page.text
    assert [s.confirmed_at for s in party.subscriptions()] == [None]

    done = party.confirm(path)
    assert done.status_code == 200 and 'id="notify-confirmed"' in done.text
    party.add_photo("red-late.jpg", "red")

    (digest,) = digests(party)
    assert digest["To"] == GUEST and digest["Content-Language"] == "th"
    assert digest["Subject"] == "รูปใหม่ของคุณจากงาน Garden party"
    assert "มีรูปใหม่ของคุณ 2 รูปในงาน Garden party" in body(digest, "plain")  # early and late
    unsubscribe_url = digest["List-Unsubscribe"].strip("<>")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_url in body(digest, "plain") and unsubscribe_url in body(digest, "html")

    # the link in the digest shows the photos, no selfie asked for; their thumbnails load
    photos_path = re.sub(r"^https?://[^/]+", "", unsubscribe_url.removesuffix("/unsubscribe"))
    photos = party.web.client.get(photos_path)
    assert photos.status_code == 200
    thumbs = re.findall(r'<img src="([^"]+/thumb)" alt="([^"]+)"', photos.text)
    assert sorted(name for _, name in thumbs) == ["red-early.jpg", "red-late.jpg"]
    assert all(party.web.client.get(url).headers["content-type"] == "image/jpeg" for url, _ in thumbs)

    # a mail client's one-click unsubscribe (RFC 8058): no cookie, no CSRF token
    party.web.client.cookies.clear()
    gone = party.web.client.post(
        re.sub(r"^https?://[^/]+", "", unsubscribe_url), data={"List-Unsubscribe": "One-Click"}
    )
    assert gone.status_code == 200 and 'id="notify-unsubscribed"' in gone.text
    assert party.subscriptions() == []
    with party.web.transaction() as uow:
        assert uow.session.scalar(select(func.count()).select_from(NotifyMatchRow)) == 0
    assert party.web.client.get(photos_path).status_code == 404
    party.add_photo("red-after.jpg", "red")
    assert len(digests(party)) == 1

    # nothing of the guest in eventface's (or Huey's) logs: address, tokens, or the embeddings;
    # the test's own SMTP server and HTTP client log what they see, as they should
    ours = [r for r in caplog.records if r.name.split(".")[0] in {"eventface", "huey", "uvicorn"}]
    assert any(r.name == "eventface.web.app" for r in ours)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    secrets = [GUEST, path.rsplit("/", 1)[1], photos_path.rsplit("/", 1)[1], "embedding"]
    assert [s for s in secrets if s in logged] == []


def test_the_emails_carry_the_photographers_brand(party: Party) -> None:
    with party.web.transaction() as uow:
        branding.save_brand(uow, party.owner.id, "Nok Studio", "@nokstudio", "", "https://nok.example")
    confirmed_subscriber(party, lang="th")
    party.add_photo("red-2.jpg", "red")
    confirmation, digest = party.messages()
    for message in (confirmation, digest):
        plain, html = body(message, "plain"), body(message, "html")
        assert "ภาพโดย Nok Studio" in plain and "LINE: https://line.me/R/ti/p/@nokstudio" in plain
        assert "<strong>Nok Studio</strong>" in html and 'href="https://nok.example"' in html
    # a photographer with no brand: no empty footer
    with party.web.transaction() as uow:
        branding.save_brand(uow, party.owner.id, "", "", "", "")
    party.add_photo("red-3.jpg", "red")
    assert "ภาพโดย" not in body(digests(party)[-1], "plain")


def test_a_strangers_new_photo_sends_nothing(party: Party) -> None:
    confirmed_subscriber(party)

    party.add_photo("blue-2.jpg", "blue")
    party.add_photo("green.jpg", "green")

    assert digests(party) == []


def test_photos_already_there_when_the_guest_subscribed_are_not_new(party: Party) -> None:
    confirmed_subscriber(party)
    party.web.index(party.owner, party.event)  # red.jpg was there before: nothing new

    assert digests(party) == []


def test_one_digest_per_window_lists_every_photo_of_it(party_for: Any) -> None:
    party: Party = party_for(notify_digest_minutes=15)
    confirmed_subscriber(party)
    party.add_photo("red-1.jpg", "red")
    party.add_photo("red-2.jpg", "red")
    assert digests(party) == []  # found, but the window is open

    rt = party.web.runtime
    send = digest_sender(NotifyMails(party.web.context.templates), party.web.context.tasks.send_mail)
    now = datetime.now(UTC)
    notify_subscribers(rt, send, now + timedelta(minutes=14))
    assert digests(party) == []
    notify_subscribers(rt, send, now + timedelta(minutes=16))
    notify_subscribers(rt, send, now + timedelta(minutes=17))  # claimed: not sent again

    (digest,) = digests(party)
    assert "2 new photos of you at Garden party" in body(digest, "plain")


def test_a_photo_the_photographer_hid_is_not_counted_in_a_digest(party_for: Any) -> None:
    party: Party = party_for(notify_digest_minutes=15)
    confirmed_subscriber(party)
    party.add_photo("red-1.jpg", "red")
    party.add_photo("red-2.jpg", "red")
    with party.web.transaction() as uow:
        hidden = next(p for p in uow.photos.in_event(party.event.id, limit=100) if p.name == "red-2.jpg")
    hid = party.web.client.patch(
        f"/api/event/{party.event.id}/photos/{hidden.id}", json={"hidden": True}, headers=party.owner.auth
    )
    assert hid.status_code == 200, hid.text

    send = digest_sender(NotifyMails(party.web.context.templates), party.web.context.tasks.send_mail)
    notify_subscribers(party.web.runtime, send, datetime.now(UTC) + timedelta(minutes=16))
    (digest,) = digests(party)
    assert "1 new photo of you at Garden party" in body(digest, "plain")


# --- refusals and caps --------------------------------------------------------------------------


def test_without_a_mail_server_nothing_offers_notifications(make_web: MakeWeb, tmp_path: Path) -> None:
    web = make_web()
    owner = web.photographer("alice@example.com")
    (tmp_path / "photos" / "empty").mkdir(parents=True)
    event = web.event(owner, tmp_path / "photos" / "empty")

    assert 'id="notify-form"' not in web.client.get(f"/e/{event.slug}").text
    files = {
        "selfies": ("s.jpg", selfie("red"), "image/jpeg"),
        "consent": (None, "true"),
        "email": (None, GUEST),
    }
    assert web.client.post(f"/api/e/{event.slug}/subscribe", files=files).status_code == 404


def test_the_guest_page_offers_it_with_mail(party: Party) -> None:
    page = party.web.client.get(f"/e/{party.event.slug}?lang=th").text

    assert 'id="notify-form"' in page and "/static/notify.js" in page
    assert "ส่งอีเมลถึงฉันเมื่อมีรูปใหม่ของฉัน" in page and "30 วันหลังวันงาน" in page


def test_a_subscription_needs_consent_a_face_and_an_email(party: Party) -> None:
    assert party.subscribe("red", consent="no").json()["code"] == "consent_required"
    assert party.subscribe("red", email="not-an-address").json()["code"] == "invalid_email"
    assert party.subscribe("red", email="a@b.example\r\nBcc: x@y.example").json()["code"] == "invalid_email"
    assert party.subscribe().json()["code"] == "no_usable_selfie"  # a selfie with no face in it
    assert party.messages() == [] and party.subscriptions() == []


def test_a_subscription_is_admitted_as_a_search_is(party_for: Any) -> None:
    party: Party = party_for(max_selfie_mb=0.002)  # a 2 kB cap: the test's selfies are bigger

    answer = party.subscribe("red")

    assert (answer.status_code, answer.json()["code"]) == (413, "too_large")
    assert party.messages() == [] and party.subscriptions() == []


def test_one_confirmation_per_address_and_event_and_the_same_answer(party: Party) -> None:
    first, second = party.subscribe("red"), party.subscribe("red", email=GUEST.upper())

    assert (first.status_code, second.status_code) == (202, 202) and first.json() == second.json()
    assert len(party.smtp.inbox.wait_for(1)) == 1 and len(party.messages()) == 1
    assert len(party.subscriptions()) == 1  # past the cap nothing is kept either


def test_an_address_gets_at_most_five_confirmations_a_day(party: Party, tmp_path: Path) -> None:
    slugs = []
    for number in range(6):
        folder = tmp_path / "photos" / f"event-{number}"
        folder.mkdir(parents=True)
        slugs.append(party.web.event(party.owner, folder, f"Event {number}").slug)
    for slug in slugs:
        assert party.subscribe("red", slug=slug).status_code == 202

    assert len(party.smtp.inbox.wait_for(5)) == 5 and len(party.messages()) == 5


def test_subscribing_counts_as_a_search_for_the_per_address_limit(party_for: Any) -> None:
    party: Party = party_for(search_rate_limit=2)

    answers = [party.subscribe("red", email=f"g{i}@example.com").status_code for i in range(3)]

    assert answers == [202, 202, 429]


@pytest.mark.parametrize("token", ["nope", "WzEsImFiYyJd.forged", "x" * 300])
def test_a_forged_link_opens_nothing(party: Party, token: str) -> None:
    slug = party.event.slug
    for path in (f"/e/{slug}/notify/confirm/{token}", f"/e/{slug}/notify/{token}"):
        assert party.web.client.get(path, headers={"Accept": "text/html"}).status_code == 404


def test_a_confirmation_link_works_only_for_its_own_event(party: Party, tmp_path: Path) -> None:
    party.subscribe("red")
    path = party.confirm_path(party.smtp.inbox.wait_for(1)[0])
    other = tmp_path / "photos" / "other"
    other.mkdir(parents=True)
    other_slug = party.web.event(party.owner, other, "Other").slug

    assert party.web.client.get(path.replace(party.event.slug, other_slug)).status_code == 404


# --- retention ----------------------------------------------------------------------------------


def test_subscriptions_are_deleted_when_they_expire(party: Party) -> None:
    confirmed_subscriber(party)
    (row,) = party.subscriptions()
    assert row.expires_at.replace(tzinfo=UTC) - datetime.now(UTC) > timedelta(days=29)

    notify_subscribers(party.web.runtime, None, datetime.now(UTC) + timedelta(days=29))
    assert len(party.subscriptions()) == 1
    notify_subscribers(party.web.runtime, None, datetime.now(UTC) + timedelta(days=31))
    assert party.subscriptions() == []


def test_an_unconfirmed_subscription_goes_after_two_days(party: Party) -> None:
    party.subscribe("red")

    notify_subscribers(party.web.runtime, None, datetime.now(UTC) + timedelta(days=1))
    assert len(party.subscriptions()) == 1
    notify_subscribers(party.web.runtime, None, datetime.now(UTC) + timedelta(days=2, minutes=1))
    assert party.subscriptions() == []


def test_retention_counts_from_the_event_date(party: Party) -> None:
    with party.web.transaction() as uow:
        uow.session.execute(
            update(EventRow)
            .where(EventRow.id == party.event.id)
            .values(event_date=datetime.now(UTC).date() - timedelta(days=40))
        )
    assert party.subscribe("red").json()["code"] == "notify_closed"

    with party.web.transaction() as uow:
        uow.session.execute(
            update(EventRow)
            .where(EventRow.id == party.event.id)
            .values(event_date=datetime.now(UTC).date() - timedelta(days=10))
        )
    assert party.subscribe("red").status_code == 202
    (row,) = party.subscriptions()
    assert row.expires_at.date() == datetime.now(UTC).date() + timedelta(days=21)


def test_deleting_the_event_deletes_its_subscriptions(party: Party) -> None:
    confirmed_subscriber(party)
    party.add_photo("red-2.jpg", "red")
    assert digests(party)

    response = party.web.client.delete(f"/api/event/{party.event.id}", headers=party.owner.auth)

    assert response.status_code in {200, 204}, response.text
    assert party.subscriptions() == []
    with party.web.transaction() as uow:
        assert uow.session.scalar(select(func.count()).select_from(NotifyMatchRow)) == 0


def test_the_embeddings_are_sealed_at_rest(party: Party) -> None:
    party.subscribe("red")

    (row,) = party.subscriptions()
    assert row.faces == 1 and row.embeddings.startswith("gAAAA")  # a Fernet token, not float32 bytes


# --- Thai ---------------------------------------------------------------------------------------

T_CALL = re.compile(r"""\bt\(\s*"((?:[^"\\]|\\.)*)"\s*\)""")
TEMPLATES = Path(notify_pages.__file__).parent / "templates"


def notify_strings() -> set[str]:
    """What the notification mails and notify.js show (the page templates are checked with all pages)."""
    found = set(notify_pages.SCRIPT_STRINGS) | set(notify_pages.PAGE_MESSAGES)
    for path in TEMPLATES.glob("mail/notify_*"):
        found |= set(T_CALL.findall(path.read_text()))
    script = (TEMPLATES.parent / "static" / "notify.js").read_text()
    found |= set(T_CALL.findall(script)) | set(re.findall(r'^\s+\w+: "([^"]+)",$', script, re.M))
    return found


def test_the_notification_texts_ask_for_strings() -> None:
    assert {
        "See them (no selfie needed):",
        "Please give your email address.",
        "not a valid email address",
    } <= (notify_strings())


@pytest.mark.parametrize("text", sorted(notify_strings()))
def test_every_notification_text_has_a_thai_translation(text: str) -> None:
    assert THAI.get(text, "").strip(), f"no Thai translation for {text!r} (add it to web/i18n.py)"


def test_what_notify_js_shows_is_handed_to_it() -> None:
    script = (TEMPLATES.parent / "static" / "notify.js").read_text()
    shown = set(T_CALL.findall(script)) | set(re.findall(r'^\s+\w+: "([^"]+)",$', script, re.M))

    assert shown <= set(notify_pages.SCRIPT_STRINGS)
