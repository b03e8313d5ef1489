"""Thumbnails and previews made while indexing (issue 12), from the pixels the engine decoded."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventface.faces.images import PhotoImage
from eventface.faces.pool import InlineAnalyzer, PhotoAnalysis, analyze
from eventface.services.thumbnails import ThumbnailStore
from tests.fakes.face_engine import ColourSquareEngine
from tests.fakes.photos import encode, picture
from tests.unit.test_thumbnails import BIG, GPS_IFD_TAG, opened, photo_with_metadata


class CountingImage(PhotoImage):
    def __init__(self, data: bytes) -> None:
        super().__init__(data, BIG)
        self.decoded_at: list[int] = []

    def _decode(self, max_side_px: int) -> object:  # type: ignore[override]
        self.decoded_at.append(max_side_px)
        return super()._decode(max_side_px)


def test_renditions_reuse_the_engines_decode_and_fit_each_size() -> None:
    image = CountingImage(encode(picture((1200, 800))))
    image.decode(1000)  # what the engine asked for

    renditions = image.jpeg_renditions([600, 150])

    assert image.decoded_at == [1000]  # nothing decoded again
    assert {side: opened(jpeg).size for side, jpeg in renditions.items()} == {
        600: (600, 400),
        150: (150, 100),
    }


def test_a_rendition_larger_than_the_engines_decode_is_decoded_for() -> None:
    image = CountingImage(encode(picture((1200, 800))))
    image.decode(300)

    renditions = image.jpeg_renditions([600])

    assert image.decoded_at == [300, 600]
    assert opened(renditions[600]).size == (600, 400)


def test_renditions_are_upright_never_upscaled_and_carry_no_metadata() -> None:
    image = PhotoImage(photo_with_metadata((400, 200), orientation=6), BIG)  # stored sideways
    image.decode(2000)

    renditions = image.jpeg_renditions([1600, 100])

    big, small = opened(renditions[1600]), opened(renditions[100])
    assert big.size == (200, 400) and small.size == (50, 100)
    for rendition in (big, small):
        exif = rendition.getexif()
        assert not exif and not exif.get_ifd(GPS_IFD_TAG)
        assert "icc_profile" not in rendition.info and "exif" not in rendition.info


def test_an_analysis_carries_the_renditions_asked_for() -> None:
    outcome = analyze(ColourSquareEngine(), encode(picture((800, 600))), BIG, (480, 120))

    assert isinstance(outcome, PhotoAnalysis)
    assert {side: opened(jpeg).size for side, jpeg in outcome.renditions.items()} == {
        480: (480, 360),
        120: (120, 90),
    }
    assert analyze(ColourSquareEngine(), encode(picture((80, 60))), BIG).renditions == {}


def test_a_stored_rendition_is_served_without_reading_the_photo(tmp_path: Path) -> None:
    store = ThumbnailStore(tmp_path / "thumbs", max_side_px=120, max_pixels=BIG)
    data = encode(picture((800, 600)))
    ((_, outcome),) = InlineAnalyzer(ColourSquareEngine(), BIG, rendition_px=(120,)).analyze_many(
        [(42, data)]
    )
    assert isinstance(outcome, PhotoAnalysis)
    store.put(7, 42, outcome.content_hash, outcome.renditions[120])

    def read() -> bytes:
        pytest.fail("a guest's request read the original")

    path = store.get(7, 42, outcome.content_hash, read)
    assert opened(path.read_bytes()).size == (120, 90)
