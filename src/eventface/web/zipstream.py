"""A ZIP download produced while it is sent: one member in memory, never the whole archive."""

from __future__ import annotations

import logging
import os
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator

from eventface.errors import EventfaceError
from eventface.web.downloads import safe_base_name

log = logging.getLogger(__name__)

MISSING_NAME = "MISSING.txt"
_CHUNK_BYTES = 256 * 1024


class _Sink:
    """A write-only file: zipfile writes into it, the generator takes what was written.

    Having no tell()/seek() makes zipfile stream: sizes go in a data descriptor after each member.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def stream_zip(entries: Iterable[tuple[str, Callable[[], bytes]]]) -> Iterator[bytes]:
    """The bytes of a ZIP archive of `entries` (name, read), in chunks, as they are produced.

    Names become unique base names. A member whose `read()` raises an `EventfaceError` is left
    out and named in a final MISSING.txt; any other exception ends the stream.
    """
    sink = _Sink()
    names = _UniqueNames()
    missing: list[str] = []
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for raw_name, read in entries:
            name = names.claim(raw_name)
            try:
                data = read()
            except EventfaceError as exc:
                log.warning("zip member skipped", extra={"fields": {"member": name, "error": str(exc)}})
                missing.append(name)
                continue
            yield from _write_member(archive, sink, name, data)
        if missing:
            listing = "These photos could not be read and are not in this archive:\n\n"
            listing += "".join(f"{name}\n" for name in missing)
            yield from _write_member(archive, sink, names.claim(MISSING_NAME), listing.encode())
    if tail := sink.drain():  # the central directory, written on close
        yield tail


def _write_member(archive: zipfile.ZipFile, sink: _Sink, name: str, data: bytes) -> Iterator[bytes]:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_STORED  # photos are compressed already
    info.external_attr = 0o644 << 16  # else unzip on Unix creates files nobody may read
    # Known up front, so zipfile writes Zip64 headers exactly when a member needs them
    info.file_size = len(data)
    view = memoryview(data)
    with archive.open(info, mode="w") as member:
        for start in range(0, len(view), _CHUNK_BYTES):
            member.write(view[start : start + _CHUNK_BYTES])
            yield sink.drain()
    if descriptor := sink.drain():  # CRC and sizes, written on close
        yield descriptor


class _UniqueNames:
    """Base names made safe, with " (2)", " (3)"... for repeats, compared as Windows and macOS do."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, raw_name: str) -> str:
        base = safe_base_name(raw_name)
        stem, ext = os.path.splitext(base)
        name, n = base, 1
        while name.casefold() in self._taken:
            n += 1
            name = f"{stem} ({n}){ext}"
        self._taken.add(name.casefold())
        return name
