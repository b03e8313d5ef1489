"""The search and removal-request rate limits and the sign-in/sign-up throttles in Redis,
shared by every web process.

With several web processes behind one proxy (`QUEUE_URL=redis://...`), per-process counts would
give a client N times the limit. The rules are those of web/ratelimit.py and web/throttle.py;
each check-and-count is one Lua script, so concurrent requests on different processes cannot
slip past a count between reading and writing it. Time is the Redis server's own clock (machines'
clocks may disagree), and each key expires with its window: Redis holds only what is still
being counted. Keys are hashes: no email or client address is written to Redis.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

import redis

from eventface.errors import RateLimitedError
from eventface.settings import Settings
from eventface.web.ratelimit import Limiter, RateLimiter
from eventface.web.throttle import TOO_MANY, Attempt, LoginThrottle, Throttle

PREFIX = "eventface:limits:"

# guests' "remove my photo" requests per client (web/photo_removal.py): enough for a guest to
# report every photo they are in at a small event, too few to flood a photographer's list
REMOVAL_REQUESTS_PER_HOUR = 10

# KEYS[1] window; ARGV: limit, window in ms, member. Returns -1 if counted, else ms to wait.
_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return -1
"""

# KEYS: address, account, address+account windows; ARGV: limit, window in ms, member.
# Returns -1 if counted, else ms to wait (the rules of throttle.LoginThrottle).
_ATTEMPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local function wait(key)
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
end
if redis.call('ZCARD', KEYS[1]) >= limit then
  return wait(KEYS[1])
end
if redis.call('ZCARD', KEYS[2]) >= limit and redis.call('ZCARD', KEYS[3]) > 0 then
  return wait(KEYS[3])
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
end
return -1
"""


@dataclass(frozen=True)
class Limits:
    search: Limiter  # guest searches per client
    login: Throttle  # password guesses
    signup: Throttle  # account creations
    removal: Limiter  # guests' photo removal requests per client


def limits_for(settings: Settings) -> Limits:
    """In this process's memory, or in Redis when the job queue is there (several web processes)."""
    if settings.queue_url is None:  # settings accept only a Redis URL there
        return Limits(
            RateLimiter(settings.search_rate_limit),
            LoginThrottle(),
            LoginThrottle(),
            RateLimiter(REMOVAL_REQUESTS_PER_HOUR, 3600.0),
        )
    client = redis.Redis.from_url(settings.queue_url)
    return Limits(
        RedisRateLimiter(client, settings.search_rate_limit),
        RedisLoginThrottle(client, "login"),
        RedisLoginThrottle(client, "signup"),
        RedisRateLimiter(client, REMOVAL_REQUESTS_PER_HOUR, 3600.0, name="removal"),
    )


class RedisRateLimiter:
    """web/ratelimit.RateLimiter's `check` and `refund`, counted in Redis."""

    def __init__(self, client: redis.Redis, limit: int, window_s: float = 60.0, name: str = "search") -> None:
        self.limit = limit
        self._window_ms = int(window_s * 1000)
        self._client = client
        self._prefix = f"{PREFIX}{name}:"
        self._hit = client.register_script(_HIT)

    def check(self, key: str) -> float | None:
        waited = int(self._hit(keys=[self._key(key)], args=[self.limit, self._window_ms, _member()]))
        return None if waited < 0 else waited / 1000

    def refund(self, key: str) -> None:
        self._client.zpopmax(self._key(key))

    def _key(self, key: str) -> str:
        return self._prefix + _hashed(key)


class RedisLoginThrottle:
    """web/throttle.LoginThrottle's `begin` and `succeeded`, counted in Redis."""

    def __init__(self, client: redis.Redis, name: str, limit: int = 10, window_s: float = 60.0) -> None:
        self.limit = limit
        self._window_ms = int(window_s * 1000)
        self._client = client
        self._prefix = f"{PREFIX}{name}:"
        self._attempt = client.register_script(_ATTEMPT)

    def begin(self, account: str, address: str) -> Attempt:
        token = _member()
        keys = self._keys(account, address)
        waited = int(self._attempt(keys=keys, args=[self.limit, self._window_ms, token]))
        if waited >= 0:
            raise RateLimitedError(TOO_MANY, waited / 1000)
        return Attempt(account, address, 0.0, token)

    def succeeded(self, attempt: Attempt) -> None:
        with self._client.pipeline() as pipe:
            for key in self._keys(attempt.account, attempt.address):
                pipe.zrem(key, attempt.token)
            pipe.execute()

    def _keys(self, account: str, address: str) -> list[str]:
        p = self._prefix
        pair = f"{account}\n{address}"
        return [
            f"{p}address:{_hashed(address)}",
            f"{p}account:{_hashed(account)}",
            f"{p}pair:{_hashed(pair)}",
        ]


def _hashed(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def _member() -> str:
    return uuid.uuid4().hex
