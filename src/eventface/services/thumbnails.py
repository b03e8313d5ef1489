"""Thumbnails on disk: made once per photo version, served as plain files afterwards.

Indexing writes them (`put`), from the pixels it decoded to find the faces (issue 12), so guests
opening their results cost disk reads only; `get` makes the missing ones (photos indexed before
that, or whose thumbnail was removed) on request.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

from eventface.faces.images import thumbnail_jpeg

_KEY_LENGTH = 16
_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9_-]")
# Bounded lock striping: a lock per photo would grow without limit over a long-running server
_LOCK_STRIPES = 64


class ThumbnailStore:
    """A disk cache of thumbnails under `root/<event_id>/<photo_id>/<key>.jpg`.

    `key` names the photo's version (a content hash, a modification stamp): a changed photo gets
    a new file and the old one is removed. Files appear atomically, so a reader that finds the
    path finds a whole JPEG, also across processes sharing `root`.

    A folder per photo, so finding a photo's older versions lists that photo's files only: in one
    folder per event (the layout before), that listing read every photo's files, 8 ms of CPU a
    photo at 10 000 photos and growing with the event (benchmarks/README.md). A thumbnail found
    under the old name `root/<event_id>/<photo_id>-<key>.jpg` is moved, not made again; one of an
    older version of the photo stays until its event is deleted.
    """

    def __init__(self, root: Path, max_side_px: int, max_pixels: int, *, quality: int = 80) -> None:
        self._root = root
        self._max_side_px = max_side_px
        self._max_pixels = max_pixels
        self._quality = quality
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    @property
    def max_side_px(self) -> int:
        return self._max_side_px

    def put(self, event_id: int, photo_id: int, key: str, jpeg: bytes) -> Path:
        """Stores a thumbnail made elsewhere (long side `max_side_px`, no metadata) over older versions."""
        path = self._path(event_id, photo_id, key)
        _write_atomically(path, jpeg)
        _remove_other_versions(path)
        return path

    def get(self, event_id: int, photo_id: int, key: str, read: Callable[[], bytes]) -> Path:
        """The thumbnail's path, made from `read()` if it does not exist yet.

        Raises what `read` raises, and `ImageError` when the photo cannot be decoded.
        """
        path = self._path(event_id, photo_id, key)
        if path.is_file() or self._moved_from_flat_layout(path, event_id, photo_id, key):
            return path
        # Only spares duplicate work within this process; the atomic replace keeps it correct anyway
        with self._locks[zlib.crc32(str(path).encode()) % _LOCK_STRIPES]:
            if not path.is_file():
                data = thumbnail_jpeg(read(), self._max_side_px, self._max_pixels, self._quality)
                _write_atomically(path, data)
                _remove_other_versions(path)
        return path

    def _path(self, event_id: int, photo_id: int, key: str) -> Path:
        return self._root / str(event_id) / str(photo_id) / f"{_safe_key(key)}.jpg"

    def _moved_from_flat_layout(self, path: Path, event_id: int, photo_id: int, key: str) -> bool:
        """A cache written before the folder per photo keeps serving: its file is moved in place."""
        flat = self._root / str(event_id) / f"{photo_id}-{_safe_key(key)}.jpg"
        if not flat.is_file():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(flat, path)
        except FileNotFoundError:  # another request moved it first
            return path.is_file()
        return True

    def remove_event(self, event_id: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self._root / str(event_id))


def _safe_key(key: str) -> str:
    safe = _UNSAFE_KEY_CHARS.sub("_", key)[:_KEY_LENGTH]
    if not safe:
        raise ValueError("a thumbnail key must not be empty")
    return safe


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # The leading dot and .tmp suffix keep half-written files out of _remove_other_versions' glob
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            # Without it a crash can leave an empty file under the final name, cached for good
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _remove_other_versions(path: Path) -> None:
    for old in path.parent.glob("*.jpg"):
        if old != path:
            # Another request may be removing it too
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
