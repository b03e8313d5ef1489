"""The real Caddy (Debian's `caddy`) in front of the real server, set up as docs/deploy.md says:
client addresses, secure cookies and guest links are right through it.

Caddy runs with `tls internal` (its own local CA, no system trust store touched), the admin API
off and its storage in the test's tmp dir, on a free port; the client does not verify the
certificate. Without caddy installed the test is skipped, loudly.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import segno

from tests.server.conftest import EMAIL, PASSWORD, Servers, create_photographer, free_port, tail

READY_DEADLINE_S = 30
STOP_DEADLINE_S = 10
SELFIE = "people/obama/1.jpg"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CADDYFILE = """{{
	admin off
	auto_https disable_redirects
	skip_install_trust
	storage file_system {storage}
}}
https://localhost:{port} {{
	tls internal
	reverse_proxy 127.0.0.1:{app_port}
}}
"""


@dataclass
class Caddy:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, verify=False, timeout=30)


class Proxies:
    """Starts Caddy in front of an app port; whatever still runs at teardown is stopped."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.started: list[Caddy] = []

    def start(self, app_port: int, port: int) -> Caddy:
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "Caddyfile"
        config.write_text(CADDYFILE.format(storage=self.root / "storage", port=port, app_port=app_port))
        log_path = self.root / "caddy.log"
        home = {"HOME": str(self.root), "XDG_CONFIG_HOME": str(self.root), "XDG_DATA_HOME": str(self.root)}
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(shutil.which("caddy")), "run", "--config", str(config), "--adapter", "caddyfile"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={"PATH": "/usr/bin:/bin", **home},
                cwd=self.root,
            )
        caddy = Caddy(f"https://localhost:{port}", process, log_path)
        self.started.append(caddy)
        self._wait_ready(caddy)
        return caddy

    def close(self) -> None:
        for caddy in self.started:
            if caddy.process.poll() is None:
                caddy.process.terminate()
                try:
                    caddy.process.wait(timeout=STOP_DEADLINE_S)
                except subprocess.TimeoutExpired:
                    caddy.process.kill()
                    caddy.process.wait()

    def _wait_ready(self, caddy: Caddy) -> None:
        deadline = time.monotonic() + READY_DEADLINE_S
        last = "no answer yet"
        with caddy.client() as client:
            while time.monotonic() < deadline:
                if caddy.process.poll() is not None:
                    break
                try:
                    response = client.get("/login")
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.TransportError as exc:
                    last = repr(exc)
                time.sleep(0.1)  # poll interval
        pytest.fail(
            f"caddy did not answer GET /login within {READY_DEADLINE_S} s ({last})\n{tail(caddy.log_path)}"
        )


@pytest.fixture
def proxies(tmp_path: Path) -> Iterator[Proxies]:
    if shutil.which("caddy") is None:
        pytest.skip("!!! Debian caddy not installed: apt-get install -y caddy; the Caddy test is skipped !!!")
    manager = Proxies(tmp_path / "caddy")
    try:
        yield manager
    finally:
        manager.close()


def log_in(client: httpx.Client) -> None:
    csrf = CSRF_FIELD.search(client.get("/login").text)
    assert csrf is not None, "no csrf_token field on /login"
    form = {"csrf_token": csrf.group(1), "email": EMAIL, "password": PASSWORD, "next": "/events"}
    response = client.post("/login", data=form)
    assert response.status_code == 303, response.text


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="svg", scale=10, border=4)
    return out.getvalue()


@pytest.mark.slow
def test_through_caddy_client_addresses_secure_cookies_and_guest_links_are_right(
    tmp_path: Path, faces_dir: Path, servers: Servers, proxies: Proxies
) -> None:
    folder = tmp_path / "photos" / "gala"  # empty: searching it still counts
    folder.mkdir(parents=True)
    data_dir = tmp_path / "data"
    token = create_photographer(data_dir)
    port = free_port()
    public = f"https://localhost:{port}"
    server = servers.start(
        data_dir,
        env={
            "PUBLIC_BASE_URL": public,
            "EVENTFACE_TRUSTED_PROXIES": "127.0.0.1,::1",
            "EVENTFACE_SEARCH_RATE_LIMIT": "2",
        },
    )
    caddy = proxies.start(server.port, port)

    with caddy.client(token) as api:
        created = api.post("/api/events", json={"name": "Gala", "folder": str(folder)})
        assert created.status_code == 201, created.text
        event = created.json()
    guest_url = f"{public}/e/{event['slug']}"
    assert event["guest_url"] == guest_url

    with caddy.client() as browser:
        login_page = browser.get("/login")
        session_cookies = [c for c in login_page.headers.get_list("set-cookie") if c.startswith("eventface_")]
        assert session_cookies, login_page.headers
        assert all("secure" in c.lower().split("; ") for c in session_cookies), session_cookies
        log_in(browser)
        page = browser.get(f"/events/{event['id']}")
        assert f'id="guest-url" readonly value="{guest_url}"' in page.text
        qr = browser.get(f"/events/{event['id']}/qr.svg")
        assert qr.status_code == 200 and qr.content == qr_svg(guest_url)

    # the client claims a new address each time; Caddy passes on the one it sees (127.0.0.1), so
    # the rate limit of 2 searches a minute counts all three against the one real client
    selfie = (faces_dir / SELFIE).read_bytes()

    def search(client: httpx.Client, forged: str) -> int:
        return client.post(
            f"/api/e/{event['slug']}/search",
            data={"consent": "true"},
            files=[("selfies", ("me.jpg", selfie, "image/jpeg"))],
            headers={"X-Forwarded-For": forged},
        ).status_code

    with caddy.client() as guest:
        statuses = [search(guest, f"203.0.113.{n}") for n in (1, 2, 3)]
    assert statuses == [200, 200, 429], server.output_tail()
    # the contrast: sent straight from a trusted proxy's address, the header is believed
    with httpx.Client(base_url=server.base_url, timeout=30) as direct:
        assert search(direct, "198.51.100.7") == 200
