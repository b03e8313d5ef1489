"""Several workers on one Redis queue: exactly one scheduler enqueues each due sync (a real Redis)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import redis

from eventface.domain.models import SyncTrigger
from eventface.jobs.leader import RedisLeadership
from eventface.jobs.scheduler import Schedule, SyncScheduler
from tests.harness.services import RedisServer

DUE_AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DEADLINE_S = 10


def workers(
    redis_server: RedisServer, ttl_s: float = 60
) -> tuple[list[tuple[str, int]], list[SyncScheduler]]:
    """Two workers' schedulers on one Redis; what each enqueued goes into one list, by name."""
    client = redis.Redis.from_url(redis_server.fresh_url())
    enqueued: list[tuple[str, int]] = []

    def scheduler(name: str) -> SyncScheduler:
        return SyncScheduler(
            lambda _now: Schedule([(7, DUE_AT)], None),
            lambda event_id, _trigger: enqueued.append((name, event_id)),
            leadership=RedisLeadership(client, ttl_s=ttl_s),
        )

    return enqueued, [scheduler("a"), scheduler("b")]


def test_one_of_two_workers_enqueues_a_due_sync(redis_server: RedisServer) -> None:
    enqueued, (a, b) = workers(redis_server)

    a.run_pass()
    b.run_pass()
    a.run_pass()  # the same due time: not again

    assert enqueued == [("a", 7)]


def test_a_stopped_leader_hands_over_at_once(redis_server: RedisServer) -> None:
    enqueued, (a, b) = workers(redis_server)
    a.run_pass()

    a.stop()
    b.run_pass()

    assert enqueued == [("a", 7), ("b", 7)]


def test_a_dead_leaders_lease_expires_and_another_worker_leads(redis_server: RedisServer) -> None:
    enqueued, (a, b) = workers(redis_server, ttl_s=0.3)
    a.run_pass()  # and then a dies: no release

    deadline = time.monotonic() + DEADLINE_S
    while not b.run_pass():
        assert time.monotonic() < deadline, "the lease of a dead leader never expired"
        time.sleep(0.05)
    assert enqueued == [("a", 7), ("b", 7)]


def test_a_worker_that_does_not_lead_enqueues_what_its_folder_watcher_saw(redis_server: RedisServer) -> None:
    enqueued, (a, b) = workers(redis_server)
    a.run_pass()

    b.request([9], SyncTrigger.WATCH)

    assert enqueued == [("a", 7), ("b", 9)]
