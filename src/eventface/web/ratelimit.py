"""A per-client sliding-window rate limit, in memory (one web process; enough to stop a runaway script).

Memory is bounded however many addresses an attacker rotates through: at most `max_clients` are
tracked, and a client is forgotten only once its window has passed (so its count cannot be reset
by pushing it out). While the table is full of clients still inside their window, new clients
share one overflow bucket with the same limit: a flood from fresh addresses slows other newcomers
for a minute, but neither grows memory nor frees anyone already counted.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol

MAX_CLIENTS = 10_000
OVERFLOW = "(overflow)"  # not an address: client_key never returns it


class Limiter(Protocol):
    def check(self, key: str) -> float | None:
        """Records a hit for `key`; returns None if allowed, else the seconds until one is."""
        ...

    def refund(self, key: str) -> None:
        """Takes back `key`'s latest hit."""
        ...


class RateLimiter:
    def __init__(
        self,
        limit: int,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_clients = max_clients
        self._clock = clock
        # least recently hit first, so the clients whose window has passed are at the front
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, key: str) -> float | None:
        """Records a hit for `key`; returns None if allowed, else the seconds until one is."""
        now = self._clock()
        with self._lock:
            self._forget_idle(now)
            key = key if key in self._hits or len(self._hits) < self.max_clients else OVERFLOW
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window_s - now
            hits.append(now)
            self._hits.move_to_end(key)
            return None

    def refund(self, key: str) -> None:
        """Takes back `key`'s latest hit: the request it counted turned out to cost nothing."""
        with self._lock:
            bucket = key if key in self._hits else OVERFLOW
            hits = self._hits.get(bucket)
            if hits:
                hits.pop()
            if not hits and bucket in self._hits:
                del self._hits[bucket]  # a refused request leaves no trace to fill the table with

    @property
    def tracked(self) -> int:
        return len(self._hits)

    def _forget_idle(self, now: float) -> None:
        # amortised O(1): each client is dropped once, from the front
        while self._hits:
            key, hits = next(iter(self._hits.items()))
            if hits and hits[-1] > now - self.window_s:
                return
            del self._hits[key]


def client_key(host: str) -> str:
    """What a per-client limit counts by: the address, or its /64 for IPv6 (one phone, one
    home or one mobile subscriber holds a whole /64, and can pick a new address in it at will)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
