"""Whether a photo file is finished: each format's own end, a stalled writer, and what the listing does."""

from __future__ import annotations

import io
import os
import struct
import time
from pathlib import Path

import pytest
from PIL import Image

from eventface.sources.finished_files import STALLED_S, is_finished
from eventface.sources.local_folder import LocalFolderSource


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def heif_like(mdat_bytes: int) -> bytes:
    """The top-level box layout of a HEIF file: ftyp, meta, mdat (contents are not looked at)."""
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"heic", 0, b"mif1")
    meta = struct.pack(">I4s", 16, b"meta") + bytes(8)
    mdat = struct.pack(">I4s", 8 + mdat_bytes, b"mdat") + bytes(mdat_bytes)
    return ftyp + meta + mdat


def finished(path: Path, data: bytes, age_s: float = 0.0) -> bool:
    path.write_bytes(data)
    if age_s:
        os.utime(path, (time.time() - age_s, time.time() - age_s))
    return is_finished(path, path.stat())


@pytest.mark.parametrize(("name", "data"), [
    ("a.jpg", image_bytes("JPEG")),
    ("a.png", image_bytes("PNG")),
    ("a.webp", image_bytes("WEBP")),
    ("a.heic", heif_like(500)),
])  # fmt: skip
def test_a_whole_file_is_finished_and_any_cut_of_it_is_not(tmp_path: Path, name: str, data: bytes) -> None:
    assert finished(tmp_path / name, data)
    for cut in (1, 2, len(data) // 3, len(data) // 2, len(data) - 1):
        assert not finished(tmp_path / name, data[:cut]), f"{name} cut at {cut} of {len(data)} bytes"


def test_an_empty_file_is_one_being_created(tmp_path: Path) -> None:
    assert not finished(tmp_path / "new.jpg", b"")


def test_a_file_that_is_not_its_format_at_all_is_left_to_indexing_to_refuse(tmp_path: Path) -> None:
    assert finished(tmp_path / "notes.jpg", b"not a photo at all")
    assert finished(tmp_path / "notes.heic", b"not a photo at all, longer than a box")
    assert finished(tmp_path / "notes.png", b"not a png")


def test_a_file_nobody_wrote_to_for_a_while_is_taken_as_it_is(tmp_path: Path) -> None:
    data = image_bytes("JPEG")
    assert not finished(tmp_path / "stalled.jpg", data[:-10], age_s=STALLED_S - 2)
    assert finished(tmp_path / "stalled.jpg", data[:-10], age_s=STALLED_S + 1)


def test_a_motion_photo_with_video_after_the_jpeg_waits_only_until_it_stalls(tmp_path: Path) -> None:
    data = image_bytes("JPEG") + struct.pack(">I4s", 24, b"ftyp") + bytes(16)

    assert not finished(tmp_path / "motion.jpg", data)
    assert finished(tmp_path / "motion.jpg", data, age_s=STALLED_S + 1)


def test_the_listing_marks_files_still_being_written(tmp_path: Path) -> None:
    data = image_bytes("JPEG")
    (tmp_path / "done.jpg").write_bytes(data)
    (tmp_path / "arriving.jpg").write_bytes(data[:100])

    marks = {p.file_id: p.finished for p in LocalFolderSource(tmp_path).list_photos()}

    assert marks == {"arriving.jpg": False, "done.jpg": True}
