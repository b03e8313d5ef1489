"""Decoding photo bytes: EXIF orientation, draft downscaling, and refusing broken or oversized files."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from eventface.errors import ImageDecodeError, ImageTooLargeError
from eventface.faces.images import PhotoImage, decode
from tests.fakes.photos import PALETTE, encode, picture

BIG = 10**9
RED, BLUE = np.array(PALETTE["red"]), np.array(PALETTE["blue"])
MARK = 30  # marker side, pixels


def corner_colour(rgb: np.ndarray, corner: str) -> np.ndarray:
    """Mean colour of a 10x10 patch well inside the marker at `corner` ("tl", "tr", "bl", "br")."""
    height, width = rgb.shape[:2]
    top = 5 if corner[0] == "t" else height - 15
    left = 5 if corner[1] == "l" else width - 15
    return rgb[top : top + 10, left : left + 10].reshape(-1, 3).mean(axis=0)


def is_colour(rgb: np.ndarray, corner: str, colour: np.ndarray) -> bool:
    return bool(np.abs(corner_colour(rgb, corner) - colour).max() < 40)


def stored_photo(size: tuple[int, int], red_corner: str, blue_corner: str) -> Image.Image:
    """A grey picture, as stored in the file, with a red and a blue marker in the given corners."""
    width, height = size
    origin = {
        "tl": (0, 0),
        "tr": (width - MARK, 0),
        "bl": (0, height - MARK),
        "br": (width - MARK, height - MARK),
    }
    return picture(size, [("red", origin[red_corner], MARK), ("blue", origin[blue_corner], MARK)])


# The display picture is 200x100 with red top-left and blue top-right. Where those markers sit in
# the stored pixels follows from the EXIF spec: 3 = rotate 180, 6 = rotate 90 CW, 8 = rotate 90 CCW.
@pytest.mark.parametrize(
    ("orientation", "stored_size", "red_stored", "blue_stored"),
    [
        pytest.param(1, (200, 100), "tl", "tr", id="1-upright"),
        pytest.param(3, (200, 100), "br", "bl", id="3-rotate-180"),
        pytest.param(6, (100, 200), "bl", "tl", id="6-rotate-90-cw"),
        pytest.param(8, (100, 200), "tr", "br", id="8-rotate-90-ccw"),
    ],
)
def test_decode_applies_exif_orientation(
    orientation: int, stored_size: tuple[int, int], red_stored: str, blue_stored: str
) -> None:
    data = encode(stored_photo(stored_size, red_stored, blue_stored), orientation=orientation)

    image = PhotoImage(data, BIG)
    decoded = image.decode(max_side_px=1000)

    assert (image.full_width, image.full_height) == (200, 100)
    assert decoded.rgb.shape == (100, 200, 3)
    assert is_colour(decoded.rgb, "tl", RED)
    assert is_colour(decoded.rgb, "tr", BLUE)
    assert not is_colour(decoded.rgb, "bl", RED) and not is_colour(decoded.rgb, "br", BLUE)


def test_decode_ignores_a_malformed_orientation_value() -> None:
    data = encode(stored_photo((200, 100), "tl", "tr"), orientation=99)

    decoded = decode(data, max_side_px=1000, max_pixels=BIG)

    assert decoded.rgb.shape == (100, 200, 3)
    assert is_colour(decoded.rgb, "tl", RED)


def test_draft_decode_is_a_power_of_two_reduction_when_it_fits_exactly() -> None:
    data = encode(picture((1600, 1200)))

    decoded = decode(data, max_side_px=400, max_pixels=BIG)

    assert decoded.rgb.shape == (300, 400, 3)
    assert decoded.scale == pytest.approx(0.25)
    assert (decoded.full_width, decoded.full_height) == (1600, 1200)


def test_downscale_respects_max_side_and_reports_scale_against_full_resolution() -> None:
    # a marker at (800, 600) in the full photo must land at (800, 600) * scale in the decoded pixels
    data = encode(picture((1600, 1200), [("red", (800, 600), 200)]))

    decoded = decode(data, max_side_px=500, max_pixels=BIG)

    assert max(decoded.rgb.shape[:2]) == 500
    assert decoded.rgb.shape == (375, 500, 3)
    assert decoded.scale == pytest.approx(500 / 1600)
    rows, cols = np.nonzero((np.abs(decoded.rgb.astype(int) - RED) < 40).all(axis=2))
    assert cols.min() == pytest.approx(800 * decoded.scale, abs=2)
    assert rows.min() == pytest.approx(600 * decoded.scale, abs=2)


def test_downscale_of_a_sideways_photo_measures_the_display_orientation() -> None:
    data = encode(picture((1200, 1600)), orientation=6)

    decoded = decode(data, max_side_px=400, max_pixels=BIG)

    assert decoded.rgb.shape == (300, 400, 3)
    assert (decoded.full_width, decoded.full_height) == (1600, 1200)
    assert decoded.scale == pytest.approx(0.25)


def test_decode_never_upscales() -> None:
    decoded = decode(encode(picture((160, 120))), max_side_px=2000, max_pixels=BIG)

    assert decoded.rgb.shape == (120, 160, 3)
    assert decoded.scale == 1.0


def test_truncated_jpeg_is_a_decode_error_with_a_clear_message() -> None:
    data = encode(picture((640, 480), [("red", (10, 10), 100)]))

    with pytest.raises(ImageDecodeError, match=r"cannot decode image: .*truncated"):
        decode(data[: len(data) // 2], max_side_px=1000, max_pixels=BIG)


def test_text_file_named_jpg_is_a_decode_error() -> None:
    with pytest.raises(ImageDecodeError, match="not an image"):
        decode(b"this is a shopping list, not a photo\n", max_side_px=1000, max_pixels=BIG)


def test_image_over_max_pixels_is_refused_before_decoding() -> None:
    data = encode(picture((100, 100)))

    with pytest.raises(ImageTooLargeError, match=r"100x100 pixels, more than the limit of 9,999"):
        PhotoImage(data, max_pixels=9_999)
    assert PhotoImage(data, max_pixels=10_000).full_width == 100


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` pixels and holds none: how decompression bombs start."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_bomb_over_twice_pils_limit_is_image_too_large() -> None:
    assert 2 * Image.MAX_IMAGE_PIXELS < 100_000 * 100_000  # PIL itself refuses to open this one

    with pytest.raises(ImageTooLargeError, match="decompression bomb"):
        PhotoImage(png_header_only(100_000, 100_000), max_pixels=BIG * 100)


def test_bomb_between_pils_warning_and_error_limits_is_refused_by_max_pixels() -> None:
    # PIL only warns here (the warning must not escape: pytest turns warnings into errors)
    side = 12_000
    assert Image.MAX_IMAGE_PIXELS < side * side < 2 * Image.MAX_IMAGE_PIXELS

    with pytest.raises(ImageTooLargeError, match="12000x12000 pixels"):
        PhotoImage(png_header_only(side, side), max_pixels=120_000_000)


@pytest.mark.parametrize(("fmt", "options"), [("PNG", {}), ("WEBP", {"lossless": True})])
def test_png_and_webp_decode_to_rgb(fmt: str, options: dict[str, object]) -> None:
    data = encode(stored_photo((200, 100), "tl", "tr").convert("RGBA"), fmt, **options)

    decoded = decode(data, max_side_px=1000, max_pixels=BIG)

    assert decoded.rgb.shape == (100, 200, 3)
    assert decoded.rgb.dtype == np.uint8
    assert is_colour(decoded.rgb, "tl", RED) and is_colour(decoded.rgb, "tr", BLUE)


def test_heic_decodes() -> None:
    pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif is not installed")
    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    try:
        stored_photo((200, 100), "tl", "tr").save(buffer, "HEIF", quality=95)
    except (OSError, KeyError, ValueError) as exc:
        pytest.skip(f"this pillow-heif build cannot encode HEIC: {exc}")

    decoded = decode(buffer.getvalue(), max_side_px=1000, max_pixels=BIG)

    assert decoded.rgb.shape == (100, 200, 3)
    assert is_colour(decoded.rgb, "tl", RED) and is_colour(decoded.rgb, "tr", BLUE)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P"])
def test_a_large_png_is_reduced_first_and_still_turned_upright(mode: str) -> None:
    # stored 1000x4200 and tagged "rotate 90 CW": displayed 4200x1000, red on the left, blue on the right
    stored = picture((1000, 4200), [("red", (0, 3200), 1000), ("blue", (0, 0), 1000)]).convert(mode)
    data = encode(stored, "PNG", orientation=6)

    decoded = decode(data, max_side_px=1000, max_pixels=BIG)  # 4.2x smaller: reduced by 2 first

    assert decoded.rgb.shape == (238, 1000, 3)
    assert decoded.scale == pytest.approx(1000 / 4200)
    assert is_colour(decoded.rgb, "tl", RED) and is_colour(decoded.rgb, "tr", BLUE)
