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

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                if self._controller is None:
                    self._controller = ThreadpoolController()
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    self._limiter.restore_original_limits()
                    self._limiter = None


_one_thread = _OneThread()


def one_blas_thread() -> AbstractContextManager[None]:
    """numpy's matrix products on the calling thread only, for the duration."""
    return _one_thread.held()
