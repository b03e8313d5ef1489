"""The auto-sync scheduler on a real clock, over an in-memory schedule: it wakes when a sync falls due."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from eventface.domain.models import SyncTrigger
from eventface.jobs.scheduler import Schedule, SyncScheduler

INTERVAL = timedelta(seconds=0.3)
TOLERANCE_S = 0.1  # a thread waking on a busy 2-core machine
DEADLINE_S = 10.0


class Timetable:
    """The events table's schedule, in memory: a sync enqueued runs at once and is due again one
    interval after it fell due (services/sync.py's rule)."""

    def __init__(self) -> None:
        self.due_at: dict[int, datetime] = {}
        self.enqueued: list[tuple[int, SyncTrigger, float]] = []  # event, trigger, monotonic time
        self.lock = threading.Lock()
        self.scheduler: SyncScheduler | None = None
        self.fail_next = False

    def read(self, now: datetime) -> Schedule:
        with self.lock:
            if self.fail_next:
                self.fail_next = False
                raise RuntimeError("database is locked")
            due = sorted((at, event_id) for event_id, at in self.due_at.items() if at <= now)
            later = [at for at in self.due_at.values() if at > now]
        return Schedule([(event_id, at) for at, event_id in due], min(later, default=None))

    def run(self, event_id: int, trigger: SyncTrigger) -> None:
        with self.lock:
            self.enqueued.append((event_id, trigger, time.monotonic()))
            self.due_at[event_id] += INTERVAL
        assert self.scheduler is not None
        self.scheduler.wake()  # as sync_event_task does when a sync ends

    def times(self, event_id: int) -> list[float]:
        with self.lock:
            return [at for e, _, at in self.enqueued if e == event_id]


@pytest.fixture
def timetable() -> Iterator[Timetable]:
    table = Timetable()
    table.scheduler = SyncScheduler(table.read, table.run, max_sleep_s=5.0)
    yield table
    table.scheduler.stop()


def wait_until(condition: object, deadline_s: float = DEADLINE_S) -> None:
    assert callable(condition)
    end = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < end, "not in time"
        time.sleep(0.01)


def test_each_sync_is_enqueued_when_it_falls_due_without_drift(timetable: Timetable) -> None:
    assert timetable.scheduler is not None
    timetable.due_at[1] = datetime.now(UTC)
    timetable.scheduler.start()

    wait_until(lambda: len(timetable.times(1)) >= 8)

    times = timetable.times(1)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(abs(gap - INTERVAL.total_seconds()) <= TOLERANCE_S for gap in gaps), gaps
    assert abs(times[7] - times[0] - 7 * INTERVAL.total_seconds()) <= TOLERANCE_S


def test_a_request_wakes_it_at_once_and_names_the_trigger(timetable: Timetable) -> None:
    assert timetable.scheduler is not None
    timetable.due_at[1] = datetime.now(UTC) + timedelta(hours=1)
    timetable.scheduler.start()
    wait_until(lambda: timetable.scheduler is not None and timetable.scheduler.next_at is not None)

    asked = time.monotonic()
    with timetable.lock:
        timetable.due_at[1] = datetime.now(UTC)  # what sync_soon does in the database
    timetable.scheduler.request([1], SyncTrigger.WATCH)

    wait_until(lambda: timetable.times(1) != [])
    assert timetable.enqueued[0][1] is SyncTrigger.WATCH
    assert timetable.times(1)[0] - asked <= TOLERANCE_S


def test_a_due_event_waiting_for_a_worker_is_not_enqueued_twice() -> None:
    enqueued: list[int] = []
    due = datetime.now(UTC)
    scheduler = SyncScheduler(lambda now: Schedule([(7, due)], None), lambda e, _: enqueued.append(e))

    assert scheduler.run_pass() == [7]
    assert scheduler.run_pass() == []  # still due at the same time: its job is queued already
    assert enqueued == [7]


def test_a_failed_read_does_not_end_the_loop(timetable: Timetable) -> None:
    assert timetable.scheduler is not None
    timetable.scheduler.max_sleep_s = 0.2
    timetable.fail_next = True
    timetable.due_at[1] = datetime.now(UTC) + timedelta(seconds=0.5)
    timetable.scheduler.start()

    wait_until(lambda: len(timetable.times(1)) >= 1)
