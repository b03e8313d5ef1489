"""Headers, logs and API docs of the real server (`eventface web`): a CSP without inline script,
nosniff on every response, no Referer from guest pages, HSTS only over https, guest slugs cut
short in the logs, /docs off by default and served from this server when on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from eventface.web.apidocs import assets_dir
from eventface.web.app import shown_path
from tests.fakes.photos import jpeg_with_squares
from tests.harness.server import Server, Servers, create_photographer, run_cli
from tests.web.conftest import MakeWeb

STATIC = Path(__file__).parents[2] / "src" / "eventface" / "web"
PROXIED = {"EVENTFACE_TRUSTED_PROXIES": "127.0.0.1", "EVENTFACE_API_DOCS": "true"}


@dataclass(frozen=True)
class Site:
    server: Server
    token: str
    event_id: int
    slug: str

    def client(self) -> httpx.Client:
        return self.server.client(self.token)


def start_site(root: Path, env: dict[str, str]) -> Iterator[Site]:
    """A real server over a data dir with one photographer and one indexed event of one photo."""
    data_dir, folder = root / "data", root / "photos"
    folder.mkdir(parents=True)
    (folder / "cake.jpg").write_bytes(jpeg_with_squares([("red", (40, 40), 60)]))
    token = create_photographer(data_dir)
    event_id = int(
        run_cli("events", "create", "Garden party", "--folder", folder, "--owner", "photographer@example.com",
                data_dir=data_dir).strip().splitlines()[-1]
    )  # fmt: skip
    run_cli("index", str(event_id), data_dir=data_dir)
    with Servers(root / "servers") as servers:
        server = servers.start(data_dir, env)
        with server.client(token) as api:
            slug = api.get(f"/api/event/{event_id}").json()["slug"]
        yield Site(server, token, event_id, slug)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from start_site(tmp_path_factory.mktemp("site"), {})


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Behind a trusted proxy (127.0.0.1, the tests), with the API docs on."""
    yield from start_site(tmp_path_factory.mktemp("proxied"), PROXIED)


def directives(csp: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in csp.split(";") if part.strip()}


# --- CSP ------------------------------------------------------------------------------------------


def test_pages_allow_only_their_own_scripts_and_no_framing(site: Site) -> None:
    for path in ("/login", f"/e/{site.slug}"):
        response = httpx.get(site.server.base_url + path)
        assert response.status_code == 200, path

        csp = directives(response.headers["content-security-policy"])
        assert csp["script-src"] == "script-src 'self'", path
        assert csp["style-src"] == "style-src 'self'", path
        assert csp["frame-ancestors"] == "frame-ancestors 'none'", path
        assert csp["object-src"] == "object-src 'none'", path
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cross-origin-opener-policy"] == "same-origin"
        assert "camera=(self)" in response.headers["permissions-policy"]


def test_templates_and_scripts_hold_no_inline_script_handler_or_style() -> None:
    inline = re.compile(
        r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>|\son[a-z]+=|javascript:|\sstyle="
    )
    for path in sorted([*(STATIC / "templates").glob("*.html"), *(STATIC / "static").glob("*.js")]):
        found = inline.search(path.read_text(encoding="utf-8"))
        assert found is None, f"{path.name}: {found.group(0) if found else ''}"


# --- nosniff and Referrer-Policy ------------------------------------------------------------------


def test_static_files_photos_and_errors_are_served_nosniff(site: Site) -> None:
    with site.client() as api:
        thumbnail_url = api.get(f"/api/event/{site.event_id}/photos").json()[0]["thumbnail_url"]
        answers = {path: api.get(path) for path in ("/static/style.css", thumbnail_url, "/api/event/999")}

    assert [a.status_code for a in answers.values()] == [200, 200, 404]
    assert answers[thumbnail_url].headers["content-type"] == "image/jpeg"
    for path, answer in answers.items():
        assert answer.headers["x-content-type-options"] == "nosniff", path


def test_a_server_error_is_served_nosniff_too(make_web: MakeWeb) -> None:
    web = make_web()

    @web.app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(web.app, raise_server_exceptions=False) as client:
        response = client.get("/boom")

    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_guest_pages_and_files_send_no_referrer(site: Site) -> None:
    with site.client() as api:
        # a gallery event's guests get its photos' links without a search
        assert api.patch(f"/api/event/{site.event_id}", json={"visibility": "gallery"}).status_code == 200
        thumbnail_url = api.get(f"/api/e/{site.slug}/gallery").json()["photos"][0]["thumbnail_url"]
        guest_page = httpx.get(f"{site.server.base_url}/e/{site.slug}")
        thumbnail = api.get(thumbnail_url)
        login = api.get("/login")

    assert thumbnail_url.startswith(f"/e/{site.slug}/"), thumbnail_url
    assert thumbnail.status_code == 200

    assert guest_page.headers["referrer-policy"] == "no-referrer"
    assert thumbnail.headers["referrer-policy"] == "no-referrer"
    assert login.headers["referrer-policy"] == "same-origin"
    # a <meta name="referrer"> in the page would override the header
    assert 'name="referrer"' not in guest_page.text


# --- HSTS -----------------------------------------------------------------------------------------


def test_hsts_only_when_the_request_came_over_https(site: Site, proxied: Site) -> None:
    https = {"X-Forwarded-Proto": "https"}

    plain = httpx.get(f"{proxied.server.base_url}/login")
    through_https_proxy = httpx.get(f"{proxied.server.base_url}/login", headers=https)
    untrusted_claim = httpx.get(f"{site.server.base_url}/login", headers=https)

    assert "strict-transport-security" not in plain.headers
    assert through_https_proxy.headers["strict-transport-security"].startswith("max-age=")
    assert "strict-transport-security" not in untrusted_claim.headers


def test_hsts_on_every_answer_when_the_public_address_is_https(make_web: MakeWeb) -> None:
    web = make_web(public_base_url="https://photos.example.com")

    assert web.client.get("/login").headers["strict-transport-security"].startswith("max-age=")


# --- logs -----------------------------------------------------------------------------------------


def test_guest_slugs_are_cut_short_in_the_request_log(site: Site) -> None:
    short = f"{site.slug[:2]}…{site.slug[-2:]}"
    marker = "X-Request-ID"
    httpx.get(f"{site.server.base_url}/e/{site.slug}", headers={marker: "guest-page-1"})
    httpx.post(f"{site.server.base_url}/api/e/{site.slug}/search", headers={marker: "guest-search-1"})

    app_log = (site.server.data_dir / "logs" / "app.log").read_text(encoding="utf-8")
    for name, log in {"app.log": app_log, "stderr": site.server.stderr()}.items():
        lines = [line for line in log.splitlines() if "request_id=guest-" in line]
        assert len(lines) == 2, f"{name}: {lines}"
        assert f"path=/e/{short} " in lines[0], lines[0]
        assert f"path=/api/e/{short}/search " in lines[1], lines[1]
        assert site.slug not in log, f"{name} holds the event's slug"


def test_signed_tokens_in_guest_paths_are_cut_short_too() -> None:
    token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"

    assert shown_path(f"/e/slug12345678/p/{token}/thumb") == "/e/sl…78/p/Ab…89/thumb"
    assert shown_path("/api/events/3") == "/api/events/3"


# --- API docs -------------------------------------------------------------------------------------


def test_api_docs_are_off_by_default_but_the_openapi_description_is_public(site: Site) -> None:
    for path in ("/docs", "/redoc", "/docs/assets/swagger-ui-bundle.js"):
        assert httpx.get(site.server.base_url + path).status_code == 404, path
    assert httpx.get(f"{site.server.base_url}/openapi.json").json()["info"]["title"] == "eventface"


def test_api_docs_when_on_load_only_files_from_this_server(proxied: Site) -> None:
    base = proxied.server.base_url
    for page in ("/docs", "/redoc"):
        html = httpx.get(base + page)
        assert html.status_code == 200, page

        urls = re.findall(r'(?:src|href)="([^"]+)"', html.text)
        assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls), urls
        for url in urls:
            asset = httpx.get(base + url)
            assert asset.status_code == 200, url
            assert asset.headers["x-content-type-options"] == "nosniff", url
    assert (assets_dir() / "swagger-ui-bundle.js").is_file()


# --- Allow ----------------------------------------------------------------------------------------


def test_a_405_names_every_method_of_the_path_in_allow(site: Site) -> None:
    response = httpx.request("OPTIONS", f"{site.server.base_url}/api/events")

    assert response.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["allow"].split(",")}
