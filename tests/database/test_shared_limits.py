"""Rate limits and sign-in throttles in a real Redis server, shared by every web process.

Two limiter objects on one Redis stand for two web processes. The Redis server's clock decides
the windows, so expiry is checked with a short window and a deadline.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from eventface.errors import RateLimitedError
from eventface.settings import Settings
from eventface.web.ratelimit import RateLimiter
from eventface.web.shared_limits import (
    REMOVAL_REQUESTS_PER_HOUR,
    RedisLoginThrottle,
    RedisRateLimiter,
    limits_for,
)
from tests.harness.services import RedisServer

WINDOW_S = 60.0
DEADLINE_S = 10


@pytest.fixture
def client(redis_server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(redis_server.fresh_url())


def test_the_search_limit_is_counted_across_web_processes(client: redis.Redis) -> None:
    one, two = RedisRateLimiter(client, 3), RedisRateLimiter(client, 3)

    assert [one.check("203.0.113.7"), two.check("203.0.113.7"), one.check("203.0.113.7")] == [None] * 3
    wait = two.check("203.0.113.7")

    assert wait is not None and 0 < wait <= WINDOW_S
    assert one.check("198.51.100.1") is None  # another client has its own count


def test_a_refunded_hit_no_longer_counts(client: redis.Redis) -> None:
    one, two = RedisRateLimiter(client, 2), RedisRateLimiter(client, 2)
    one.check("a")
    one.check("a")
    two.refund("a")

    assert two.check("a") is None
    assert one.check("a") is not None


def test_hits_leave_the_window_on_the_servers_clock(client: redis.Redis) -> None:
    limiter = RedisRateLimiter(client, 1, window_s=0.3)
    limiter.check("a")
    assert limiter.check("a") is not None

    deadline = time.monotonic() + DEADLINE_S
    while limiter.check("a") is not None:
        assert time.monotonic() < deadline, "the hit never left its window"
        time.sleep(0.05)


def test_redis_keeps_no_email_or_address_and_forgets_idle_keys(client: redis.Redis) -> None:
    throttle = RedisLoginThrottle(client, "login")
    throttle.begin("ana@example.com", "203.0.113.7")
    RedisRateLimiter(client, 5).check("203.0.113.7")

    keys = [key.decode() for key in client.keys("*")]
    assert keys and not any("ana" in key or "203.0.113" in key for key in keys)
    assert all(0 < client.pttl(key) <= WINDOW_S * 1000 for key in keys)


def test_failed_guesses_from_one_address_are_limited_across_processes(client: redis.Redis) -> None:
    one, two = RedisLoginThrottle(client, "login", limit=3), RedisLoginThrottle(client, "login", limit=3)
    for throttle in (one, two, one):
        throttle.begin("ana@example.com", "203.0.113.7")

    with pytest.raises(RateLimitedError) as refused:
        two.begin("bob@example.com", "203.0.113.7")
    assert 0 < refused.value.retry_after_s <= WINDOW_S


def test_an_account_under_attack_still_takes_its_owners_attempt(client: redis.Redis) -> None:
    throttle = RedisLoginThrottle(client, "login", limit=3)
    for attacker in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        throttle.begin("ana@example.com", attacker)

    with pytest.raises(RateLimitedError):
        throttle.begin("ana@example.com", "198.51.100.1")  # failed here already in the window
    attempt = throttle.begin("ana@example.com", "203.0.113.7")  # the owner, elsewhere
    throttle.succeeded(attempt)
    throttle.begin("ana@example.com", "203.0.113.7")  # the success left no count behind


def test_signup_and_login_are_counted_apart(client: redis.Redis) -> None:
    login, signup = (
        RedisLoginThrottle(client, "login", limit=1),
        RedisLoginThrottle(client, "signup", limit=1),
    )
    login.begin("ana@example.com", "203.0.113.7")

    signup.begin("ana@example.com", "203.0.113.7")


def test_the_limits_live_in_redis_when_the_queue_does(redis_server: RedisServer, tmp_path: Path) -> None:
    shared = limits_for(Settings(data_dir=tmp_path, queue_url=redis_server.fresh_url()))
    alone = limits_for(Settings(data_dir=tmp_path))

    assert isinstance(shared.search, RedisRateLimiter) and isinstance(shared.login, RedisLoginThrottle)
    assert isinstance(alone.search, RateLimiter)


def test_removal_requests_are_counted_once_for_all_web_processes(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    # two web processes behind one proxy: a guest gets the hourly allowance once, not once per process
    settings = Settings(data_dir=tmp_path, queue_url=redis_server.fresh_url())
    one, two = limits_for(settings).removal, limits_for(settings).removal

    answers = [(one if i % 2 else two).check("203.0.113.7") for i in range(REMOVAL_REQUESTS_PER_HOUR + 1)]

    assert answers[:-1] == [None] * REMOVAL_REQUESTS_PER_HOUR
    assert answers[-1] is not None and answers[-1] > 3000  # the hour's window, not the search's minute
    assert one.check("198.51.100.9") is None  # another guest is not held back
