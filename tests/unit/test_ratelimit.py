"""The search rate limiter's memory stays bounded, and rotating addresses frees no one (issue 10)."""

from __future__ import annotations

from eventface.web.ratelimit import RateLimiter

GUEST = "198.51.100.7"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def attacker(n: int) -> str:
    return f"2001:db8:{n // 65536:x}:{n % 65536:x}::/64"  # a fresh /64 each time


def test_an_attacker_rotating_addresses_cannot_grow_the_table_past_its_cap() -> None:
    limiter = RateLimiter(3, window_s=60, clock=Clock(), max_clients=100)

    for n in range(5000):
        limiter.check(attacker(n))

    assert limiter.tracked <= 101  # the cap, and the one bucket the newcomers share


def test_rotating_addresses_does_not_reset_a_real_clients_count() -> None:
    clock = Clock()
    limiter = RateLimiter(3, window_s=60, clock=clock, max_clients=100)
    for _ in range(3):
        assert limiter.check(GUEST) is None
    assert limiter.check(GUEST) is not None

    for n in range(5000):
        clock.now += 0.001
        limiter.check(attacker(n))

    assert limiter.check(GUEST) is not None  # still counted: nothing pushed it out


def test_while_the_table_is_full_newcomers_share_one_limit() -> None:
    limiter = RateLimiter(3, window_s=60, clock=Clock(), max_clients=10)
    for n in range(10):
        limiter.check(attacker(n))

    allowed = [limiter.check(attacker(1000 + n)) is None for n in range(5)]

    assert allowed == [True, True, True, False, False]


def test_clients_are_forgotten_once_their_window_has_passed() -> None:
    clock = Clock()
    limiter = RateLimiter(3, window_s=60, clock=clock, max_clients=100)
    for n in range(100):
        limiter.check(attacker(n))

    clock.now += 61
    assert limiter.check(GUEST) is None

    assert limiter.tracked == 1


def test_a_refunded_search_is_not_counted_and_leaves_no_entry() -> None:
    limiter = RateLimiter(1, window_s=60, clock=Clock())

    assert limiter.check(GUEST) is None
    limiter.refund(GUEST)
    assert limiter.tracked == 0

    assert limiter.check(GUEST) is None
    assert limiter.check(GUEST) is not None
