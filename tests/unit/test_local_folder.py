"""LocalFolderSource: recursive listing of image files, versions, and the two ways a read can fail."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eventface.errors import PhotoGoneError, SourceUnavailableError
from eventface.sources.local_folder import LocalFolderSource


def touch(path: Path, data: bytes = b"pixels") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def listed(root: Path) -> dict[str, str]:
    return {p.file_id: p.version for p in LocalFolderSource(root).list_photos()}


def test_listing_is_recursive_with_relative_posix_ids(tmp_path: Path) -> None:
    touch(tmp_path / "a.jpg")
    touch(tmp_path / "day1" / "ceremony" / "b.jpeg")
    touch(tmp_path / "day2" / "c.png", b"longer content")

    photos = list(LocalFolderSource(tmp_path).list_photos())

    assert [p.file_id for p in photos] == ["a.jpg", "day1/ceremony/b.jpeg", "day2/c.png"]
    assert [p.name for p in photos] == [p.file_id for p in photos]
    assert [p.size_bytes for p in photos] == [6, 6, 14]


def test_only_image_types_are_listed_whatever_the_case_of_the_suffix(tmp_path: Path) -> None:
    for name in ["a.JPG", "b.jpe", "c.webp", "d.HEIC", "e.heif", "f.Png"]:
        touch(tmp_path / name)
    for name in ["notes.txt", "clip.mov", "raw.cr2", "anim.gif", "jpg", "archive.jpg.zip"]:
        touch(tmp_path / name)

    assert sorted(listed(tmp_path)) == ["a.JPG", "b.jpe", "c.webp", "d.HEIC", "e.heif", "f.Png"]


def test_hidden_files_and_folders_are_skipped(tmp_path: Path) -> None:
    touch(tmp_path / "keep.jpg")
    touch(tmp_path / ".hidden.jpg")
    touch(tmp_path / "._keep.jpg")  # macOS resource fork
    touch(tmp_path / ".thumbnails" / "keep.jpg")
    touch(tmp_path / "sub" / ".cache" / "x.jpg")

    assert list(listed(tmp_path)) == ["keep.jpg"]


def test_version_changes_when_the_content_changes(tmp_path: Path) -> None:
    photo = touch(tmp_path / "a.jpg", b"first")
    before = listed(tmp_path)["a.jpg"]

    photo.write_bytes(b"second, longer")

    assert listed(tmp_path)["a.jpg"] != before


def test_version_changes_when_only_the_modification_time_changes(tmp_path: Path) -> None:
    photo = touch(tmp_path / "a.jpg", b"first")
    stat = photo.stat()
    before = listed(tmp_path)["a.jpg"]

    photo.write_bytes(b"other")  # same size
    os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    assert listed(tmp_path)["a.jpg"] != before


def test_version_is_stable_while_nothing_changes(tmp_path: Path) -> None:
    touch(tmp_path / "a.jpg")

    assert listed(tmp_path) == listed(tmp_path)


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_listing_a_missing_folder_raises_source_unavailable(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "photos"
    if kind == "a file":
        touch(root)

    with pytest.raises(SourceUnavailableError, match="photo folder not found or not a folder"):
        list(LocalFolderSource(root).list_photos())


def test_read_returns_the_file_bytes(tmp_path: Path) -> None:
    touch(tmp_path / "sub" / "a.jpg", b"\xff\xd8 bytes")

    assert LocalFolderSource(tmp_path).read("sub/a.jpg") == b"\xff\xd8 bytes"


def test_reading_a_removed_file_raises_photo_gone(tmp_path: Path) -> None:
    photo = touch(tmp_path / "a.jpg")
    source = LocalFolderSource(tmp_path)
    (listed_photo,) = source.list_photos()
    photo.unlink()

    with pytest.raises(PhotoGoneError, match=r"a\.jpg was removed"):
        source.read(listed_photo.file_id)


def test_reading_outside_the_folder_is_refused(tmp_path: Path) -> None:
    touch(tmp_path / "secret.jpg")
    (tmp_path / "event").mkdir()

    with pytest.raises(PhotoGoneError, match="outside the event folder"):
        LocalFolderSource(tmp_path / "event").read("../secret.jpg")
