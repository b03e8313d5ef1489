"""The search admission queue shared by every web process through Redis (issue 15).

Each web process runs searches on its own search workers (web/limits.py `SearchQueue` bounds
them). With several processes behind one proxy (`QUEUE_URL=redis://...`), the searches that
must *wait* for a worker are counted in Redis instead, across processes: at most
`EVENTFACE_SEARCH_QUEUE` of them wait anywhere, and the next one gets 503 with Retry-After. A
waiting search holds a member of a sorted set scored by its expiry (the Redis server's clock): a
process that dies with searches waiting leaves members that lapse after `ttl_s`, so a dead
process never holds the queue for longer than that.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

from eventface.errors import ServerBusyError
from eventface.settings import Settings
from eventface.web.limits import MAX_RETRY_AFTER_S, SearchQueue

KEY = "eventface:search-queue"
# longer than any search waits and runs (the queue drains in seconds); a dead process's places
# come free after it
SLOT_TTL_S = 60.0

# KEYS[1] the waiting searches; ARGV: cap, ttl in ms, member. -1 if taken, else how many wait.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local waiting = redis.call('ZCARD', KEYS[1])
if waiting >= tonumber(ARGV[1]) then
  return waiting
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return -1
"""


class RedisSearchQueue(SearchQueue):
    """`SearchQueue` whose waiting searches are counted in Redis, shared by every web process."""

    def __init__(
        self,
        client: redis.Redis,
        workers: int,
        waiting: int,
        search_s: Callable[[], float],
        *,
        ttl_s: float = SLOT_TTL_S,
        key: str = KEY,
    ) -> None:
        super().__init__(workers, waiting, search_s)
        self.waiting = waiting
        self._client = client
        self._key = key
        self._ttl_ms = int(ttl_s * 1000)
        self._take = client.register_script(_TAKE)

    @contextmanager
    def claim(self) -> Iterator[None]:
        with super().claim():  # this process's own bound: its workers and as many waiting
            member = self._wait_place() if self.busy > self.workers else None
            try:
                yield
            finally:
                if member is not None:
                    self._client.zrem(self._key, member)

    def _wait_place(self) -> str:
        """A place among the searches waiting anywhere; ServerBusyError when none is left."""
        member = uuid.uuid4().hex
        waiting = int(self._take(keys=[self._key], args=[self.waiting, self._ttl_ms, member]))
        if waiting >= 0:
            retry_s = min(MAX_RETRY_AFTER_S, max(1.0, (waiting + 1) * self._search_s() / self.workers))
            raise ServerBusyError(self.message, retry_s)
        return member


def search_queue_for(settings: Settings, workers: int, search_s: Callable[[], float]) -> SearchQueue:
    """This process's queue, or one whose waiting searches are shared in Redis when the job queue is."""
    if settings.queue_url is None:
        return SearchQueue(workers, settings.search_queue, search_s)
    client = redis.Redis.from_url(settings.queue_url)
    return RedisSearchQueue(client, workers, settings.search_queue, search_s)
