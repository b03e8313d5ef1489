"""Password reset by email, against a real SMTP server (aiosmtpd) that the test reads."""

from __future__ import annotations

import re

import pytest

from tests.harness.smtp import SmtpServer, body
from tests.web.conftest import PASSWORD, MakeWeb, Web

LINK = re.compile(r"https?://\S+/password/reset/(\S+)")
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def mail_web(make_web: MakeWeb, smtp_server: SmtpServer) -> Web:
    web = make_web(smtp_url=smtp_server.url, mail_from="Photos <noreply@photos.example.org>")
    web.photographer("ana@example.com")
    return web


def ask_for_link(web: Web, email: str, lang: str = "en") -> str:
    response = web.client.post(
        f"/password/forgot?lang={lang}", data={"csrf_token": web.csrf_token(), "email": email}
    )
    assert response.status_code == 200
    return response.text


def reset_token(smtp_server: SmtpServer, count: int = 1) -> str:
    message = smtp_server.inbox.wait_for(count)[-1]
    found = LINK.search(body(message, "plain"))
    assert found is not None, body(message, "plain")
    return found.group(1)


def test_without_a_mail_server_nothing_offers_a_reset(web: Web) -> None:
    assert "/password/forgot" not in web.client.get("/login").text
    assert web.client.get("/password/forgot").status_code == 404
    assert web.client.get("/password/reset/anything").status_code == 404


def test_a_link_by_email_sets_a_new_password_once(mail_web: Web, smtp_server: SmtpServer) -> None:
    assert 'href="/password/forgot"' in mail_web.client.get("/login").text
    other_browser = mail_web.login("ana@example.com")  # a session that the reset must end
    assert other_browser

    page = ask_for_link(mail_web, "ANA@example.com")
    token = reset_token(smtp_server)
    (message,) = smtp_server.inbox.messages
    assert message["To"] == "ana@example.com" and "noreply@photos.example.org" in message["From"]
    assert f"/password/reset/{token}" in body(message, "html")
    assert "on its way" in page

    # opening the link changes nothing (mail scanners open links)
    assert 'name="password"' in mail_web.client.get(f"/password/reset/{token}").text
    mail_web.login("ana@example.com", PASSWORD)
    done = mail_web.client.post(
        f"/password/reset/{token}",
        data={"csrf_token": mail_web.csrf_token(), "password": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/login?reset=1")
    assert mail_web.client.get("/events", follow_redirects=False).status_code in {302, 303}  # signed out

    mail_web.login("ana@example.com", NEW_PASSWORD)
    again = mail_web.client.post(
        f"/password/reset/{token}",
        data={"csrf_token": mail_web.csrf_token(), "password": "yet another passphrase"},
    )
    assert again.status_code == 422 and "already used" in again.text
    mail_web.login("ana@example.com", NEW_PASSWORD)  # the used link changed nothing


def test_an_unknown_email_gets_the_same_answer_and_no_mail(mail_web: Web, smtp_server: SmtpServer) -> None:
    unknown = ask_for_link(mail_web, "nobody@example.com")
    known = ask_for_link(mail_web, "ana@example.com")

    assert smtp_server.inbox.wait_for(1)[0]["To"] == "ana@example.com"
    assert len(smtp_server.inbox.messages) == 1
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", unknown) == strip.sub("", known)


def test_the_mail_is_in_the_language_of_the_page(mail_web: Web, smtp_server: SmtpServer) -> None:
    ask_for_link(mail_web, "ana@example.com", lang="th")

    (message,) = smtp_server.inbox.wait_for(1)
    assert message["Subject"] == "ตั้งรหัสผ่าน eventface ใหม่"
    assert message["Content-Language"] == "th"
    assert "หนึ่งชั่วโมง" in body(message, "plain")


@pytest.mark.parametrize("token", ["not-a-token", "eyJ1IjoxLCJoIjoiMDAifQ.forged.signature"])
def test_a_forged_link_opens_nothing(mail_web: Web, token: str) -> None:
    page = mail_web.client.get(f"/password/reset/{token}")

    assert page.status_code == 422 and 'name="password"' not in page.text


def test_asking_for_links_is_throttled_per_client(mail_web: Web, smtp_server: SmtpServer) -> None:
    answers = [
        mail_web.client.post(
            "/password/forgot", data={"csrf_token": mail_web.csrf_token(), "email": f"x{i}@example.com"}
        )
        for i in range(12)
    ]

    assert [a.status_code for a in answers][:10] == [200] * 10
    assert answers[-1].status_code == 429 and "Retry-After" in answers[-1].headers


def test_an_account_gets_at_most_three_links_an_hour_whoever_asks(
    mail_web: Web, smtp_server: SmtpServer
) -> None:
    # five asks (the per-client throttle allows ten a minute; a flood would come from many addresses)
    pages = [ask_for_link(mail_web, "ana@example.com") for _ in range(5)]

    assert len(smtp_server.inbox.wait_for(3)) == 3 and len(smtp_server.inbox.messages) == 3
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert len({strip.sub("", page) for page in pages}) == 1  # the same answer past the cap
    mail_web.client.post(
        f"/password/reset/{reset_token(smtp_server, 3)}",
        data={"csrf_token": mail_web.csrf_token(), "password": NEW_PASSWORD},
    )
    mail_web.login("ana@example.com", NEW_PASSWORD)  # the links that were sent still work
