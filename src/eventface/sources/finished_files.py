"""Whether a photo file in a folder is finished or still being written (a camera, a copy, a sync client).

inotify's IN_CLOSE_WRITE would say so, but watchfiles (like most portable watchers) does not
report it (samuelcolvin/watchfiles#345), and a rescan has no events at all. So the file says it
itself: each format we index records where it ends (JPEG's end-of-image marker, PNG's IEND chunk,
the RIFF size of WebP, the box sizes of HEIC/HEIF), and a file that does not end there yet is
still being written, unless nobody has written to it for `STALLED_S` (a JPEG with data after its
end marker, such as a motion photo, or a writer that gave up): then it is taken as it is, and
indexing reports it if it cannot be decoded. A file whose last write is older than that is never
opened here, so a rescan of a large folder reads only the few files written just now.
"""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path
from typing import BinaryIO

# no write for this long: the file is what it is (a stalled upload is indexed and fails, and is
# indexed again when its writer comes back and changes its size or time)
STALLED_S = 10.0
_TAIL_BYTES = 16
_HEAD_BYTES = 16
_JPEG_START = b"\xff\xd8\xff"
_JPEG_END = b"\xff\xd9"
_PNG_START = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"
_RIFF_HEADER = 12
_BOX_HEADER = 8
_LARGE_BOX_HEADER = 16
_MAX_BOXES = 64  # a HEIF file has a handful of top-level boxes (ftyp, meta, mdat)


def is_finished(path: Path, stat: os.stat_result, now: float | None = None) -> bool:
    """True when the file at `path` (whose `stat` the caller has) looks completely written."""
    now = time.time() if now is None else now
    if now - stat.st_mtime >= STALLED_S:
        return True
    try:
        with path.open("rb") as file:
            return _ends_where_it_says(file, path.suffix.lower(), stat.st_size)
    except OSError:  # gone or unreadable: the listing or the read reports it
        return True


def _ends_where_it_says(file: BinaryIO, suffix: str, size: int) -> bool:
    """False only for a file that begins like its format and does not reach its end yet (an
    empty file is one being created); anything else is finished, and indexing judges it."""
    head = file.read(_HEAD_BYTES)
    if not head:
        return False
    if suffix in {".jpg", ".jpeg", ".jpe"}:
        return not _JPEG_START.startswith(head[:3]) or _tail(file, size).endswith(_JPEG_END)
    if suffix == ".png":
        return not _PNG_START.startswith(head[:8]) or _tail(file, size).endswith(_PNG_END)
    if suffix == ".webp":
        if len(head) < _RIFF_HEADER:
            return not b"RIFF".startswith(head[:4])
        riff_size: int = struct.unpack("<I", head[4:8])[0]
        return head[:4] != b"RIFF" or riff_size + 8 <= size
    if suffix in {".heic", ".heif"}:
        return _boxes_fill(file, size)
    return True


def _tail(file: BinaryIO, size: int) -> bytes:
    file.seek(max(0, size - _TAIL_BYTES))
    return file.read(_TAIL_BYTES)


def _boxes_fill(file: BinaryIO, size: int) -> bool:
    """ISO BMFF (HEIF): the top-level boxes, each prefixed by its size, reach the end of the file."""
    offset = 0
    for _ in range(_MAX_BOXES):
        if offset >= size:
            return offset == size and offset > 0
        file.seek(offset)
        header = file.read(_LARGE_BOX_HEADER)
        if len(header) < _BOX_HEADER:
            return False
        if offset == 0 and header[4:8] != b"ftyp":
            return True  # not HEIF at all: indexing will say so
        box_size = struct.unpack(">I", header[:4])[0]
        if box_size == 1:  # a 64-bit size follows the type
            if len(header) < _LARGE_BOX_HEADER:
                return False
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:  # the last box runs to the end of the file: nothing says where that is
            return True
        if box_size < _BOX_HEADER:
            return True  # not a box structure we understand: do not hold the file back
        offset += box_size
    return offset <= size
