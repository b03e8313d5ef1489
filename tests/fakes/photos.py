"""Small synthetic photos built with PIL: grey backgrounds with solid coloured squares ("faces")."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from PIL import Image, ImageDraw

GREY = (128, 128, 128)
# the colours the fake face engine recognises, each one "person"
PALETTE: Mapping[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "magenta": (255, 0, 255),
    "cyan": (0, 255, 255),
}
ORIENTATION_TAG = 0x0112

Square = tuple[str, tuple[int, int], int]  # colour name, (left, top), side in pixels


def picture(size: tuple[int, int], squares: Sequence[Square] = ()) -> Image.Image:
    """A grey RGB picture with each square filled in its palette colour."""
    image = Image.new("RGB", size, GREY)
    draw = ImageDraw.Draw(image)
    for colour, (left, top), side in squares:
        draw.rectangle((left, top, left + side - 1, top + side - 1), fill=PALETTE[colour])
    return image


def encode(
    image: Image.Image, fmt: str = "JPEG", *, orientation: int | None = None, **options: object
) -> bytes:
    """The picture's bytes in `fmt`, with an EXIF Orientation tag when `orientation` is given."""
    buffer = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[ORIENTATION_TAG] = orientation
        options["exif"] = exif.tobytes()
    if fmt == "JPEG":
        options.setdefault("quality", 95)
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg_with_squares(squares: Sequence[Square], size: tuple[int, int] = (320, 240)) -> bytes:
    return encode(picture(size, squares))
