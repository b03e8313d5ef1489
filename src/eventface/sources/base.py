"""The photo-source protocol every source implements, and the change feed some sources add."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class SourcePhoto:
    file_id: str  # stable within the source: a relative path, or a Drive file id
    name: str  # shown to people; a relative path for folders
    version: str  # changes whenever the content may have changed (size+mtime, md5)
    size_bytes: int
    finished: bool = True  # False while a local file is still being written: wait for it


class PhotoSource(Protocol):
    """Lists an event's photos and reads their bytes.

    `list_photos` raises `SourceUnavailableError` when the whole source cannot be read (then
    nothing may be concluded about deletions); `read` raises `PhotoGoneError` for a file that
    vanished since it was listed.
    """

    def list_photos(self) -> Iterator[SourcePhoto]: ...

    def read(self, file_id: str) -> bytes: ...


@dataclass(frozen=True)
class SourceUpdate:
    """What changed at a source since a cursor, and the cursor to ask from next time.

    With `complete`, `photos` is the whole source (a full listing): a known photo missing from
    it was removed. Without, `photos` are only the new or changed ones and `removed` the file ids
    that left the source (deleted, trashed, moved out); ids eventface never knew are ignored.
    """

    cursor: str  # opaque to everyone but the source that made it; stored with the rows it covers
    photos: Sequence[SourcePhoto]
    removed: Sequence[str] = ()
    complete: bool = False


@runtime_checkable
class ChangeFeed(Protocol):
    """A source that can say what changed since a cursor instead of being listed in full.

    `snapshot` takes its cursor *before* listing, so a file added during the listing shows up
    in the next `changes`. `changes` raises `CursorExpiredError` when the cursor can no longer
    be used (the caller takes a new snapshot) and may itself answer a complete listing when a
    partial answer would be wrong (e.g. a folder moved out of the tree).
    """

    def snapshot(self) -> SourceUpdate: ...

    def changes(self, cursor: str) -> SourceUpdate: ...
