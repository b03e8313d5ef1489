"""The event page warns the photographer when the guest link and QR code name an address phones
cannot reach (this computer, a private network, a `.local` name)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventface.domain.reachability import unreachable_host
from tests.web.conftest import MakeWeb, Web

WARNING_ID = 'id="unreachable-link"'


def event_page(web: Web, folder: Path, lang: str = "en") -> str:
    owner = web.photographer("alice@example.com")
    event = web.event(owner, folder)
    web.login(owner.email)
    page = web.client.get(f"/events/{event.id}?lang={lang}")
    assert page.status_code == 200, page.text
    return page.text


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1:8000/e/abc", "127.0.0.1"),
        ("http://localhost:8000/e/abc", "localhost"),
        ("http://LOCALHOST./e/abc", "localhost"),
        ("http://[::1]:8000/e/abc", "::1"),
        ("http://[::ffff:192.168.0.2]/e/abc", "::ffff:192.168.0.2"),
        ("http://192.168.1.20:8000/e/abc", "192.168.1.20"),
        ("http://172.16.5.4/e/abc", "172.16.5.4"),
        ("http://169.254.1.1/e/abc", "169.254.1.1"),
        ("http://0.0.0.0:8000/e/abc", "0.0.0.0"),
        ("https://studio.local/e/abc", "studio.local"),
        ("http://nas/e/abc", "nas"),
        ("https://photos.example.org/e/abc", None),
        ("https://203.0.113.9.nip.io/e/abc", None),
        ("https://8.8.8.8/e/abc", None),
    ],
)
def test_addresses_phones_cannot_reach_are_recognised(url: str, host: str | None) -> None:
    assert unreachable_host(url) == host


def test_the_event_page_warns_beside_the_qr_code_when_the_guest_link_is_local(
    make_web: MakeWeb, wedding_folder: Path
) -> None:
    web = make_web(public_base_url="http://192.168.1.20:8000")

    page = event_page(web, wedding_folder)

    warning = page[page.index(WARNING_ID) : page.index('<figure class="qr">')]
    assert "Guests&#39; phones cannot open this link." in warning
    assert "<code>192.168.1.20</code>" in warning
    assert "PUBLIC_BASE_URL" in warning and "docs/deploy.md" in warning


def test_the_warning_is_in_thai_on_the_thai_page(make_web: MakeWeb, wedding_folder: Path) -> None:
    web = make_web(public_base_url="http://localhost:8000")

    page = event_page(web, wedding_folder, lang="th")

    assert WARNING_ID in page
    assert "โทรศัพท์ของแขกเปิดลิงก์นี้ไม่ได้" in page


def test_the_event_page_does_not_warn_when_the_guest_link_is_public(
    make_web: MakeWeb, wedding_folder: Path
) -> None:
    web = make_web(public_base_url="https://photos.example.org")
    web.client.base_url = "https://testserver"  # the session cookie is Secure now

    assert WARNING_ID not in event_page(web, wedding_folder)
