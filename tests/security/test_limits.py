"""No single visitor can take the server down (issue 10): selfie bombs, slow clients, upload floods,
and a rate limit that counts real searches by the real client address.

The server-level points run against the real `eventface web` (one process for this module, with
short deadlines and one upload slot); the others use the in-process app with the fake engine.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import WritePhoto
from tests.fakes import bombs
from tests.server.conftest import EMAIL, Server, Servers, create_photographer, run_cli, wait_for
from tests.web.conftest import MakeWeb
from tests.web.test_guest_api import make_guests, names, search, selfie

HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 3.0
LIMITS_ENV = {
    "EVENTFACE_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
    "EVENTFACE_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
    "EVENTFACE_MAX_CONCURRENT_UPLOADS": "1",
}
CUT_OFF_MARGIN_S = 4.0  # a loaded 2-core machine may be late to close; never this late
MEMORY_BUDGET_MB = 64  # what a refused bomb search may add to the server's peak RSS
TRICKLE_INTERVAL_S = 0.1

BOMBS = {
    "png-120mp": lambda: bombs.png_bomb(12_000, 10_000),
    "jpeg-48mp": lambda: bombs.jpeg_claiming(8_000, 6_000),
    "webp-48mp": lambda: bombs.webp_claiming(8_000, 6_000),
    "heic-48mp": lambda: bombs.heic_claiming(8_000, 6_000),
}


def codes(response: Any) -> list[str]:
    return [report["code"] for report in response.json()["selfies"]]


# --- selfies (in process) ---------------------------------------------------------------------


@pytest.mark.parametrize("make_bomb", BOMBS.values(), ids=BOMBS.keys())
def test_a_selfie_bomb_is_refused_from_its_header_with_a_422(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto, make_bomb: Any
) -> None:
    guests = make_guests(make_web(), tmp_path, write_photo)

    response = search(guests.web, guests.wedding.slug, make_bomb())

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "no_usable_selfie"
    assert codes(response) == ["too_large"]  # from the header: decoding would have said "unreadable"
    assert "pixels" in response.json()["selfies"][0]["message"]


def test_polyglot_selfies_are_a_422_with_a_reason_for_each(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    guests = make_guests(make_web(), tmp_path, write_photo)
    png_zip = b"\x89PNG\r\n\x1a\n" + bombs.polyglot()[4:]

    response = search(guests.web, guests.wedding.slug, bombs.polyglot(), png_zip)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "no_usable_selfie"
    assert codes(response) == ["unreadable", "unreadable"]
    assert all(report["message"] for report in response.json()["selfies"])


def test_a_request_with_one_usable_selfie_among_bad_ones_is_200_with_a_report_each(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    guests = make_guests(make_web(), tmp_path, write_photo)

    response = search(
        guests.web, guests.wedding.slug, bombs.jpeg_claiming(8_000, 6_000), selfie("red"), bombs.polyglot()
    )

    assert response.status_code == 200, response.text
    assert sorted(names(response)) == ["pair.jpg", "red.jpg"]
    assert codes(response) == ["too_large", "ok", "unreadable"]


# --- the rate limiter (in process) ------------------------------------------------------------


def guest_client(app: Any, address: str) -> TestClient:
    """A client connecting from `address` (the app's lifespan already runs in the web fixture)."""
    return TestClient(app, client=(address, 40_000))


def search_from(client: TestClient, slug: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    files = [("selfies", ("me.jpg", selfie("red"), "image/jpeg")), ("consent", (None, "true", None))]
    status: int = client.post(f"/api/e/{slug}/search", files=files, headers=headers).status_code
    return status


def test_a_forged_x_forwarded_for_from_an_untrusted_client_does_not_change_its_key(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    web = make_web(search_rate_limit=1, trusted_proxies="10.0.0.1")
    slug = make_guests(web, tmp_path, write_photo).wedding.slug
    client = guest_client(web.app, "198.51.100.7")

    statuses = [search_from(client, slug, forwarded) for forwarded in (None, "203.0.113.1", "203.0.113.2")]

    assert statuses == [200, 429, 429]


def test_a_trusted_proxys_x_forwarded_for_is_the_client_key(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    web = make_web(search_rate_limit=1, trusted_proxies="10.0.0.1")
    slug = make_guests(web, tmp_path, write_photo).wedding.slug
    proxy = guest_client(web.app, "10.0.0.1")

    statuses = [search_from(proxy, slug, forwarded) for forwarded in ("203.0.113.1", "203.0.113.1")]
    other_guest = search_from(proxy, slug, "203.0.113.2")
    same_64 = [search_from(proxy, slug, f"2001:db8:1:2::{n}") for n in (1, 2)]

    assert statuses == [200, 429]
    assert other_guest == 200
    assert same_64 == [200, 429]  # an IPv6 guest is counted by its /64


def test_requests_refused_before_the_face_engine_runs_do_not_use_up_searches(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    web = make_web(search_rate_limit=1, max_selfie_mb=0.5)
    slug = make_guests(web, tmp_path, write_photo).wedding.slug

    refused = {
        "no consent": search(web, slug, selfie("red"), consent=None).status_code,
        "not multipart": web.client.post(f"/api/e/{slug}/search", data={"consent": "true"}).status_code,
        "unknown event": search(web, "no-such-event", selfie("red")).status_code,
        "not an image": search(web, slug, b"GIF89a\x01\x00\x01\x00").status_code,
        "too many bytes": search(web, slug, b"\xff\xd8\xff" + bytes(2**20)).status_code,
        "a bomb": search(web, slug, bombs.png_bomb(12_000, 10_000)).status_code,
    }

    assert refused == {
        "no consent": 400,
        "not multipart": 400,
        "unknown event": 404,
        "not an image": 415,
        "too many bytes": 413,
        "a bomb": 422,
    }
    assert search(web, slug, selfie("red")).status_code == 200  # the guest's one search is still there
    assert search(web, slug, selfie("red")).status_code == 429


def test_a_selfie_without_a_face_uses_up_a_search(
    make_web: MakeWeb, tmp_path: Path, write_photo: WritePhoto
) -> None:
    web = make_web(search_rate_limit=1)
    slug = make_guests(web, tmp_path, write_photo).wedding.slug

    assert search(web, slug, selfie()).status_code == 422  # the face engine ran: that is the cost
    assert search(web, slug, selfie("red")).status_code == 429


# --- the real server --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """`eventface web` with 1 s for headers, 3 s for a body, one upload at a time; an event's slug."""
    root = tmp_path_factory.mktemp("limits")
    data_dir, folder = root / "data", root / "photos"
    folder.mkdir()
    manager = Servers(root / "servers")
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in LIMITS_ENV.items():
                patch.setenv(name, value)
            create_photographer(data_dir)
            event_id = run_cli(
                "events", "create", "Limits", "--folder", folder, "--owner", EMAIL, data_dir=data_dir
            )
            shown = run_cli("events", "show", event_id.strip().splitlines()[-1], "--json", data_dir=data_dir)
            server = manager.start(data_dir)
        yield server, json.loads(shown)["slug"]
    finally:
        manager.close()


def closed_after(sock: socket.socket, payload: bytes, deadline_s: float) -> float | None:
    """Sends `payload` a byte at a time; seconds until the server closed the connection, or None."""
    started = time.monotonic()
    for byte in payload:
        if time.monotonic() - started > deadline_s:
            return None
        try:
            sock.sendall(bytes([byte]))
            readable, _, _ = select.select([sock], [], [], TRICKLE_INTERVAL_S)
            if readable and sock.recv(4096) == b"":
                return time.monotonic() - started
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started
    return None


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def reset_peak_rss(pid: int) -> None:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux 4.0+)
    except OSError as exc:
        pytest.skip(f"cannot reset the server's peak RSS on this system: {exc}")


def test_a_bomb_search_is_refused_fast_and_in_little_memory(limited: tuple[Server, str]) -> None:
    server, slug = limited
    wait_for(
        "the face engine to load (its memory is not the search's)",
        server.stderr,
        lambda log: "face engine ready" in log or "could not load the face engine" in log,
        60,
        server,
    )
    selfies = [bombs.png_bomb(12_000, 10_000), bombs.jpeg_claiming(8_000, 6_000), bombs.polyglot()]
    files = [("selfies", (f"s{i}", data, "image/png")) for i, data in enumerate(selfies)]
    pid = server.process.pid
    reset_peak_rss(pid)
    before_kib = rss_kib(pid, "VmRSS")

    with server.client() as guest:
        started = time.monotonic()
        response = guest.post(f"/api/e/{slug}/search", files=files, data={"consent": "true"})
        took_s = time.monotonic() - started

    grew_mb = (rss_kib(pid, "VmHWM") - before_kib) / 1024
    assert response.status_code == 422, response.text
    assert codes(response) == ["too_large", "too_large", "unreadable"]
    assert grew_mb < MEMORY_BUDGET_MB, f"the server's peak RSS grew by {grew_mb:.0f} MB"
    assert took_s < 5, f"refusing took {took_s:.1f} s"


def test_a_client_sending_its_headers_a_byte_at_a_time_is_cut_off(limited: tuple[Server, str]) -> None:
    server, _ = limited
    head = b"GET /login HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 2000

    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        closed = closed_after(sock, head, HEADER_TIMEOUT_S + CUT_OFF_MARGIN_S)

    assert closed is not None, "the server still listened to a slow request head"
    assert closed >= HEADER_TIMEOUT_S * 0.9


def test_a_client_sending_its_body_a_byte_at_a_time_is_cut_off(limited: tuple[Server, str]) -> None:
    server, slug = limited
    head = (
        f"POST /api/e/{slug}/search HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n"
    ).encode()

    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head)
        closed = closed_after(sock, b"--x\r\n" + b"a" * 5000, BODY_TIMEOUT_S + CUT_OFF_MARGIN_S)

    assert closed is not None, "the server still listened to a slow request body"
    assert closed >= BODY_TIMEOUT_S * 0.9
    with server.client() as guest:  # and the slow upload gave its slot back
        wait_for(
            "the upload slot to be free again",
            lambda: guest.post(f"/api/e/{slug}/search").status_code,
            lambda status: status == 400,  # no body: refused as such, not as busy
            CUT_OFF_MARGIN_S,
            server,
        )


def test_uploads_beyond_the_cap_get_503_with_retry_after_and_pages_still_answer(
    limited: tuple[Server, str],
) -> None:
    server, slug = limited
    head = (
        f"POST /api/e/{slug}/search HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n--x\r\n"
    ).encode()

    with socket.create_connection(("127.0.0.1", server.port)) as uploading, server.client() as guest:
        uploading.sendall(head)  # holds the one upload slot until its body deadline
        busy = wait_for(
            "a second search to be turned away",
            lambda: guest.post(f"/api/e/{slug}/search"),  # 400 (no body) while the slot is free
            lambda response: response.status_code == 503,
            BODY_TIMEOUT_S,
            server,
            interval_s=0.05,
        )
        started = time.monotonic()
        page = guest.get(f"/e/{slug}")
        page_s = time.monotonic() - started

    assert busy.json()["code"] == "busy"
    assert int(busy.headers["Retry-After"]) >= 1
    assert page.status_code == 200 and page_s < 2, f"the guest page took {page_s:.1f} s"
