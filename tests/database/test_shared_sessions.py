"""Session revocation is shared by every web process: sessions live in the database (issue 15).

Two apps on one PostgreSQL database, one Redis queue and one secret key stand for two web
processes behind a proxy: a sign-out on one ends the session on the other at once. Nothing about
sessions is kept per process (web/auth.py reads `user_sessions` on every request).
"""

from __future__ import annotations

import secrets

from tests.harness.services import PostgresServer, RedisServer
from tests.security.test_accounts import signed_in
from tests.web.conftest import MakeWeb, make_web  # noqa: F401 - the fixture


def test_signing_out_on_one_web_process_ends_the_session_on_another(
    make_web: MakeWeb,  # noqa: F811 - the fixture imported above
    postgres: PostgresServer,
    redis_server: RedisServer,
) -> None:
    shared = {
        "database_url": postgres.fresh_database(),
        "queue_url": redis_server.fresh_url(),
        "secret_key": secrets.token_urlsafe(48),
    }
    one, two = make_web(**shared), make_web(**shared)
    alice = one.photographer("alice@example.com")
    csrf = one.login(alice.email)
    two.client.cookies.set("eventface_session", one.client.cookies["eventface_session"])
    assert signed_in(two.client)

    one.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)

    assert not signed_in(two.client)
