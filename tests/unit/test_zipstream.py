"""Streaming ZIP downloads: valid archives, produced progressively, with safe unique names."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterator

import pytest

from eventface.errors import PhotoGoneError
from eventface.web.zipstream import stream_zip

Entry = tuple[str, Callable[[], bytes]]


def constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def unzipped(chunks: Iterator[bytes]) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as archive:
        assert archive.testzip() is None  # every member's CRC checks out
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_round_trip_keeps_names_and_bytes_in_order() -> None:
    big = os.urandom(1_000_000)  # spans several internal chunks
    entries: list[Entry] = [
        ("a.jpg", constant(b"first")),
        ("big.jpg", constant(big)),
        ("empty.jpg", constant(b"")),
        ("ภาพงานแต่ง.jpg", constant(b"thai name")),
    ]

    files = unzipped(stream_zip(entries))

    assert list(files) == ["a.jpg", "big.jpg", "empty.jpg", "ภาพงานแต่ง.jpg"]
    assert files == {"a.jpg": b"first", "big.jpg": big, "empty.jpg": b"", "ภาพงานแต่ง.jpg": b"thai name"}


def test_members_are_stored_uncompressed_and_readable_by_unix_unzip() -> None:
    with zipfile.ZipFile(io.BytesIO(b"".join(stream_zip([("a.jpg", constant(b"x" * 1000))])))) as archive:
        (info,) = archive.infolist()

    assert info.compress_type == zipfile.ZIP_STORED
    assert (info.external_attr >> 16) & 0o444 == 0o444


def test_an_empty_list_gives_a_valid_empty_archive() -> None:
    assert unzipped(stream_zip([])) == {}


def test_chunks_are_yielded_before_later_members_are_read() -> None:
    calls: list[str] = []

    def reader(name: str) -> Callable[[], bytes]:
        def read() -> bytes:
            calls.append(name)
            return name.encode() * 1000

        return read

    stream = stream_zip((name, reader(name)) for name in ["a.jpg", "b.jpg", "c.jpg"])

    first = next(stream)
    assert first.startswith(b"PK\x03\x04")  # a local file header: the archive has begun
    assert calls == ["a.jpg"]
    rest = list(stream)
    assert calls == ["a.jpg", "b.jpg", "c.jpg"]
    assert all(rest)  # no empty chunks
    assert unzipped(iter([first, *rest]))["c.jpg"] == b"c.jpg" * 1000


def test_duplicate_names_get_numbered_suffixes() -> None:
    names = ["IMG_1.jpg", "IMG_1.jpg", "img_1.JPG", "IMG_1 (2).jpg", "IMG_1.jpg", "README", "README"]

    files = unzipped(stream_zip([(name, constant(b"x")) for name in names]))

    assert list(files) == [
        "IMG_1.jpg",
        "IMG_1 (2).jpg",
        "img_1 (3).JPG",  # differs only in case: would overwrite on Windows and macOS
        "IMG_1 (2) (2).jpg",
        "IMG_1 (4).jpg",
        "README",
        "README (2)",
    ]


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("day1/ceremony/a.jpg", "a.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\b.jpg", "b.jpg"),
        ("..", "photo"),
        ("dir/", "photo"),
        ("", "photo"),
        ('what?<now>:"|*.jpg', "what__now_____.jpg"),
        ("line\nbreak.jpg", "line_break.jpg"),
    ],
)
def test_names_are_reduced_to_safe_base_names(raw: str, safe: str) -> None:
    assert list(unzipped(stream_zip([(raw, constant(b"x"))]))) == [safe]


def test_an_unreadable_member_is_listed_in_missing_txt() -> None:
    def gone() -> bytes:
        raise PhotoGoneError("day1/b.jpg vanished")

    entries: list[Entry] = [("a.jpg", constant(b"A")), ("day1/b.jpg", gone), ("c.jpg", constant(b"C"))]

    files = unzipped(stream_zip(entries))

    assert list(files) == ["a.jpg", "c.jpg", "MISSING.txt"]
    assert files["a.jpg"] == b"A" and files["c.jpg"] == b"C"
    missing = files["MISSING.txt"].decode()
    assert missing.splitlines()[-1] == "b.jpg"
    assert "vanished" not in missing  # reasons go to the log, not to guests


def test_no_missing_txt_when_every_member_is_read() -> None:
    assert "MISSING.txt" not in unzipped(stream_zip([("a.jpg", constant(b"A"))]))


def test_a_photo_named_missing_txt_does_not_clash_with_the_listing() -> None:
    def gone() -> bytes:
        raise PhotoGoneError("gone")

    files = unzipped(stream_zip([("MISSING.txt", constant(b"mine")), ("b.jpg", gone)]))

    assert files["MISSING.txt"] == b"mine"
    assert files["MISSING (2).txt"].decode().splitlines()[-1] == "b.jpg"


def test_an_unexpected_error_ends_the_stream() -> None:
    def broken() -> bytes:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        list(stream_zip([("a.jpg", constant(b"A")), ("b.jpg", broken)]))
