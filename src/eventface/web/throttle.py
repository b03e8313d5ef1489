"""Throttling password guesses, per client address and per account, in memory (one web process).

An attempt counts as soon as it starts (so a burst of concurrent guesses cannot all slip past the
count) and is taken back when it succeeds, so only failures remain. Windows are short (a minute):

- a client address gets `limit` failed attempts per window, whatever the accounts;
- an account under attack (`limit` failures in the window, from anywhere) still takes an attempt
  from an address that has not failed on it in the window. An attacker spread over many
  addresses gets one guess per address per window, and cannot lock the owner out: the owner's
  address has not failed, and at worst waits out one short window after a typo.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from eventface.errors import RateLimitedError

TOO_MANY = "too many attempts: wait a minute and try again"
MAX_KEYS = 10_000  # per table: addresses, accounts, and address-account pairs
OVERFLOW = "(overflow)"  # neither an email nor an address


class SlidingWindows:
    """Timestamps of recent attempts per key, dropped once older than the window.

    Bounded like the search rate limiter (web/ratelimit.py): at most `max_keys` keys, least
    recently hit first, forgotten from the front once their window has passed, so a flood of
    made-up emails or addresses neither grows memory nor costs more than O(1) per attempt. While
    the table is full of keys still inside their window, a new key either shares one overflow
    bucket (`overflow=True`) or is not counted at all.
    """

    def __init__(
        self, window_s: float, clock: Callable[[], float], *, max_keys: int = MAX_KEYS, overflow: bool
    ) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._overflow = overflow
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def count(self, key: str) -> tuple[int, float]:
        """How many attempts `key` has in the window, and the seconds until the oldest leaves it."""
        now = self._clock()
        self._forget_idle(now)
        bucket = self._bucket(key)
        hits = self._hits.get(bucket) if bucket is not None else None
        if not hits:
            return 0, 0.0
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return len(hits), (hits[0] + self.window_s - now) if hits else 0.0

    def add(self, key: str, stamp: float) -> None:
        self._forget_idle(stamp)
        bucket = self._bucket(key)
        if bucket is None:
            return
        self._hits.setdefault(bucket, deque()).append(stamp)
        self._hits.move_to_end(bucket)

    def remove(self, key: str, stamp: float) -> None:
        bucket = self._bucket(key)
        hits = self._hits.get(bucket) if bucket is not None else None
        if hits and stamp in hits:
            hits.remove(stamp)

    @property
    def tracked(self) -> int:
        return len(self._hits)

    def _bucket(self, key: str) -> str | None:
        if key in self._hits or len(self._hits) < self.max_keys:
            return key
        return OVERFLOW if self._overflow else None

    def _forget_idle(self, now: float) -> None:
        while self._hits:
            key, hits = next(iter(self._hits.items()))
            if hits and hits[-1] > now - self.window_s:
                return
            del self._hits[key]


@dataclass(frozen=True)
class Attempt:
    account: str
    address: str
    stamp: float
    token: str = ""  # what a shared throttle (web/shared_limits.py) knows this attempt by


class Throttle(Protocol):
    """Counts attempts before they run and forgets the ones that succeeded."""

    def begin(self, account: str, address: str) -> Attempt: ...

    def succeeded(self, attempt: Attempt) -> None: ...


class LoginThrottle:
    def __init__(
        self, limit: int = 10, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._addresses = SlidingWindows(window_s, clock, overflow=True)
        self._accounts = SlidingWindows(window_s, clock, overflow=True)
        # a pair not tracked counts as "this address has not failed on this account", which
        # favours the owner: a flood can never turn into a lock-out
        self._pairs = SlidingWindows(window_s, clock, overflow=False)
        self._lock = threading.Lock()

    def begin(self, account: str, address: str) -> Attempt:
        """Counts an attempt on `account` from `address`; RateLimitedError if it must wait."""
        pair = _pair(account, address)
        with self._lock:
            wait = self._refusal(account, address, pair)
            if wait is not None:
                raise RateLimitedError(TOO_MANY, wait)
            stamp = self._clock()
            self._addresses.add(address, stamp)
            self._accounts.add(account, stamp)
            self._pairs.add(pair, stamp)
        return Attempt(account, address, stamp)

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt was not a failed guess: it no longer counts."""
        with self._lock:
            self._addresses.remove(attempt.address, attempt.stamp)
            self._accounts.remove(attempt.account, attempt.stamp)
            self._pairs.remove(_pair(attempt.account, attempt.address), attempt.stamp)

    def _refusal(self, account: str, address: str, pair: str) -> float | None:
        from_address, address_wait = self._addresses.count(address)
        if from_address >= self.limit:
            return address_wait
        on_account, _ = self._accounts.count(account)
        tried_here, pair_wait = self._pairs.count(pair)
        if on_account >= self.limit and tried_here > 0:
            return pair_wait
        return None


def _pair(account: str, address: str) -> str:
    return f"{account}\n{address}"
