"""Thumbnails: upright, small, stripped of metadata, and made once per photo version on disk."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from eventface.errors import ImageDecodeError, ImageTooLargeError
from eventface.faces.images import thumbnail_jpeg
from eventface.services.thumbnails import ThumbnailStore
from tests.fakes.photos import PALETTE, encode, picture

BIG = 10**9
GPS_IFD_TAG = 0x8825


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def photo_with_metadata(size: tuple[int, int] = (400, 200), orientation: int = 1) -> bytes:
    """A JPEG with orientation, a camera make and a GPS block, all of which a thumbnail must drop."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Secret Camera Co"
    exif.get_ifd(GPS_IFD_TAG).update({1: "N", 2: (13.0, 45.0, 0.0)})
    buffer = io.BytesIO()
    picture(size, [("red", (0, 0), 40)]).save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def test_thumbnail_fits_the_long_side_and_keeps_the_aspect_ratio() -> None:
    thumb = opened(thumbnail_jpeg(encode(picture((1200, 800))), max_side_px=300, max_pixels=BIG))

    assert thumb.format == "JPEG"
    assert thumb.size == (300, 200)
    assert thumb.info.get("progressive") or thumb.info.get("progression")


def test_thumbnail_never_upscales() -> None:
    thumb = opened(thumbnail_jpeg(encode(picture((120, 80))), max_side_px=300, max_pixels=BIG))

    assert thumb.size == (120, 80)


def test_thumbnail_applies_exif_orientation() -> None:
    # Stored 200 wide x 100 high with red top-left; orientation 6 displays it rotated 90° clockwise,
    # 100 wide x 200 high with the red marker top-right.
    data = encode(picture((200, 100), [("red", (0, 0), 40)]), orientation=6)

    thumb = opened(thumbnail_jpeg(data, max_side_px=100, max_pixels=BIG))

    assert thumb.size == (50, 100)
    rgb = np.asarray(thumb.convert("RGB"), dtype=float)
    assert np.abs(rgb[2:8, -8:-2].reshape(-1, 3).mean(axis=0) - PALETTE["red"]).max() < 40
    assert np.abs(rgb[2:8, 2:8].reshape(-1, 3).mean(axis=0) - PALETTE["red"]).max() > 100


def test_thumbnail_carries_no_exif_or_other_metadata() -> None:
    data = photo_with_metadata(orientation=6)
    assert opened(data).getexif()  # the test photo does have what must not leak

    thumb_bytes = thumbnail_jpeg(data, max_side_px=100, max_pixels=BIG)

    thumb = opened(thumb_bytes)
    assert not thumb.getexif()
    assert "exif" not in thumb.info and "icc_profile" not in thumb.info and "xmp" not in thumb.info
    assert b"Exif" not in thumb_bytes and b"Secret Camera" not in thumb_bytes
    assert thumb.size == (50, 100)  # upright without needing the tag


def test_thumbnail_of_corrupt_bytes_raises_image_decode_error() -> None:
    with pytest.raises(ImageDecodeError):
        thumbnail_jpeg(b"this is not a photo", max_side_px=100, max_pixels=BIG)


def test_thumbnail_of_truncated_jpeg_raises_image_decode_error() -> None:
    data = encode(picture((400, 300), [("red", (10, 10), 40)]))

    with pytest.raises(ImageDecodeError):
        thumbnail_jpeg(data[: len(data) // 2], max_side_px=100, max_pixels=BIG)


def test_thumbnail_refuses_more_pixels_than_the_limit() -> None:
    with pytest.raises(ImageTooLargeError):
        thumbnail_jpeg(encode(picture((400, 300))), max_side_px=100, max_pixels=400 * 300 - 1)


class CountingReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        with self._lock:
            self.calls += 1
        return self.data


@pytest.fixture
def store(tmp_path: Path) -> ThumbnailStore:
    return ThumbnailStore(tmp_path / "thumbs", max_side_px=64, max_pixels=BIG)


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_store_makes_a_thumbnail_once(store: ThumbnailStore, tmp_path: Path) -> None:
    read = CountingReader(encode(picture((400, 200))))

    first = store.get(7, 42, "abcdef0123456789ffff", read)
    second = store.get(7, 42, "abcdef0123456789ffff", read)

    assert first == second == tmp_path / "thumbs" / "7" / "42" / "abcdef0123456789.jpg"
    assert read.calls == 1
    assert opened(first.read_bytes()).size == (64, 32)


def test_store_replaces_the_thumbnail_of_a_changed_photo(store: ThumbnailStore) -> None:
    old = store.get(7, 42, "v1", CountingReader(encode(picture((400, 200)))))
    store.get(7, 4, "v1", CountingReader(encode(picture((100, 100)))))  # another photo: kept
    read_new = CountingReader(encode(picture((200, 400))))

    new = store.get(7, 42, "v2", read_new)

    assert read_new.calls == 1
    assert new != old and not old.exists()
    assert opened(new.read_bytes()).size == (32, 64)
    assert files_in(new.parent) == ["v2.jpg"]
    assert files_in(new.parent.parent) == ["4", "42"]  # the other photo's folder untouched


def test_store_keys_are_sanitized_into_the_file_name(store: ThumbnailStore, tmp_path: Path) -> None:
    path = store.get(1, 2, "../../etc/passwd", CountingReader(encode(picture((50, 50)))))

    assert path.parent == tmp_path / "thumbs" / "1" / "2"
    assert path.name == "______etc_passwd.jpg"


def test_store_moves_a_thumbnail_of_the_flat_layout_instead_of_making_it_again(
    store: ThumbnailStore, tmp_path: Path
) -> None:
    jpeg = encode(picture((64, 32)))
    flat = tmp_path / "thumbs" / "7" / "42-v1.jpg"  # where thumbnails lay before a folder per photo
    flat.parent.mkdir(parents=True)
    flat.write_bytes(jpeg)
    read = CountingReader(encode(picture((400, 200))))

    path = store.get(7, 42, "v1", read)

    assert path == tmp_path / "thumbs" / "7" / "42" / "v1.jpg"
    assert path.read_bytes() == jpeg and not flat.exists()
    assert read.calls == 0


def test_store_refuses_an_empty_key(store: ThumbnailStore) -> None:
    with pytest.raises(ValueError, match="empty"):
        store.get(1, 2, "", CountingReader(b""))


def test_store_propagates_a_decode_error_and_leaves_no_file(store: ThumbnailStore, tmp_path: Path) -> None:
    with pytest.raises(ImageDecodeError):
        store.get(1, 2, "v1", CountingReader(b"not a photo"))

    event_dir = tmp_path / "thumbs" / "1"
    assert not event_dir.exists() or files_in(event_dir) == []


def test_remove_event_deletes_only_that_event(store: ThumbnailStore) -> None:
    doomed = store.get(1, 2, "v1", CountingReader(encode(picture((50, 50)))))
    kept = store.get(3, 2, "v1", CountingReader(encode(picture((50, 50)))))

    store.remove_event(1)
    store.remove_event(1)  # already gone: no error
    store.remove_event(99)  # never existed: no error

    assert not doomed.parent.exists()
    assert kept.is_file()


def test_concurrent_gets_produce_one_whole_jpeg(store: ThumbnailStore) -> None:
    read = CountingReader(encode(picture((800, 600), [("blue", (100, 100), 200)])))
    start = threading.Barrier(8)

    def get() -> Path:
        start.wait()
        return store.get(5, 9, "deadbeef", read)

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(get) for _ in range(8)]
        paths = {future.result() for future in futures}

    (path,) = paths
    assert files_in(path.parent) == ["deadbeef.jpg"]  # no temp files left behind
    assert opened(path.read_bytes()).size == (64, 48)
    assert read.calls == 1


def test_concurrent_stores_on_one_root_agree(tmp_path: Path) -> None:
    # Separate stores share no lock, like two server processes: the atomic replace alone must hold
    stores = [ThumbnailStore(tmp_path, max_side_px=64, max_pixels=BIG) for _ in range(8)]
    read = CountingReader(encode(picture((800, 600))))
    start = threading.Barrier(8)

    def get(store: ThumbnailStore) -> Path:
        start.wait()
        return store.get(5, 9, "v1", read)

    with ThreadPoolExecutor(max_workers=8) as pool:
        paths = set(pool.map(get, stores))

    (path,) = paths
    assert files_in(path.parent) == ["v1.jpg"]
    assert opened(path.read_bytes()).size == (64, 48)
