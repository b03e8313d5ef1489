"""Hostile selfies: decompression bombs, files that only claim a size, and polyglots.

`png_bomb` is a real, decodable PNG (all black), tiny on the wire and huge in memory; the
`*_claiming` builders take a small valid file of a format and rewrite the size its header
declares, which is all a header check reads (decoding one would fail, late and expensively).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image

ROWS_PER_SEGMENT = 100


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """An 8-bit RGB PNG of width x height black pixels: ~350 KB for 120 MP (360 MB decoded)."""
    block = (b"\x00" * (1 + 3 * width)) * ROWS_PER_SEGMENT  # filter byte 0, then the row
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    # a fully flushed segment stands alone, so the stream is that segment repeated: fast to build
    segment = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    segments, rest = divmod(height, ROWS_PER_SEGMENT)
    tail = deflate.compress(block[: rest * (1 + 3 * width)]) + deflate.flush()
    adler = 1
    for _ in range(segments):
        adler = zlib.adler32(block, adler)
    adler = zlib.adler32(block[: rest * (1 + 3 * width)], adler)
    stream = b"\x78\xda" + segment * segments + tail + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", stream)
        + _png_chunk(b"IEND", b"")
    )


def _encoded(fmt: str, **options: object) -> bytearray:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (90, 90, 90)).save(buffer, fmt, **options)
    return bytearray(buffer.getvalue())


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small baseline JPEG whose SOF0 segment says width x height."""
    data = _encoded("JPEG")
    at = data.find(b"\xff\xc0")  # SOF0: length (2), precision (1), height (2), width (2)
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A small lossless WebP whose VP8L header says width x height (each at most 16384)."""
    data = _encoded("WEBP", lossless=True)
    at = data.find(b"VP8L") + 9  # chunk id (4), size (4), signature byte 0x2f
    bits = int.from_bytes(data[at : at + 4], "little") & ~((1 << 28) - 1)
    data[at : at + 4] = (bits | (width - 1) | ((height - 1) << 14)).to_bytes(4, "little")
    return bytes(data)


def heic_claiming(width: int, height: int) -> bytes:
    """A small HEIC whose image spatial extents (`ispe`) say width x height."""
    import pillow_heif  # noqa: PLC0415 - the HEIF codec registers itself on import

    pillow_heif.register_heif_opener()
    data = _encoded("HEIF", quality=50)
    at = -1
    while (at := data.find(b"ispe", at + 1)) != -1:  # box type, version/flags (4), width, height
        data[at + 8 : at + 16] = struct.pack(">II", width, height)
    return bytes(data)


def polyglot() -> bytes:
    """JPEG magic bytes, then an HTML page with a script, then a ZIP: sniffed as a JPEG, not one."""
    archive = io.BytesIO()

    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("payload.html", "<script>alert(document.cookie)</script>")
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + html + archive.getvalue()
