"""Watching the folders of auto-synced local events, so that a finished photo is findable in seconds.

One thread per process (the process that runs the worker) watches every such folder through
watchfiles: inotify on Linux, one native watcher for all folders, recursive. A photo added,
changed or renamed in makes its event due once the file is finished (sources/finished_files.py:
watchfiles reports no "closed after writing", samuelcolvin/watchfiles#345), so a half-written
file is looked at again every `wait_ms` until it is; a photo or folder deleted or moved out, or
a folder moved in, make the event due at once. `on_change(event_ids)` is told; the worker makes
those events due and wakes its scheduler.

The folders follow the database (auto-sync enabled or disabled, an event deleted, a folder that
appears or is replaced) every `refresh_s` and on `refresh()`. A folder that starts being watched,
at start-up too, is reported at once: nothing watched it before, so its event is rescanned. The
interval's rescan stays on as the fallback: inotify sees nothing written on another machine to a
network share, and drops events when its queue overflows.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from watchfiles import Change, watch

from eventface.sources.finished_files import is_finished
from eventface.sources.local_folder import is_photo_path

log = logging.getLogger(__name__)

FolderIdentity = tuple[str, int, int]  # path, device, inode: a folder deleted and made again is new
ChangeHandler = Callable[[set[int]], None]


@dataclass(frozen=True)
class WatchTimings:
    refresh_s: float = 5.0  # how often the set of folders is read from the database
    wait_ms: int = 500  # longest wait for changes: how often unfinished files are looked at again
    debounce_ms: int = 800  # changes arriving together are reported together, at most this late
    step_ms: int = 100  # watchfiles' polling step inside its wait
    retry_s: float = 2.0  # after an error (database locked, too many inotify watches)


@dataclass
class _Watch:
    """One watchfiles generator over a fixed set of folders."""

    identities: frozenset[FolderIdentity]
    changes: Generator[set[tuple[Change, str]], None, None]

    def next(self) -> set[tuple[Change, str]]:
        changes = next(self.changes, None)
        if changes is None:  # watchfiles ended it: stopped, or its native watcher gave up
            raise RuntimeError("watchfiles ended the watch")  # caught at the top of the loop
        return changes

    def close(self) -> None:
        self.changes.close()


@dataclass
class FolderWatcher:
    """Watches the folders `folders()` returns (event id -> folder) and reports changed events."""

    folders: Callable[[], Mapping[int, Path]]
    on_change: ChangeHandler
    timings: WatchTimings = field(default_factory=WatchTimings)
    _events: dict[int, FolderIdentity] = field(default_factory=dict)  # what is watched, by event
    _pending: dict[Path, set[int]] = field(default_factory=dict)  # photos still being written
    _changed: set[int] = field(default_factory=set)  # events to report
    _watch: _Watch | None = None
    _refresh_now: threading.Event = field(default_factory=threading.Event)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="folder-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()  # watchfiles checks it every step_ms
        self._refresh_now.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def refresh(self) -> None:
        """Read the set of folders again now (auto-sync was just enabled or disabled)."""
        self._refresh_now.set()

    @property
    def watched(self) -> dict[int, Path]:
        return {event_id: Path(identity[0]) for event_id, identity in self._events.items()}

    def _run(self) -> None:
        next_refresh = 0.0
        try:
            while not self._stopping.is_set():
                try:
                    if self._refresh_now.is_set() or time.monotonic() >= next_refresh:
                        self._refresh_now.clear()
                        self._reconcile()
                        next_refresh = time.monotonic() + self.timings.refresh_s
                    self._take(self._wait())
                    self._settle()
                    self._report()
                except Exception:  # the top of a loop: the next round tries again
                    if self._stopping.is_set():
                        break
                    log.exception("the folder watcher failed; trying again")
                    self._close_watch()
                    self._events = {}  # changes made while nothing watched: rescanned when watched again
                    self._stopping.wait(self.timings.retry_s)
                    next_refresh = 0.0
        finally:
            self._close_watch()

    def _reconcile(self) -> None:
        found = {event_id: _identity(folder) for event_id, folder in self.folders().items()}
        wanted = {event_id: identity for event_id, identity in found.items() if identity is not None}
        started = {event_id for event_id, ident in wanted.items() if self._events.get(event_id) != ident}
        identities = frozenset(wanted.values())
        previous, self._events = self._events, wanted  # changes read while replacing go to these
        if self._watch is None or self._watch.identities != identities:
            try:
                self._replace_watch(identities)
            except BaseException:
                self._events = previous  # the next round tries again, rescans included
                raise
        kept = ((path, ids & wanted.keys()) for path, ids in self._pending.items())
        self._pending = {path: ids for path, ids in kept if ids}
        if started:
            log.info("watching photo folders", extra={"fields": {"events": sorted(started)}})
            self._changed |= started  # nobody watched them until now: rescan

    def _replace_watch(self, identities: frozenset[FolderIdentity]) -> None:
        """The new watch starts before the old one stops, so no change falls between the two."""
        old, self._watch = self._watch, None
        try:
            if identities:
                new = _Watch(identities, self._open(sorted(path for path, _, _ in identities)))
                self._take(new.next())  # creates the native watcher, waiting at most wait_ms
                self._watch = new
            if old is not None:
                self._take(old.next())
        finally:
            if old is not None:
                old.close()

    def _open(self, paths: list[str]) -> Generator[set[tuple[Change, str]], None, None]:
        return watch(
            *paths,
            watch_filter=None,  # _take decides: it knows which paths are photos
            debounce=self.timings.debounce_ms,
            step=self.timings.step_ms,
            rust_timeout=self.timings.wait_ms,
            yield_on_timeout=True,
            stop_event=self._stopping,
            recursive=True,
            ignore_permission_denied=True,
        )

    def _wait(self) -> set[tuple[Change, str]]:
        if self._watch is None:  # nothing to watch: wait for a refresh
            self._refresh_now.wait(self.timings.refresh_s)
            return set()
        return self._watch.next()

    def _take(self, changes: set[tuple[Change, str]]) -> None:
        for change, raw in changes:
            path = Path(raw)
            for event_id, identity in self._events.items():
                folder = Path(identity[0])
                if path == folder or not path.is_relative_to(folder):
                    continue
                relative = path.relative_to(folder)
                if any(part.startswith(".") for part in relative.parts):
                    continue  # hidden: sync clients' temporary files, whose rename-in is reported
                if is_photo_path(relative) and change is not Change.deleted:
                    self._pending.setdefault(path, set()).add(event_id)
                elif change is Change.deleted or (change is Change.added and path.is_dir()):
                    self._changed.add(event_id)  # a photo or folder gone, a folder moved in: rescan

    def _settle(self) -> None:
        now = time.time()
        for path, event_ids in list(self._pending.items()):
            try:
                info = path.stat()
            except OSError:  # gone again (a temporary file): its deletion was reported too
                del self._pending[path]
                continue
            if not stat.S_ISREG(info.st_mode) or is_finished(path, info, now):
                del self._pending[path]
                self._changed |= event_ids

    def _report(self) -> None:
        if not self._changed:
            return
        changed, self._changed = self._changed, set()
        try:
            self.on_change(changed)
        except Exception:
            self._changed |= changed  # told again on the next round
            raise

    def _close_watch(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None


def _identity(folder: Path) -> FolderIdentity | None:
    try:
        info = os.stat(folder)
    except OSError:
        return None  # not there (yet): looked for again at the next refresh
    if not stat.S_ISDIR(info.st_mode):
        return None
    return (str(folder), info.st_dev, info.st_ino)
