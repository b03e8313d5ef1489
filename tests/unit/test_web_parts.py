"""The web shell's small parts: languages, Thai coverage, rate limit, image sniffing, the secret key."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from eventface.secret_key import KEY_FILE, secret_key
from eventface.settings import Settings
from eventface.web import guest, uploads
from eventface.web.i18n import THAI, from_accept_language, translator
from eventface.web.ratelimit import RateLimiter, client_key
from tests.fakes.photos import encode, picture

TEMPLATES = Path(guest.__file__).parent / "templates"
# t("...") and t('...') calls in the templates, including strings split over lines
T_CALL = re.compile(r"""\bt\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""", re.S)


def template_strings() -> set[str]:
    found = set()
    for path in TEMPLATES.glob("*.html"):
        for double, single in T_CALL.findall(path.read_text()):
            found.add(double or single)
    return found


def test_the_templates_ask_for_strings() -> None:
    # guards the regex: if it stopped matching, the coverage test below would pass vacuously
    assert {"Find my photos", "Start indexing", "Sign in"} <= template_strings()


@pytest.mark.parametrize("text", sorted(template_strings() | set(guest.GUEST_SCRIPT_STRINGS)))
def test_every_string_on_a_page_has_a_thai_translation(text: str) -> None:
    assert text in THAI, f"no Thai translation for {text!r} (add it to web/i18n.py)"
    assert THAI[text].strip()


def test_thai_texts_are_thai() -> None:
    untranslated = [k for k, v in THAI.items() if v == k and k not in {"eventface"}]
    assert untranslated == []
    assert translator("th")("Find my photos") == "ค้นหารูปของฉัน"
    assert translator("en")("Find my photos") == "Find my photos"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("th-TH,th;q=0.9,en;q=0.8", "th"),
        ("en-US,en;q=0.9,th;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,th;q=0.5", "th"),
        ("de-DE", "en"),
        ("", "en"),
        ("th;q=bogus, en;q=0.1", "en"),
    ],
)
def test_language_from_accept_language(header: str, expected: str) -> None:
    assert from_accept_language(header) == expected


def test_rate_limit_allows_the_limit_then_says_how_long_to_wait() -> None:
    now = [100.0]
    limiter = RateLimiter(2, window_s=60, clock=lambda: now[0])
    assert limiter.check("1.2.3.4") is None
    assert limiter.check("1.2.3.4") is None
    wait = limiter.check("1.2.3.4")
    assert wait == pytest.approx(60)
    assert limiter.check("5.6.7.8") is None  # other clients are not affected
    now[0] += 61
    assert limiter.check("1.2.3.4") is None


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_sniffing_accepts_photo_formats(fmt: str) -> None:
    assert uploads.sniff_image_type(encode(picture((32, 32)), fmt)) is not None


def test_sniffing_accepts_heic_brands_and_refuses_other_files() -> None:
    heic_header = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    assert uploads.sniff_image_type(heic_header) == "image/heic"
    assert uploads.sniff_image_type(b"GIF89a....") is None
    assert uploads.sniff_image_type(b"%PDF-1.7") is None
    assert uploads.sniff_image_type(b"") is None


def test_secret_key_is_made_once_with_owner_only_permissions(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = secret_key(settings)
    assert len(first) >= 32
    assert secret_key(settings) == first
    mode = stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode)
    assert mode == 0o600


def test_secret_key_from_settings_wins_and_writes_no_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)
    assert secret_key(settings) == "k" * 40
    assert not (tmp_path / KEY_FILE).exists()


def test_rate_limits_count_an_ipv6_client_by_its_64_network() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert client_key("198.51.100.7") == "198.51.100.7"
    assert client_key("testclient") == "testclient"
