"""`eventface tasks show TASK`: an indexing run's progress, to drive indexing from a shell."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console

from eventface.cli.options import DataDir, runtime

app = typer.Typer(help="Background indexing runs.", no_args_is_help=True)
out = Console(soft_wrap=True)


@app.command("show")
def show(
    task: Annotated[str, typer.Argument(help="Task id (printed by `eventface index EVENT --enqueue`)")],
    as_json: Annotated[bool, typer.Option("--json", help="The fields of GET /api/task/{task_id}")] = False,
    data_dir: DataDir = None,
) -> None:
    """Progress of an indexing run: status ends in `done` or `failed` (`interrupted` is resumed)."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        progress = uow.tasks.get(task)
    if as_json:
        fields = {**dataclasses.asdict(progress), "percent": progress.percent, "failures": []}
        print(json.dumps(fields, default=_iso))
        return
    out.print(
        f"{progress.task_id}: {progress.status.value}, {progress.done}/{progress.total} photos "
        f"({progress.percent}%), {progress.faces} faces, {progress.failed} failed"
        + (f"; {progress.error}" if progress.error else ""),
        highlight=False,
    )


def _iso(value: object) -> str:
    """Times as the API writes them (ISO 8601)."""
    return value.isoformat() if isinstance(value, datetime) else str(value)
