"""`eventface worker`: the background worker alone, for `eventface web --no-worker` setups.

With the embedded queue (SQLite in the data dir) one worker serves one machine; with
`QUEUE_URL=redis://...` any number of workers on any number of machines share the queue.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from huey import Huey
from rich.console import Console

from eventface.cli.options import DataDir, settings_for
from eventface.jobs.queue import make_huey
from eventface.jobs.tasks import Tasks, register_tasks
from eventface.jobs.worker import (
    QUEUE_POLL_MAX_S,
    WORKER_THREADS,
    InProcessConsumer,
    start_worker,
    stop_worker,
)
from eventface.logs import configure_logging
from eventface.processes import die_with_parent
from eventface.settings import Settings
from eventface.web.notify_pages import NotifyMails
from eventface.web.templating import make_templates

log = logging.getLogger(__name__)
out = Console(soft_wrap=True)
STOP_CHILD_S = 10


def worker(
    processes: Annotated[
        int, typer.Option("--processes", min=1, help="Worker processes on this machine")
    ] = 1,
    threads: Annotated[
        int, typer.Option("--threads", min=1, help="Jobs each process runs at once")
    ] = WORKER_THREADS,
    data_dir: DataDir = None,
) -> None:
    """Run indexing, syncs and the auto-sync scheduler until SIGTERM or Ctrl+C."""
    settings = settings_for(data_dir)
    logging.getLogger().handlers.clear()
    configure_logging(settings.data_dir / "logs", settings.log_level)
    stop = _stop_on_signals()
    # the first process also runs the scheduler and resumes runs the last process left unfinished
    children = [_start_child(settings, threads) for _ in range(processes - 1)]
    huey = make_huey(settings)
    tasks = _register(huey, settings)
    consumer = start_worker(huey, tasks, threads)
    out.print(f"eventface worker: {processes} process(es) x {threads} job(s) (Ctrl+C stops it)")
    try:
        stop.wait()
    finally:
        stop_worker(consumer, tasks)
        for child in children:
            child.terminate()
        for child in children:
            child.join(STOP_CHILD_S)
            if child.is_alive():
                child.kill()
        tasks.runtime.close()


def _register(huey: Huey, settings: Settings) -> Tasks:
    # photos analysed in processes of their own even with EVENTFACE_WORKERS=1 (one, then), each
    # running its models on one thread: one core's worth per worker process (`--processes N` for
    # N cores, deploy.md), and the models' memory apart from this process's queue and database
    # libraries (issue 15: 450 MB per indexing process; benchmarks/README.md "Scale-out")
    return register_tasks(huey, settings, digest_mails=NotifyMails(make_templates()), analysis_processes=True)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def _start_child(settings: Settings, threads: int) -> multiprocessing.process.BaseProcess:
    # spawn: a fork would copy this process's threads mid-lock
    spawn = multiprocessing.get_context("spawn")
    child = spawn.Process(target=_serve, args=(settings, threads), daemon=False)
    child.start()
    return child


def _serve(settings: Settings, threads: int) -> None:
    """An extra worker process: jobs only, no scheduler; it dies with the first process."""
    die_with_parent()
    configure_logging(settings.data_dir / "logs", settings.log_level)
    stop = _stop_on_signals()
    huey = make_huey(settings)
    tasks = _register(huey, settings)
    consumer = InProcessConsumer(
        huey, workers=threads, worker_type="thread", periodic=False, max_delay=QUEUE_POLL_MAX_S
    )
    consumer.start()
    try:
        stop.wait()
    finally:
        stop_worker(consumer, tasks)
        tasks.runtime.close()
