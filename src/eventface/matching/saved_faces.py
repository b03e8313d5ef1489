"""Big events' compact indexes saved on disk: a process that does not hold one reads it back in
about a second instead of building it (tens of seconds at a million faces: benchmarks/README.md,
"Big events").

One folder per event (`<root>/<event id>/`) holds one copy, at the face revision it was built or
caught up to: `<revision>.faiss` (faiss's inverted lists: float16 codes, face ids, the id table)
and `<revision>.npz` (the metric, the proxy space, the faces' attributes), the latter written
last, so that a copy counts only once both are whole. A copy behind the database's revision is
caught up like an event held in memory (services/search.py `ensure_loaded`); one saved for
another metric or proxy space (an engine switch, a new version) is ignored, and rebuilt.

These files are face data: readable by this user only, and deleted with their event.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from eventface.domain.distance import Matrix, Metric
from eventface.matching.compact_faces import CompactFaces, Probing, Proxy
from eventface.matching.index import Ids

log = logging.getLogger(__name__)

FORMAT = 1  # of the .npz beside the faiss file; a copy in any other format is rebuilt
STALE_SCRATCH_S = 3600  # a copy takes seconds to write: a scratch file this old was abandoned


@dataclass(frozen=True)
class SavedEvent:
    revision: int
    store: CompactFaces
    face_ids: Ids  # sorted, with their attributes row-aligned
    photo_ids: Ids
    heights: Matrix
    sharpness: Matrix


class SavedFaces:
    """Each big event's latest saved index under `root`."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def save(self, event_id: int, event: SavedEvent) -> None:
        """Writes this copy and then removes the event's older ones (a reader still holding an
        older one open keeps reading it: the files are unlinked, not truncated)."""
        folder = self._folder(event_id)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        started = time.perf_counter()
        scratch = f".{os.getpid()}-{time.monotonic_ns()}"
        faiss_tmp, npz_tmp = folder / f"{scratch}.faiss", folder / f"{scratch}.npz"
        try:
            event.store.write(faiss_tmp)
            with _private(npz_tmp) as out:
                np.savez(
                    out,
                    format=FORMAT,
                    revision=event.revision,
                    metric=repr(event.store.metric),
                    weights=event.store.proxy.weights,
                    centre=event.store.centre,
                    face_ids=event.face_ids,
                    photo_ids=event.photo_ids,
                    heights=event.heights,
                    sharpness=event.sharpness,
                )
            faiss_tmp.chmod(0o600)
            faiss_tmp.replace(folder / f"{event.revision}.faiss")
            npz_tmp.replace(folder / f"{event.revision}.npz")
        finally:
            faiss_tmp.unlink(missing_ok=True)
            npz_tmp.unlink(missing_ok=True)
        for old in folder.iterdir():
            if old.stem != str(event.revision) and not _being_written(old):
                old.unlink(missing_ok=True)
        log.info("event %s: index saved at revision %s in %.1f s", event_id, event.revision, _since(started))

    def load(self, event_id: int, metric: Metric, probing: Probing | None = None) -> SavedEvent | None:
        """The event's latest whole copy saved for this metric, or None."""
        started = time.perf_counter()
        try:
            event = self._read(event_id, metric, probing)
        except FileNotFoundError:  # none, or replaced by a newer copy while being read
            return None
        except (OSError, ValueError, KeyError, RuntimeError) as exc:  # damaged: build it again
            log.warning("event %s: saved index unreadable, to be rebuilt (%s)", event_id, exc)
            self.remove(event_id)
            return None
        if event is not None:
            log.info(
                "event %s: index loaded from its copy at revision %s in %.1f s",
                event_id,
                event.revision,
                _since(started),
            )
        return event

    def remove(self, event_id: int) -> None:
        shutil.rmtree(self._folder(event_id), ignore_errors=True)

    def _read(self, event_id: int, metric: Metric, probing: Probing | None) -> SavedEvent | None:
        revisions = [int(p.stem) for p in self._folder(event_id).glob("*.npz") if p.stem.isdigit()]
        if not revisions:
            return None
        revision = max(revisions)
        with np.load(self._folder(event_id) / f"{revision}.npz", allow_pickle=False) as saved:
            if int(saved["format"]) != FORMAT or str(saved["metric"]) != repr(metric):
                return None
            centre = saved["centre"]
            proxy = Proxy.of(metric, len(centre))
            if proxy is None or not np.array_equal(proxy.weights, saved["weights"]):
                return None
            arrays = {name: saved[name] for name in ("face_ids", "photo_ids", "heights", "sharpness")}
        store = CompactFaces.read(
            self._folder(event_id) / f"{revision}.faiss", metric, proxy, centre, probing
        )
        if len(store) != len(arrays["face_ids"]):
            raise ValueError(f"{len(store)} faces in the index, {len(arrays['face_ids'])} beside it")
        return SavedEvent(revision, store, **arrays)

    def _folder(self, event_id: int) -> Path:
        return self._root / str(int(event_id))


def _private(path: Path) -> IO[bytes]:
    """`path` opened for writing, readable by this user only."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _being_written(path: Path) -> bool:
    """A scratch file another thread or process may still be writing; one left by a writer killed
    mid-way (hundreds of MB of face data) goes at the next save."""
    try:
        return path.name.startswith(".") and time.time() - path.stat().st_mtime < STALE_SCRATCH_S
    except FileNotFoundError:
        return True  # gone already


def _since(started: float) -> float:
    return time.perf_counter() - started
