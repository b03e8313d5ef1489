"""A folder on this machine (also what "Google Drive for desktop" users have), read recursively."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

from eventface.domain.models import IMAGE_SUFFIXES
from eventface.errors import PhotoGoneError, SourceUnavailableError
from eventface.sources.base import SourcePhoto
from eventface.sources.finished_files import is_finished


def is_photo_path(relative: Path) -> bool:
    """Whether a path inside the folder is one the listing reports: an image, nothing hidden on the way."""
    return relative.suffix.lower() in IMAGE_SUFFIXES and not any(p.startswith(".") for p in relative.parts)


class LocalFolderSource:
    def __init__(self, root: Path) -> None:
        self.root = root
        # the folder as it was checked when the event was made (services/events.py resolves it):
        # if it is swapped for a symlink later, reads still stay inside the place that was checked
        self._checked = Path(os.path.abspath(root))

    def list_photos(self) -> Iterator[SourcePhoto]:
        if not self.root.is_dir():
            raise SourceUnavailableError(f"photo folder not found or not a folder: {self.root}")
        if not os.access(self.root, os.R_OK | os.X_OK):
            raise SourceUnavailableError(f"photo folder is not readable: {self.root}")
        if self.root.resolve() != self._checked:
            raise SourceUnavailableError(f"photo folder is now a link to another folder: {self.root}")
        now = time.time()
        for dirpath, dirnames, filenames in os.walk(self.root):
            # hidden folders and files: .thumbnails, macOS "._x.jpg" resource forks, sync tools' temp files
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for filename in sorted(filenames):
                if not is_photo_path(Path(filename)):
                    continue
                path = Path(dirpath, filename)
                try:
                    stat = path.stat()
                except OSError:  # deleted while walking
                    continue
                file_id = path.relative_to(self.root).as_posix()
                yield SourcePhoto(
                    file_id=file_id,
                    name=file_id,
                    version=f"{stat.st_size}-{stat.st_mtime_ns}",
                    size_bytes=stat.st_size,
                    finished=is_finished(path, stat, now),
                )

    def read(self, file_id: str) -> bytes:
        """The file's bytes; PhotoGoneError when it left the folder, SourceUnavailableError when
        the folder itself cannot be seen (not mounted on this worker machine, issue 15): then no
        photo is taken for removed."""
        path = (self.root / file_id).resolve()
        if not path.is_relative_to(self._checked):
            if not self.root.is_dir():
                raise SourceUnavailableError(f"photo folder not found or not a folder: {self.root}")
            raise PhotoGoneError(f"{file_id} is outside the event folder")
        try:
            return path.read_bytes()
        except OSError as exc:
            if not self.root.is_dir():
                raise SourceUnavailableError(f"photo folder not found or not a folder: {self.root}") from exc
            if isinstance(exc, FileNotFoundError):
                raise PhotoGoneError(f"{file_id} was removed") from exc
            raise PhotoGoneError(f"{file_id} cannot be read: {exc.strerror}") from exc
