"""The photo-source protocol every source implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SourcePhoto:
    file_id: str  # stable within the source: a relative path, or a Drive file id
    name: str  # shown to people; a relative path for folders
    version: str  # changes whenever the content may have changed (size+mtime, md5)
    size_bytes: int


class PhotoSource(Protocol):
    """Lists an event's photos and reads their bytes.

    `list_photos` raises `SourceUnavailableError` when the whole source cannot be read (then
    nothing may be concluded about deletions); `read` raises `PhotoGoneError` for a file that
    vanished since it was listed.
    """

    def list_photos(self) -> Iterator[SourcePhoto]: ...

    def read(self, file_id: str) -> bytes: ...
