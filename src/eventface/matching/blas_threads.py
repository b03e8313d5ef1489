"""numpy's BLAS held to one thread for a big event's exact re-rank.

OpenBLAS runs a matrix product on every core by default, and its idle threads spin while they wait
for work: on a loaded 2-core machine the re-rank of a guest's candidates (one product of up to
~200 queries by a few thousand faces) cost several times its single-thread CPU time. A search
is one of many concurrent requests, so one thread per search uses the cores better anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]  # no stubs


class _OneThread:
    """The limit is process-wide (BLAS has no per-thread setting): concurrent searches share it,
    and it is lifted when the last of them is done."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._controller: ThreadpoolController | None = None  # inspecting the libraries costs ~ms: once
        self._holders = 0
        self._limiter: Any = None

    def enter(self) -> None:
        with self._lock:
            if self._holders == 0:
                if self._controller is None:
                    self._controller = ThreadpoolController()
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._holders += 1

    def leave(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                self._limiter.restore_original_limits()
                self._limiter = None

    @contextmanager
    def held(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.leave()


_one_thread = _OneThread()


def blas_on_one_thread_from_now() -> None:
    """numpy's matrix products on one thread for the rest of the process: the web server's.

    Its searches run side by side on request threads while the search processes use the cores,
    and a search's exact scan (an event under `compact_from_faces` faces) took the BLAS threads
    of every core: 94 ms of CPU for a guest with 31 photos in a 30 000-face event against 60 ms
    on one thread, 14 against 8.5 ms for a guest with none (a one-off measurement, 2026-12-02).
    """
    _one_thread.enter()  # never left, so searches' own `one_blas_thread` keep it at one


def one_blas_thread() -> AbstractContextManager[None]:
    """numpy's matrix products on the calling thread only, for the duration."""
    return _one_thread.held()
