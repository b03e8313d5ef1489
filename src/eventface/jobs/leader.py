"""Which worker process runs the auto-sync scheduler when several share a Redis queue.

Every worker process runs a scheduler thread, but only the holder of a lease in Redis enqueues
scheduled syncs and maintains Drive push channels: N workers must not fire N syncs per due time.
The lease expires unless renewed, so when the leader dies another worker takes over within
`ttl_s`. With the embedded queue there is one worker, and it always leads.
"""

from __future__ import annotations

import uuid
from typing import Protocol

import redis

LEASE_KEY = "eventface:scheduler-leader"

# renew if ours, else take it if free: 1 when this process holds the lease afterwards
_HOLD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Leadership(Protocol):
    def held(self) -> bool:
        """Takes or renews the lease; True while this process leads."""
        ...

    def release(self) -> None: ...


class AlwaysLeader:
    """The embedded queue's single worker."""

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


class RedisLeadership:
    def __init__(self, client: redis.Redis, ttl_s: float, key: str = LEASE_KEY) -> None:
        self._client = client
        self._key = key
        self._ttl_ms = int(ttl_s * 1000)
        self._id = uuid.uuid4().hex
        self._hold = client.register_script(_HOLD)
        self._release = client.register_script(_RELEASE)

    def held(self) -> bool:
        return bool(self._hold(keys=[self._key], args=[self._id, self._ttl_ms]))

    def release(self) -> None:
        """Hands the lease over at once (a clean stop): another worker need not wait out the TTL."""
        self._release(keys=[self._key], args=[self._id])
