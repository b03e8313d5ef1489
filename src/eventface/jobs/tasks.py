"""Thin Huey tasks: each takes an id, re-reads the state, calls services, and logs why it skipped.

Tasks are registered on a queue built from explicit Settings (`register_tasks`), never at import.
Each task commits through the runtime's own transactions; the runtime is built once per process,
on first use, so face models load once and not per job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from huey import Huey, crontab

from eventface.domain.models import SyncTrigger
from eventface.errors import ReconnectNeededError
from eventface.runtime import Runtime, build_runtime
from eventface.services import drive_push, ingest, sync
from eventface.services.ingest import IndexReport
from eventface.settings import Settings

log = logging.getLogger(__name__)

# Huey's periodic tasks have minute resolution: each minute's pass schedules a second one 30 s on
SCHEDULER_SECOND_PASS_S = 30


class QueuedTask(Protocol):
    """A Huey task: calling it enqueues (or, with `huey.immediate`, runs) and returns a Result."""

    def __call__(self, *args: Any) -> Any: ...

    def call_local(self, *args: Any) -> Any: ...

    def schedule(self, args: tuple[Any, ...] = (), *, delay: float) -> Any: ...


@dataclass
class RuntimeHolder:
    """The worker's runtime, built on first use from the settings the queue was built with."""

    settings: Settings
    build: Callable[[Settings], Runtime] = build_runtime
    _runtime: Runtime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> Runtime:
        with self._lock:
            if self._runtime is None:
                self._runtime = self.build(self.settings)
            return self._runtime

    def close(self) -> None:
        with self._lock:
            if self._runtime is not None:
                self._runtime.close()
                self._runtime = None


@dataclass(frozen=True)
class Tasks:
    index_event: QueuedTask  # (task_id) -> IndexReport
    sync_event: QueuedTask  # (event_id, trigger) -> "synced", or why it skipped or failed
    enqueue_due_syncs: QueuedTask  # () -> ids of the events it enqueued a sync for
    schedule_due_syncs: QueuedTask  # periodic: every minute, plus a second pass 30 s later
    maintain_channels: QueuedTask  # () -> Drive push channels opened, renewed, stopped
    runtime: RuntimeHolder


def index_event(rt: Runtime, task_id: str) -> IndexReport:
    """Runs an index task created by `ingest.create_task`; safe to run twice (a rerun is a no-op)."""
    with rt.transactions() as uow:
        event = uow.events.get(uow.tasks.get(task_id).event_id)
    with rt.source(event) as source:
        return ingest.run_indexing(
            rt.transactions,
            task_id,
            source,
            rt.analyzer(event.engine),
            rt.engine_info(event.engine),
            rt.index,
            caches=rt.caches,
        )


@dataclass(frozen=True)
class SyncOutcome:
    status: str  # "synced", "skipped" or "failed"
    reason: str | None = None  # why it skipped or failed
    report: IndexReport | None = None

    def __str__(self) -> str:
        return self.status if self.reason is None else f"{self.status}: {self.reason}"


def sync_event(
    rt: Runtime, event_id: int, trigger: SyncTrigger = SyncTrigger.SCHEDULE, *, when_due: bool = True
) -> SyncOutcome:
    """One sync of an event under its lease. A failure is recorded on the event, not raised.

    `when_due=False` (someone asked for this sync) takes the lease whatever the schedule says.
    """
    now = datetime.now(UTC)
    with rt.transactions() as uow:
        claimed = sync.claim_sync(uow, event_id, now, when_due=when_due)
        run_id = uow.sync_runs.start(event_id, trigger, now) if claimed else None
    if run_id is None:
        with rt.transactions() as uow:
            reason = sync.skip_reason(uow, event_id, now)
        log.info(
            "sync skipped", extra={"fields": {"event": event_id, "trigger": trigger.value, "reason": reason}}
        )
        return SyncOutcome("skipped", reason)
    log.info("sync started", extra={"fields": {"event": event_id, "trigger": trigger.value}})
    error: str | None = "interrupted"
    report: IndexReport | None = None
    try:
        with rt.transactions() as uow:
            task = ingest.create_task(uow, str(event_id))
        report = index_event(rt, task.task_id)
        error = None
        _log_sync(event_id, report)
    except ReconnectNeededError as exc:  # the account is marked; its events wait for a reconnect
        error = f"reconnect needed: {exc}"
        log.warning("sync failed", extra={"fields": {"event": event_id, "reason": error}})
    except Exception as exc:  # the top of a job: record it on the event and let the next sync retry
        error = str(exc) or type(exc).__name__
        log.warning("sync failed", extra={"fields": {"event": event_id, "reason": error}}, exc_info=True)
    finally:
        finished = datetime.now(UTC)
        with rt.transactions() as uow:
            sync.finish_sync(uow, event_id, finished, error)
            sync.record_run(uow, event_id, run_id, finished, report.sync if report else None, error)
    if error is None:
        return SyncOutcome("synced", report=report)
    return SyncOutcome("failed", error, report)


def _log_sync(event_id: int, report: IndexReport) -> None:
    result = report.sync
    fields: dict[str, object] = {
        "event": event_id,
        "added": result.added,
        "changed": result.changed,
        "removed": result.removed,
        "faces": report.faces,
        "failed": len(report.failed),
        "full_rescan": result.full_rescan,
    }
    if result.added or result.changed:
        log.info(
            "sync found new photos",
            extra={"fields": {"event": event_id, "new": result.added + result.changed}},
        )
    elif not result.removed:
        log.info("sync found no new photos", extra={"fields": {"event": event_id}})
    log.info("sync completed", extra={"fields": fields})


def register_tasks(
    huey: Huey, settings: Settings, build: Callable[[Settings], Runtime] = build_runtime
) -> Tasks:
    """Registers eventface's tasks on `huey`; they build their runtime from `settings` when first run."""
    holder = RuntimeHolder(settings, build)

    def index_event_task(task_id: str) -> IndexReport:
        return index_event(holder.get(), task_id)

    def sync_event_task(event_id: int, trigger: str = SyncTrigger.SCHEDULE.value) -> str:
        return str(sync_event(holder.get(), event_id, SyncTrigger(trigger)))

    def maintain_channels_task() -> str:
        rt = holder.get()
        report = drive_push.maintain_channels(rt.google, rt.settings.public_base_url, datetime.now(UTC))
        return f"opened {report.opened}, stopped {report.stopped}, failed {report.failed}"

    def enqueue_due_syncs() -> list[int]:
        with holder.get().transactions() as uow:
            due = sync.due_events(uow, datetime.now(UTC))
        for event_id in due:
            queued_sync(event_id)
        return due

    def schedule_due_syncs() -> list[int]:
        queued_enqueue.schedule(delay=SCHEDULER_SECOND_PASS_S)
        queued_channels()
        return enqueue_due_syncs()

    queued_index: QueuedTask = huey.task(name="index_event")(index_event_task)
    queued_sync: QueuedTask = huey.task(name="sync_event")(sync_event_task)
    queued_enqueue: QueuedTask = huey.task(name="enqueue_due_syncs")(enqueue_due_syncs)
    queued_channels: QueuedTask = huey.task(name="maintain_channels")(maintain_channels_task)
    periodic: QueuedTask = huey.periodic_task(crontab(), name="schedule_due_syncs")(schedule_due_syncs)
    return Tasks(queued_index, queued_sync, queued_enqueue, periodic, queued_channels, holder)
