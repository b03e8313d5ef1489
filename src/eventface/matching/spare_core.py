"""A second core for a big event's scan, lent only while no other search is scanning.

At a million faces a guest's search scans ~1.8 million (query, face) pairs in faiss, ~80 ms of its
~95 on one core (benchmarks/README.md, "Big events"). Split across two threads it takes half as
long; but faiss's own OpenMP threads spin while they wait, and on a loaded machine that made a
search 5-30x slower, so each scan stays one thread and the split is made here, in two plain
threads (faiss releases the GIL while it scans). It is made only when it cannot take a core from
anyone in this process: no other scan is running, and the helper thread is free. Under a storm of
guests every core is already busy with searches and the scans run one thread each, as before.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity outside Linux
        return os.cpu_count() or 1


class SpareCore:
    """One helper thread, lent to a scan that runs alone in the process."""

    def __init__(self, cores: int | None = None) -> None:
        # False: every scan on one thread (set where the two are compared: benchmarks/index_scale.py)
        self.lends = (cores if cores is not None else _cores()) > 1
        self._lock = threading.Lock()
        self._scanning = 0
        self._executor: ThreadPoolExecutor | None = None

    @contextmanager
    def scanning(self) -> Iterator[Executor | None]:
        """The duration of one scan: the helper to run part of it on, or None (scan alone). A scan
        waits for its part on the helper before it ends, so the helper is free whenever no scan runs."""
        with self._lock:
            lent = self.lends and self._scanning == 0
            self._scanning += 1
            if lent and self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="spare-core")
        try:
            yield self._executor if lent else None
        finally:
            with self._lock:
                self._scanning -= 1


spare_core = SpareCore()
