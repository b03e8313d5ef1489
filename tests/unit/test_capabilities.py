"""Guest link tokens (web/capabilities.py) and download names (web/downloads.py), without a server."""

from __future__ import annotations

import pytest

from eventface.errors import NotFoundError
from eventface.web.capabilities import Capabilities
from eventface.web.downloads import attachment, safe_base_name

KEY = "k" * 48
NOW = 1_800_000_000.0


def capabilities(key: str = KEY) -> Capabilities:
    return Capabilities(key, ttl_s=24 * 3600, clock=lambda: NOW)


def test_a_photo_link_is_short_and_opens_only_its_photo_in_its_event() -> None:
    caps = capabilities()
    token = caps.photo(7, 123_456)

    assert len(token) <= 32  # /e/<slug>/p/<token>/thumb stays short
    assert caps.open_photo(7, token).id == 123_456
    assert not caps.open_photo(7, token).browsed
    assert caps.open_photo(7, caps.photo(7, 5, browsed=True)).browsed
    with pytest.raises(NotFoundError):
        caps.open_photo(8, token)
    with pytest.raises(NotFoundError):
        caps.open_face(7, token)  # a photo's token is not a face's
    with pytest.raises(NotFoundError):
        capabilities("another server key that is long enough").open_photo(7, token)


@pytest.mark.parametrize("ids", [[1], [3, 1, 2, 2], [2**40, 5, 2**62], list(range(1, 1001))])
def test_a_list_of_photos_comes_back_sorted_and_unique(ids: list[int]) -> None:
    caps = capabilities()

    token = caps.photos(1, ids)

    assert caps.open_photos(1, token) == sorted(set(ids))
    if max(ids) < 2**20:  # nearby ids (one event's): under two characters each
        assert len(token) < 2 * len(ids) + 40


def test_links_expire_after_the_ttl_and_one_bucket_at_most() -> None:
    caps = capabilities()
    token = caps.photo(1, 2)

    caps.clock = lambda: NOW + caps.ttl_s  # at least a ttl...
    assert caps.open_photo(1, token).id == 2
    caps.clock = lambda: NOW + caps.ttl_s + caps.bucket_s  # ...and not a bucket more
    with pytest.raises(NotFoundError):
        caps.open_photo(1, token)


def test_one_link_per_photo_within_a_bucket() -> None:
    caps = capabilities()
    start = (NOW // caps.bucket_s) * caps.bucket_s
    caps.clock = lambda: start + 1
    first = caps.photo(1, 2)
    caps.clock = lambda: start + caps.bucket_s - 1
    assert caps.photo(1, 2) == first
    caps.clock = lambda: start + caps.bucket_s
    assert caps.photo(1, 2) != first


@pytest.mark.parametrize("token", ["", "=", "a b", "é", "A" * 20_000, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_garbage_is_not_found(token: str) -> None:
    with pytest.raises(NotFoundError):
        capabilities().open_photos(1, token)


def test_a_token_has_one_spelling() -> None:
    caps = capabilities()
    token = caps.photo(1, 2)
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # the last character carries unused bits when the length is not a multiple of 4 characters
    respelled = [token[:-1] + c for c in last if c != token[-1]]

    for other in respelled:
        with pytest.raises(NotFoundError):
            caps.open_photo(1, other)


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("day1/a.jpg", "a.jpg"),
        ("C:\\x\\b.jpg", "b.jpg"),
        ("bell\x07.jpg", "bell_.jpg"),
        ("c1\x85.jpg", "c1_.jpg"),
        ("evil\u202egpj.exe", "evil_gpj.exe"),
        ("zero\u200bwidth.jpg", "zero_width.jpg"),
        ("line\u2028sep.jpg", "line_sep.jpg"),
        ("naïve.jpg", "naïve.jpg"),
    ],
)
def test_download_names_lose_folders_and_hidden_characters(raw: str, safe: str) -> None:
    assert safe_base_name(raw) == safe


def test_content_disposition_has_an_ascii_name_and_the_utf8_one() -> None:
    assert attachment("ภาพ 1.jpg") == (
        "attachment; filename=\"___ 1.jpg\"; filename*=UTF-8''%E0%B8%A0%E0%B8%B2%E0%B8%9E%201.jpg"
    )
    assert attachment('50% "off".jpg') == (
        "attachment; filename=\"50_ _off_.jpg\"; filename*=UTF-8''50%25%20_off_.jpg"
    )
