"""The background worker inside the web process: Huey's consumer on threads, without its signals.

Huey's `Consumer.start()` installs SIGINT/SIGTERM handlers for a process it owns; inside the web
server those belong to uvicorn, which stops the worker through `stop_worker` on shutdown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from huey import Huey
from huey.consumer import Consumer

from eventface.jobs.tasks import Tasks
from eventface.services import ingest

log = logging.getLogger(__name__)

WORKER_THREADS = 2  # one long indexing run and a sync of another event side by side
# an idle worker polls the SQLite queue at least this often (Huey's default backs off to 10 s): a
# sync the scheduler enqueues at its due time starts within it (issue 12: "every 30 s" ± 5 s)
QUEUE_POLL_MAX_S = 0.5
# a run sees the stop within a fraction of a second and kills its workers; this is for a job
# stuck elsewhere (a slow Drive download): its workers die with its thread at exit anyway
STOP_DEADLINE_S = 5.0


class InProcessConsumer(Consumer):  # type: ignore[misc]
    on_stop: tuple[Callable[[], None], ...] = ()  # the scheduler and folder watcher stop first

    def _set_signal_handlers(self) -> None:
        """The host process owns its signals."""


def start_worker(huey: Huey, tasks: Tasks, threads: int = WORKER_THREADS) -> InProcessConsumer:
    """Starts the consumer, the auto-sync scheduler and the folder watcher; re-queues lost index jobs.

    Only the embedded queue loses jobs with its process; on Redis, other workers may be running them.
    """
    if tasks.runtime.settings.queue_url is None:
        release_sync_leases(tasks)
        release_photo_claims(tasks)
        requeue_unfinished(tasks)
    else:  # runs whose workers all died meanwhile (issue 15); every minute after this too
        tasks.recover_indexing()
    consumer = InProcessConsumer(
        huey, workers=threads, worker_type="thread", periodic=True, max_delay=QUEUE_POLL_MAX_S
    )
    consumer.start()
    # the scheduler's first pass runs now: syncs that fell due while the server was down start
    tasks.scheduler.start()
    tasks.watcher.start()  # rescans each watched folder once, then reports what lands in it
    consumer.on_stop = (tasks.watcher.stop, tasks.scheduler.stop)
    return consumer


def stop_worker(consumer: InProcessConsumer, tasks: Tasks, deadline_s: float = STOP_DEADLINE_S) -> bool:
    """Stops taking jobs, stops the running ones, and waits (up to `deadline_s`) for them to end.

    Not graceful: an index run can take hours, and every photo it finished is already committed;
    closing the worker's runtime stops its warm indexing processes and sets its `stopping`, so a
    run kills its own and leaves its task to be resumed at the next start. False if a job had
    not ended in time.
    """
    for stop in consumer.on_stop:
        stop()
    consumer.stop(graceful=False)  # no new job is taken
    tasks.runtime.close()
    deadline = time.monotonic() + deadline_s
    for _, thread in consumer.worker_threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    running = sum(thread.is_alive() for _, thread in consumer.worker_threads)
    if running:
        log.warning("jobs still running at shutdown", extra={"fields": {"jobs": running}})
    return not running


def release_sync_leases(tasks: Tasks) -> int:
    """Syncs that were running when the last process died left their lease behind: free them.

    Otherwise such an event would not sync again until the lease expires (an hour). Only for the
    embedded queue, where this process is the only worker.
    """
    with tasks.runtime.get().transactions() as uow:
        released = uow.events.release_sync_leases()
    if released:
        log.info("released the sync leases of a stopped process", extra={"fields": {"events": released}})
    return released


def release_photo_claims(tasks: Tasks) -> int:
    """Photos the last process was indexing when it died are free again at once, not when their
    leases run out. Only for the embedded queue, where this process is the only worker."""
    with tasks.runtime.get().transactions() as uow:
        return uow.claims.release()


def requeue_unfinished(tasks: Tasks) -> list[str]:
    """Index runs that were queued or running when the last process died start again (resumed).

    A queue on SQLite loses a job that was being run when its process was killed; the task's row
    in the database still says so, and the photos it did not finish are still pending.
    """
    rt = tasks.runtime.get()
    with rt.transactions() as uow:
        lost = {task.event_id for task in uow.tasks.unfinished()}
        fresh = [ingest.create_task(uow, str(event_id)).task_id for event_id in sorted(lost)]
    for task_id in fresh:
        log.info("resuming an interrupted indexing run", extra={"fields": {"task_id": task_id}})
        tasks.index_event(task_id)
    return fresh
