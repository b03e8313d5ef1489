"""The auto-sync scheduler: one thread that sleeps until the next event's sync is due, enqueues it,
and sleeps again.

Huey's periodic tasks have minute resolution, so a 30 s interval used to come round every ~60 s
and the "next sync" time shown to the photographer was missed. Here the wait ends at the due
time itself, or earlier when `wake()` says something changed (auto-sync enabled, a sync finished,
a watched folder or a Drive push made an event due now). The schedule itself stays in the
database (services/sync.py), so nothing is lost with the process; the longest sleep,
`max_sleep_s`, bounds how late a change made by another process is seen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from eventface.domain.models import SyncTrigger
from eventface.jobs.leader import AlwaysLeader, Leadership

log = logging.getLogger(__name__)

MAX_SLEEP_S = 60.0
# an enqueued sync that has not started after this long (its job lost with a Redis worker, say) is
# enqueued again; until then a due event waiting for a free worker is not enqueued twice
REENQUEUE_AFTER_S = 15 * 60.0
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Schedule:
    due: list[tuple[int, datetime]]  # (event id, the time it fell due), earliest first
    next_at: datetime | None  # when the next event not due yet falls due


def utc_now() -> datetime:
    return datetime.now(UTC)


class SyncScheduler:
    """Enqueues each due event's sync once per due time; `run_pass` is one look, `start` loops it.

    `read_schedule(now)` reads the schedule (services/sync.py in production); `enqueue(event_id,
    trigger)` puts a sync on the queue. `clock` and `max_sleep_s` are there for tests.
    """

    def __init__(
        self,
        read_schedule: Callable[[datetime], Schedule],
        enqueue: Callable[[int, SyncTrigger], object],
        *,
        max_sleep_s: float = MAX_SLEEP_S,
        clock: Callable[[], datetime] = utc_now,
        leadership: Leadership | None = None,
    ) -> None:
        self._read_schedule = read_schedule
        self.leadership = leadership or AlwaysLeader()
        self._enqueue = enqueue
        self.max_sleep_s = max_sleep_s
        self._clock = clock
        self._lock = threading.Lock()
        self._enqueued: dict[int, tuple[datetime, float]] = {}  # event -> (due time, monotonic when)
        self._triggers: dict[int, tuple[SyncTrigger, float]] = {}  # why an event was made due now
        self._next_at: datetime | None = None
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_pass(self) -> list[int]:
        """Enqueues the due events not already enqueued for this due time; returns their ids.

        Only the leading worker does (jobs/leader.py); the others only look again later."""
        if not self.leadership.held():
            with self._lock:
                self._enqueued.clear()  # a worker that leads again later starts afresh
            return []
        schedule = self._read_schedule(self._clock())
        now_mono = time.monotonic()
        fresh: list[tuple[int, SyncTrigger]] = []
        with self._lock:
            due_ids = {event_id for event_id, _ in schedule.due}
            for event_id, due_at in schedule.due:
                earlier = self._enqueued.get(event_id)
                if earlier is not None and earlier[0] == due_at and now_mono - earlier[1] < REENQUEUE_AFTER_S:
                    continue
                self._enqueued[event_id] = (due_at, now_mono)
                trigger, _ = self._triggers.pop(event_id, (SyncTrigger.SCHEDULE, now_mono))
                fresh.append((event_id, trigger))
            # a sync that started (its lease hides it) or an event no longer due: forget it
            self._enqueued = {k: v for k, v in self._enqueued.items() if k in due_ids}
            self._triggers = {k: v for k, v in self._triggers.items() if now_mono - v[1] < REENQUEUE_AFTER_S}
            self._next_at = schedule.next_at
        for event_id, trigger in fresh:
            self._enqueue(event_id, trigger)
        return [event_id for event_id, _ in fresh]

    def request(self, event_ids: Iterable[int], trigger: SyncTrigger) -> None:
        """The events were just made due because of `trigger`: their syncs say so, and run now.

        A worker that does not lead enqueues them itself: the leader would see them only at its
        next look (up to `max_sleep_s`), and a sync's lease keeps two from running at once."""
        if not self.leadership.held():
            for event_id in event_ids:
                self._enqueue(event_id, trigger)
            return
        with self._lock:
            for event_id in event_ids:
                self._triggers[event_id] = (trigger, time.monotonic())
        self.wake()

    def wake(self) -> None:
        """Look at the schedule now instead of at the next due time."""
        self._wakeup.set()

    @property
    def next_at(self) -> datetime | None:
        return self._next_at

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="sync-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            self._thread = None
        try:
            self.leadership.release()
        except Exception:  # Redis gone: the lease expires by itself
            log.warning("could not hand over the scheduler lease; it expires on its own")

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wakeup.clear()  # before the pass: a wake() during it makes the wait return at once
            try:
                self.run_pass()
                sleep_s = self._sleep_s()
            except Exception:  # the top of a loop: a locked or missing database must not end scheduling
                log.exception("the auto-sync scheduler could not read the schedule; trying again")
                sleep_s = min(self.max_sleep_s, 5.0)
            self._wakeup.wait(sleep_s)

    def _sleep_s(self) -> float:
        if self._next_at is None:
            return self.max_sleep_s
        return min(self.max_sleep_s, max(0.0, (self._next_at - self._clock()).total_seconds()))
