"""Decoding photo bytes into upright pixels, fast and safely.

Cameras and phones store many photos sideways with an EXIF Orientation tag; every box eventface
stores is in display orientation (the tag applied), in the full-resolution photo's pixels.
JPEGs are decoded with libjpeg's DCT scaling ("draft" mode), which makes a 4000 px photo at
2000 px about four times cheaper than a full decode followed by a resize. Other formats are
decoded whole, then box-reduced before anything else touches them, so the full-size pixels
exist once (the memory a decode takes is about one full-size copy, never three).

The pixel limit is checked from the file's header (`Image.open` reads nothing else) before a
single pixel is decoded: a 120 MP PNG of 350 KB is refused in milliseconds, not after 1.5 GB.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from eventface.errors import ImageDecodeError, ImageTooLargeError

_SWAPS_AXES = {5, 6, 7, 8}  # EXIF orientations that rotate by 90 degrees
_ORIENTATION_TAG = 0x0112
# what ImageOps.exif_transpose does for each orientation, applied here to the reduced pixels
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# the decoders a guest's selfie may reach (photos may be anything Pillow reads, e.g. TIFF);
# what web/uploads.py sniffs, an ISO-BMFF brand included, must open with one of these
SELFIE_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "AVIF")
RENDITION_QUALITY = 80

RGB = npt.NDArray[np.uint8]


@functools.cache
def _register_heif() -> None:
    import pillow_heif  # noqa: PLC0415 - optional codec, registered on first use

    pillow_heif.register_heif_opener()


@dataclass(frozen=True)
class DecodedImage:
    rgb: RGB  # H x W x 3, display orientation
    scale: float  # decoded pixels per full-resolution display pixel (<= 1)
    full_width: int  # display orientation, full resolution
    full_height: int


class PhotoImage:
    """One photo's bytes, checked once, decoded on demand at the sizes an engine asks for."""

    def __init__(self, data: bytes, max_pixels: int, *, formats: tuple[str, ...] | None = None) -> None:
        """Reads the header only; raises ImageTooLargeError over `max_pixels`, ImageDecodeError
        for what is not an image in one of `formats` (None: any format Pillow reads)."""
        _register_heif()
        self._data = data
        self._formats = formats
        with self._open() as im:
            width, height = im.size
            if width * height > max_pixels:
                raise ImageTooLargeError(
                    f"image has {width}x{height} pixels, more than the limit of {max_pixels:,}"
                )
            self._orientation = orientation = _orientation(im)
        swapped = orientation in _SWAPS_AXES
        self.full_width, self.full_height = (height, width) if swapped else (width, height)
        self._largest: DecodedImage | None = None  # kept for jpeg_renditions: decoding is the dear part

    def decode(self, max_side_px: int) -> DecodedImage:
        """Upright RGB pixels with the long side at most `max_side_px` (never upscaled)."""
        decoded = self._decode(max_side_px)
        if self._largest is None or decoded.rgb.shape[1] > self._largest.rgb.shape[1]:
            self._largest = decoded
        return decoded

    def jpeg_renditions(self, sides_px: Iterable[int], quality: int = RENDITION_QUALITY) -> dict[int, bytes]:
        """Upright JPEGs without metadata, long side at most each of `sides_px`, by side.

        Made from the pixels an engine has decoded already when they are large enough (issue 12:
        thumbnails and previews come out of indexing), each smaller one from the one before.
        """
        renditions: dict[int, bytes] = {}
        pixels: RGB | None = None
        for side in sorted(set(sides_px), reverse=True):
            pixels = _shrunk(self._pixels_for(side) if pixels is None else pixels, side)
            renditions[side] = _jpeg(pixels, quality)
        return renditions

    def _pixels_for(self, max_side_px: int) -> RGB:
        wanted = min(max_side_px, max(self.full_width, self.full_height))
        if self._largest is not None and max(self._largest.rgb.shape[:2]) >= wanted:
            return self._largest.rgb
        return self.decode(max_side_px).rgb

    def _decode(self, max_side_px: int) -> DecodedImage:
        long_side = max(self.full_width, self.full_height)
        target = min(1.0, max_side_px / long_side)
        try:
            with self._open() as im:
                stored_w, stored_h = im.size
                # draft() only ever reduces by powers of two, keeping at least the requested size
                im.draft("RGB", (max(1, round(stored_w * target)), max(1, round(stored_h * target))))
                im.load()
                rgb = _upright_rgb(_reduced(im, max_side_px), self._orientation, max_side_px)
        except OSError as exc:  # truncated data, broken codec stream
            raise ImageDecodeError(f"cannot decode image: {exc}") from exc
        return DecodedImage(
            rgb=rgb,
            scale=rgb.shape[1] / self.full_width,
            full_width=self.full_width,
            full_height=self.full_height,
        )

    def _open(self) -> Image.Image:
        try:
            with warnings.catch_warnings():
                # the pixel limit is ours (max_pixels), checked right after opening
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                return Image.open(io.BytesIO(self._data), formats=self._formats)
        except Image.DecompressionBombError as exc:
            raise ImageTooLargeError(f"image is a decompression bomb: {exc}") from exc
        except UnidentifiedImageError as exc:
            raise ImageDecodeError("not an image (or an unsupported format)") from exc
        except OSError as exc:
            raise ImageDecodeError(f"cannot read image: {exc}") from exc


def _orientation(im: Image.Image) -> int:
    # Pillow's PNG getexif() decodes every pixel to look for an eXIf chunk after them (that
    # is how a 120 MP PNG took 900 MB before any check): only the header's tags count here
    if im.format == "PNG" and "exif" not in im.info:
        return 1
    try:
        value = im.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # a malformed EXIF block must not lose the photo
        return 1
    return value if isinstance(value, int) else 1


def _reduced(im: Image.Image, max_side_px: int) -> Image.Image:
    """`im`, box-reduced by the whole factor a resize with reducing_gap=2 would reduce it by first.

    A JPEG after draft() is always under twice the target, so it comes back as it is; a large
    PNG, WebP or HEIC is shrunk here, before it is rotated or converted (each a full-size copy).
    """
    factor = int(max(im.size) / max_side_px / 2)
    if factor < 2:
        return im
    if im.mode in {"P", "1", "I;16", "I;16B", "I;16L", "I;16N"}:
        im = im.convert("RGB")  # modes reduce() does not take
    return im.reduce(factor)


def _upright_rgb(im: Image.Image, orientation: int, max_side_px: int) -> RGB:
    if orientation in _TRANSPOSE:
        im = im.transpose(_TRANSPOSE[orientation])
    if im.mode != "RGB":
        im = im.convert("RGB")
    if max(im.size) > max_side_px:
        ratio = max_side_px / max(im.size)
        new_size = (max(1, round(im.width * ratio)), max(1, round(im.height * ratio)))
        im = im.resize(new_size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(im, dtype=np.uint8)


def _shrunk(rgb: RGB, max_side_px: int) -> RGB:
    import cv2  # noqa: PLC0415 - only indexing needs it; 6x faster than Pillow's bilinear here

    height, width = rgb.shape[:2]
    ratio = max_side_px / max(height, width)
    if ratio >= 1:
        return rgb
    # area averaging against aliasing when shrinking a lot; bilinear is enough (and 5x cheaper) below 2x
    method = cv2.INTER_AREA if ratio <= 0.5 else cv2.INTER_LINEAR
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    return np.asarray(cv2.resize(rgb, size, interpolation=method), dtype=np.uint8)


def _jpeg(rgb: RGB, quality: int) -> bytes:
    # baseline with optimised Huffman tables: progressive came out 2 % smaller but 2.4x dearer to encode
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def decode(data: bytes, max_side_px: int, max_pixels: int) -> DecodedImage:
    return PhotoImage(data, max_pixels).decode(max_side_px)


def thumbnail_jpeg(data: bytes, max_side_px: int, max_pixels: int, quality: int = 80) -> bytes:
    """An upright progressive JPEG, long side at most `max_side_px`, with no metadata at all.

    Raises what `PhotoImage` raises (`ImageDecodeError`, `ImageTooLargeError`).
    """
    # Re-encoding bare pixels is what keeps GPS, camera serials and the like out of thumbnails
    # that guests can download: nothing from the original's EXIF/XMP/ICC blocks is carried over.
    rgb = decode(data, max_side_px, max_pixels).rgb
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality, progressive=True, optimize=True)
    return buffer.getvalue()
