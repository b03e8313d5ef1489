"""`eventface index EVENT`: bring an event's face index up to date with its folder.

Ctrl+C, or SIGTERM (a service manager, `kill`), stops it within a second or so: the workers are
killed, every photo committed so far stays indexed, and the next run carries on (issue 13).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from eventface.cli.options import DataDir, err, fail, runtime
from eventface.errors import SourceError
from eventface.services import events as event_service
from eventface.services import ingest
from eventface.settings import EngineName

out = Console(soft_wrap=True)
INTERRUPTED_EXIT = 128 + signal.SIGINT  # what a shell reports for a command stopped by Ctrl+C


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the run as Ctrl+C does (KeyboardInterrupt), so that it cleans up the same way."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def index(
    event: Annotated[str, typer.Argument(help="Event id or slug")],
    engine: Annotated[
        EngineName | None,
        typer.Option("--engine", help="Switch the event to this face engine and re-index it"),
    ] = None,
    enqueue: Annotated[
        bool,
        typer.Option(
            "--enqueue",
            help="Put the run on the job queue for `eventface worker`s; print its task id on the last line",
        ),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Index new and changed photos, drop deleted ones. Safe to interrupt and run again."""
    with runtime(data_dir) as rt:
        with rt.transactions() as uow:
            if engine is not None:
                requeued = event_service.switch_engine(uow, event, engine.value)
                out.print(f"Switched to the {engine.value} engine: {requeued} photos to index again.")
            task = ingest.create_task(uow, event)
            event_row = uow.events.get(task.event_id)
        if enqueue:
            from eventface.jobs.queue import make_huey  # noqa: PLC0415 - only --enqueue needs the queue
            from eventface.jobs.tasks import register_tasks  # noqa: PLC0415

            register_tasks(make_huey(rt.settings), rt.settings).index_event(task.task_id)
            out.print("Queued; follow it with `eventface tasks show TASK_ID --json`:", highlight=False)
            print(task.task_id)
            return
        progress = Progress(
            TextColumn("[bold]indexing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[faces]} faces, {task.fields[failed]} failed"),
            TimeRemainingColumn(),
            console=err,
        )
        with progress:
            bar = progress.add_task("index", total=None, faces=0, failed=0)

            def on_progress(done: int, total: int, failed: int, faces: int) -> None:
                progress.update(bar, completed=done, total=total, faces=faces, failed=failed)

            try:
                with sigterm_as_interrupt(), rt.source(event_row) as source:
                    report = ingest.run_indexing(
                        rt.transactions,
                        task.task_id,
                        source,
                        rt.analyzer(event_row.engine),
                        rt.engine_info(event_row.engine),
                        on_progress=on_progress,
                        caches=rt.caches,
                    )
            except SourceError as exc:
                fail(str(exc), code=2)
            except KeyboardInterrupt:
                progress.stop()
                done = int(progress.tasks[0].completed)
                err.print(f"Stopped after {done} photos; run it again to index the rest.", highlight=False)
                raise typer.Exit(INTERRUPTED_EXIT) from None
    s = report.sync
    out.print(
        f"{s.added} new, {s.changed} changed, {s.removed} removed, {s.unchanged} unchanged photos; "
        f"indexed {report.indexed} with {report.faces} faces; {len(report.failed)} failed.",
        highlight=False,
    )
    for name, reason in report.failed:
        out.print(f"  failed: {name}: {reason}", highlight=False)
