"""`eventface sync EVENT`: one sync pass now, whatever the auto-sync schedule says."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from eventface.cli.options import DataDir, fail, runtime
from eventface.domain.models import SyncTrigger
from eventface.jobs.tasks import sync_event

out = Console(soft_wrap=True)


def sync(
    event: Annotated[str, typer.Argument(help="Event id or slug")],
    data_dir: DataDir = None,
) -> None:
    """Sync an event with its source now: index new and changed photos, remove deleted ones."""
    with runtime(data_dir) as rt:
        with rt.transactions() as uow:
            event_id = uow.events.find(event).id
        outcome = sync_event(rt, event_id, SyncTrigger.MANUAL, when_due=False)
    if outcome.report is None or outcome.status != "synced":
        fail(f"sync {outcome}", code=2)
    s, report = outcome.report.sync, outcome.report
    scope = "full listing" if s.full_rescan else "changes since the last sync"
    out.print(
        f"{s.added} added, {s.changed} changed, {s.removed} removed ({scope}); "
        f"indexed {report.indexed} with {report.faces} faces; {len(report.failed)} failed.",
        highlight=False,
    )
    for name, reason in report.failed:
        out.print(f"  failed: {name}: {reason}", highlight=False)
