"""Password hashing with argon2id, a few at a time.

Each production hash takes 64 MiB and a good fraction of a CPU core: a storm of sign-ins must
queue, not multiply memory. Beyond a short wait, or when the queue is already long, the caller
gets ServerBusyError (503 + Retry-After) at once instead of a thread parked forever: parked
threads would fill the web server's thread pool and make every other page wait too.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from eventface.errors import ServerBusyError
from eventface.settings import PasswordHashCost

MAX_CONCURRENT_HASHES = 3  # 192 MiB at most, whatever the number of requests
MAX_WAITING = 6  # beyond this many queued behind them, refuse at once
SLOT_WAIT_S = 3.0
BUSY_RETRY_AFTER_S = 5.0


def _hasher(cost: PasswordHashCost) -> PasswordHasher:
    if cost is PasswordHashCost.TEST:
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()  # argon2id with the library's recommended parameters (RFC 9106 low-memory)


class Passwords:
    def __init__(
        self,
        cost: PasswordHashCost = PasswordHashCost.PRODUCTION,
        max_concurrent: int = MAX_CONCURRENT_HASHES,
        wait_s: float = SLOT_WAIT_S,
        max_waiting: int = MAX_WAITING,
    ) -> None:
        self._hasher = _hasher(cost)
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._wait_s = wait_s
        self._max_waiting = max_waiting
        self._waiting = 0
        self._queue_lock = threading.Lock()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        with self.slot():
            return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        with self.slot():
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

    def verify_nothing(self, password: str) -> None:
        """Spends the time of a real check, so response times do not tell which emails exist."""
        if self._dummy is None:
            self._dummy = self.hash(secrets.token_urlsafe(16))
        self.verify(self._dummy, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Held while a hash is computed; ServerBusyError when none frees up within the wait."""
        if not self._acquire():
            raise ServerBusyError("too many sign-ins at once: try again in a moment", BUSY_RETRY_AFTER_S)
        try:
            yield
        finally:
            self._slots.release()

    def _acquire(self) -> bool:
        if self._slots.acquire(blocking=False):
            return True
        with self._queue_lock:
            if self._waiting >= self._max_waiting:
                return False
            self._waiting += 1
        try:
            return self._slots.acquire(timeout=self._wait_s)
        finally:
            with self._queue_lock:
                self._waiting -= 1
