"""Who may sign in, and sessions (issue 10): sign-up policy, invites, roles, disabling, revocable
sessions, throttled sign-in, bounded password hashing, and keys that rotate independently."""

from __future__ import annotations

import contextlib
import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from eventface.db.tables import InviteRow
from eventface.errors import RateLimitedError
from eventface.runtime import build_runtime
from eventface.secret_box import SecretBox
from eventface.secret_key import ENCRYPTION_KEY_FILE, KEY_FILE, WeakKeyError, secret_key
from eventface.services import accounts, google_accounts, invites
from eventface.settings import Settings
from eventface.web import accounts_pages, admin
from eventface.web.i18n import THAI
from eventface.web.throttle import MAX_KEYS, LoginThrottle
from tests.server.conftest import Servers, create_photographer
from tests.web.conftest import CSRF_FIELD, PASSWORD, MakeWeb, Photographer, Web

NEW_PASSWORD = "a brand new passphrase"
GRANT = {
    "client_id": "id",
    "client_secret": "secret",
    "refresh_token": "1//refresh",
    "token_uri": "https://t",
}


def csrf_of(client: TestClient | httpx.Client, path: str = "/login") -> str:
    found = CSRF_FIELD.search(client.get(path).text)
    assert found is not None, f"no csrf_token field on {path}"
    return found.group(1)


def sign_up(client: TestClient, email: str, invite: str = "") -> httpx.Response:
    form = {"csrf_token": csrf_of(client), "email": email, "password": PASSWORD, "invite": invite}
    return client.post("/signup", data=form, follow_redirects=False)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> httpx.Response:
    form = {"csrf_token": csrf_of(client), "email": email, "password": password, "next": "/events"}
    return client.post("/login", data=form, follow_redirects=False)


def signed_in(client: TestClient) -> bool:
    return client.get("/events", follow_redirects=False).status_code == 200


def second_client(web: Web) -> TestClient:
    return TestClient(web.app)  # another browser: its own cookies (lifespan already runs on web.client)


def admin_action(web: Web, path: str, **fields: str) -> httpx.Response:
    form = {"csrf_token": csrf_of(web.client, "/admin/users"), **fields}
    return web.client.post(path, data=form, follow_redirects=False)


def test_only_the_first_web_sign_up_works_when_signup_is_closed_and_it_makes_an_admin(web: Web) -> None:
    first = sign_up(web.client, "owner@example.com")
    assert first.status_code == 303
    with web.transaction() as uow:
        assert accounts.find_user(uow, "owner@example.com").is_admin

    other = second_client(web)
    page = other.get("/signup")
    assert page.status_code == 403
    assert "sign-up is closed" in page.text.lower()
    assert 'action="/signup"' not in page.text  # no form that could only fail
    refused = sign_up(other, "intruder@example.com")
    assert refused.status_code == 403
    with web.transaction() as uow:
        assert uow.users.find_by_email("intruder@example.com") is None


def test_an_invite_link_works_once_and_only_for_its_email(make_web: MakeWeb) -> None:
    web = make_web(signup="invite")
    assert sign_up(web.client, "admin@example.com").status_code == 303
    page = admin_action(web, "/admin/users/invite", email="Guest.Photographer@example.com")
    assert page.status_code == 200
    link = re.search(r'<code id="invite-link">([^<]+)</code>', page.text)
    assert link is not None, page.text
    token = link.group(1).split("invite=")[1]
    with web.transaction() as uow:  # only the token's hash is kept
        stored = uow.session.scalars(select(InviteRow.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]

    visitor = second_client(web)
    assert sign_up(visitor, "someone.else@example.com", token).status_code == 403
    assert sign_up(visitor, "guest.photographer@example.com", token).status_code == 303
    assert sign_up(second_client(web), "guest.photographer@example.com", token).status_code == 403
    with web.transaction() as uow:
        invited = accounts.find_user(uow, "guest.photographer@example.com")
        assert not invited.is_admin
        assert uow.users.find_by_email("someone.else@example.com") is None
    assert sign_up(second_client(web), "no.invite@example.com").status_code == 403  # invite-only


def test_an_invite_link_expires(make_web: MakeWeb) -> None:
    web = make_web(signup="invite")
    with web.transaction() as uow:
        made = datetime(2020, 1, 1, tzinfo=UTC)
        token = invites.create_invite(uow, web.settings.signup, "late@example.com", None, made)
    assert sign_up(web.client, "late@example.com", token).status_code == 403


def test_a_photographer_cannot_reach_the_users_page_and_an_admin_can(web: Web) -> None:
    with web.transaction() as uow:
        accounts.create_user(uow, "admin@example.com", PASSWORD, passwords=web.runtime.passwords)
    photographer = web.photographer("photographer@example.com")

    web.login(photographer.email)
    assert web.client.get("/admin/users").status_code == 404
    promote = web.client.post(
        f"/admin/users/{photographer.id}/promote", data={"csrf_token": csrf_of(web.client, "/events")}
    )
    assert promote.status_code == 404
    with web.transaction() as uow:
        assert not accounts.get_user(uow, photographer.id).is_admin

    web.login("admin@example.com")
    page = web.client.get("/admin/users")
    assert page.status_code == 200
    assert photographer.email in page.text


def test_a_disabled_users_session_and_api_token_stop_working(web: Web) -> None:
    web.photographer("admin@example.com")  # the first account: the admin
    ploy = web.photographer("ploy@example.com")
    ploys_browser = second_client(web)
    assert log_in(ploys_browser, ploy.email).status_code == 303
    assert web.client.get("/api/events", headers=ploy.auth).status_code == 200

    web.login("admin@example.com")
    assert admin_action(web, f"/admin/users/{ploy.id}/disable").status_code == 303

    assert not signed_in(ploys_browser)
    assert web.client.get("/api/events", headers=ploy.auth).status_code == 401
    refused = log_in(ploys_browser, ploy.email)
    assert refused.status_code == 401
    assert "disabled" in refused.text

    assert admin_action(web, f"/admin/users/{ploy.id}/enable").status_code == 303
    assert web.client.get("/api/events", headers=ploy.auth).status_code == 200


def test_signing_out_ends_the_session_even_for_a_copied_cookie(web: Web, alice: Photographer) -> None:
    csrf = web.login(alice.email)
    cookie = web.client.cookies.get("eventface_session")
    assert cookie
    thief = second_client(web)
    thief.cookies.set("eventface_session", cookie)
    assert signed_in(thief)

    web.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)

    assert not signed_in(thief)


def test_a_password_change_ends_every_other_session_of_the_account(web: Web, alice: Photographer) -> None:
    phone, laptop = second_client(web), second_client(web)
    assert log_in(phone, alice.email).status_code == 303
    assert log_in(laptop, alice.email).status_code == 303

    # alice is the first account, so an admin: she sets herself a new password on the users page
    web.login(alice.email)
    assert admin_action(web, f"/admin/users/{alice.id}/password", password=NEW_PASSWORD).status_code == 303

    assert signed_in(web.client)  # the browser that changed it starts a fresh session
    assert not signed_in(phone)
    assert not signed_in(laptop)
    assert log_in(phone, alice.email).status_code == 401
    assert log_in(phone, alice.email, NEW_PASSWORD).status_code == 303


def test_a_photographer_changes_their_own_password_only_with_the_current_one(
    make_web: MakeWeb, tmp_path: Path
) -> None:
    web = make_web()
    web.photographer("admin@example.com")  # the first account is the admin; ploy is not
    ploy = web.photographer("ploy@example.com")
    phone = second_client(web)
    assert log_in(phone, ploy.email).status_code == 303
    web.login(ploy.email)
    form = {"csrf_token": csrf_of(web.client, "/account/password"), "password": NEW_PASSWORD}

    # a borrowed session alone must not take the account over
    refused = web.client.post("/account/password", data={**form, "current": "not the password"})
    assert refused.status_code == 401
    assert signed_in(phone)

    changed = web.client.post("/account/password", data={**form, "current": PASSWORD}, follow_redirects=False)
    assert changed.status_code == 303
    assert signed_in(web.client)  # this browser carries on, in a fresh session
    assert not signed_in(phone)
    assert log_in(phone, ploy.email).status_code == 401
    assert log_in(phone, ploy.email, NEW_PASSWORD).status_code == 303


def test_a_login_storm_is_throttled_and_does_not_lock_out_the_owner(tmp_path: Path, servers: Servers) -> None:
    data_dir = tmp_path / "data"
    create_photographer(data_dir, "owner@example.com")
    server = servers.start(data_dir, {"EVENTFACE_TRUSTED_PROXIES": "127.0.0.1"})

    def attempt(address: str, password: str, lang: str = "en") -> httpx.Response:
        with server.client() as browser:
            headers = {"X-Forwarded-For": address, "Accept": "text/html", "Accept-Language": lang}
            form = {"csrf_token": csrf_of(browser), "email": "owner@example.com", "password": password}
            return browser.post("/login", data=form, headers=headers)

    statuses = [attempt("203.0.113.9", f"guess-{n}").status_code for n in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    throttled = attempt("203.0.113.9", "guess", lang="th")
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert "ลองหลายครั้งเกินไป" in throttled.text  # the login page, in Thai: not a JSON blob
    assert 'action="/login"' in throttled.text

    # the account has now failed 10 times in a minute; more guesses from many addresses each get
    # one try, and the owner, from an address that has not failed, still signs in
    assert attempt("198.51.100.1", "guess").status_code == 401
    assert attempt("198.51.100.1", "guess").status_code == 429
    owner = attempt("192.0.2.77", "correct horse battery staple")
    assert owner.status_code == 303, owner.text


def test_password_hashing_beyond_the_bound_answers_503_with_retry_after(
    web: Web, alice: Photographer
) -> None:
    passwords = web.runtime.passwords
    passwords._wait_s = 0.05  # a short wait, so the test does not sit out the real one
    held = [passwords.slot() for _ in range(3)]  # every slot busy, as under a storm of sign-ins
    for slot in held:
        slot.__enter__()
    try:
        response = log_in(web.client, alice.email)
    finally:
        for slot in held:
            slot.__exit__(None, None, None)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert "too many sign-ins at once" in response.text.lower()
    assert log_in(web.client, alice.email).status_code == 303  # not counted as a failed guess


def test_a_key_shorter_than_32_bytes_is_refused_at_start(tmp_path: Path) -> None:
    for name in ("secret_key", "encryption_key"):
        with pytest.raises(ValidationError, match="at least 32 bytes"):
            Settings(data_dir=tmp_path, **{name: "too short to be safe"})
    (tmp_path / KEY_FILE).write_text("short\n")
    with pytest.raises(WeakKeyError, match="at least 32"):
        secret_key(Settings(data_dir=tmp_path))
    (tmp_path / KEY_FILE).unlink()
    (tmp_path / ENCRYPTION_KEY_FILE).write_text("short\n")
    with pytest.raises(WeakKeyError, match="at least 32"):
        build_runtime(Settings(data_dir=tmp_path, password_hash_cost="test"))


def _save_grant(data_dir: Path, **keys: str) -> int:
    rt = build_runtime(Settings(data_dir=data_dir, password_hash_cost="test", **keys))
    try:
        with rt.transactions() as uow:
            user = accounts.create_user(uow, "owner@example.com", PASSWORD, passwords=rt.passwords)
            return google_accounts.save_grant(uow, rt.google.box, user.id, "owner@gmail.com", GRANT).id
    finally:
        rt.close()


def _open_grant(data_dir: Path, account_id: int, **keys: str) -> bytes:
    rt = build_runtime(Settings(data_dir=data_dir, password_hash_cost="test", **keys))
    try:
        with rt.transactions() as uow:
            return rt.google.box.open(uow.google_accounts.sealed_credentials(account_id))
    finally:
        rt.close()


def test_rotating_the_secret_key_keeps_google_grants_readable(tmp_path: Path) -> None:
    account = _save_grant(tmp_path, secret_key="k" * 40)

    assert b"1//refresh" in _open_grant(tmp_path, account, secret_key="a new and different secret key!!")
    (tmp_path / KEY_FILE).unlink(missing_ok=True)
    assert b"1//refresh" in _open_grant(tmp_path, account)  # a new random secret.key


def test_grants_sealed_before_the_key_split_still_open_and_survive_a_secret_key_rotation(
    tmp_path: Path,
) -> None:
    # an install from before the split: secret.key, and grants sealed with a key derived from it
    old_secret = "an old install's secret key, 48 characters long"
    (tmp_path / KEY_FILE).write_text(old_secret)
    rt = build_runtime(Settings(data_dir=tmp_path, password_hash_cost="test", encryption_key="x" * 32))
    with rt.transactions() as uow:
        user = accounts.create_user(uow, "owner@example.com", PASSWORD, passwords=rt.passwords)
        account = google_accounts.save_grant(uow, SecretBox(old_secret), user.id, "owner@gmail.com", GRANT).id
    rt.close()
    assert not (tmp_path / ENCRYPTION_KEY_FILE).exists()

    assert b"1//refresh" in _open_grant(tmp_path, account)  # encryption.key is made so they open
    assert (tmp_path / ENCRYPTION_KEY_FILE).stat().st_mode & 0o777 == 0o600
    (tmp_path / KEY_FILE).unlink()  # rotate the session key
    assert b"1//refresh" in _open_grant(tmp_path, account)


def test_a_new_install_gets_an_encryption_key_unrelated_to_the_secret_key(tmp_path: Path) -> None:
    _save_grant(tmp_path)
    assert (tmp_path / ENCRYPTION_KEY_FILE).read_text() != secret_key(Settings(data_dir=tmp_path))


@pytest.mark.parametrize("text", sorted({*accounts_pages.PAGE_MESSAGES, *admin.PAGE_MESSAGES}))
def test_every_sign_in_and_users_page_message_has_a_thai_translation(text: str) -> None:
    assert THAI.get(text, "").strip(), f"no Thai translation for {text!r} (add it to web/i18n.py)"


def test_a_refused_sign_in_reads_in_thai(web: Web, alice: Photographer) -> None:
    web.client.get("/login?lang=th")
    response = log_in(web.client, alice.email, "not her password")
    assert response.status_code == 401
    assert "อีเมลหรือรหัสผ่านไม่ถูกต้อง" in response.text


def test_a_flood_of_made_up_accounts_and_addresses_keeps_the_throttle_small_and_the_owner_in() -> None:
    now = [0.0]
    throttle = LoginThrottle(limit=10, window_s=60, clock=lambda: now[0])
    throttle.begin("owner@example.com", "198.51.100.4")  # the owner's typo, before the flood
    for n in range(3 * MAX_KEYS):  # one guess each from fresh addresses on fresh "accounts"
        now[0] += 0.001
        with contextlib.suppress(RateLimitedError):
            throttle.begin(f"user{n}@example.com", f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")

    tables = (throttle._addresses, throttle._accounts, throttle._pairs)
    assert all(table.tracked <= MAX_KEYS + 1 for table in tables)  # + the shared overflow bucket
    throttle.succeeded(throttle.begin("owner@example.com", "198.51.100.4"))  # not locked out


def test_throttled_sign_in_opens_again_after_a_minute_and_successes_do_not_count() -> None:
    now = [0.0]
    throttle = LoginThrottle(limit=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        throttle.begin("owner@example.com", "203.0.113.9")
    with pytest.raises(RateLimitedError) as refused:
        throttle.begin("owner@example.com", "203.0.113.9")
    assert 0 < refused.value.retry_after_s <= 60

    now[0] = 60.5
    throttle.succeeded(throttle.begin("owner@example.com", "203.0.113.9"))
    for _ in range(5):  # signing in is not a failure: the owner is never throttled by their own success
        throttle.succeeded(throttle.begin("owner@example.com", "198.51.100.4"))
