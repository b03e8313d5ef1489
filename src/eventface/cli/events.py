"""`eventface events ...`: create, list and delete events."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from eventface.cli.options import DataDir, runtime
from eventface.services import events as event_service

app = typer.Typer(help="Create, list and delete events.", no_args_is_help=True)
out = Console(soft_wrap=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The event's name, shown to guests")],
    folder: Annotated[Path, typer.Option("--folder", help="Folder holding the event's photos")],
    owner: Annotated[
        str | None, typer.Option("--owner", help="Email of the photographer who owns the event")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an event on a photo folder; prints its id on the last line."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        event = event_service.create_event(uow, name, folder, rt.settings.face_engine.value, owner)
    out.print(f"Created event {event.name!r} on {event.source_uri}", highlight=False)
    out.print(f"Index it with: eventface index {event.id}", highlight=False)
    print(event.id)


@app.command("list")
def list_events(data_dir: DataDir = None) -> None:
    """List events with their photo and face counts."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        summaries = event_service.list_events(uow)
    table = Table("id", "name", "photos", "faces", "pending", "failed", "engine", "folder")
    for s in summaries:
        e = s.event
        table.add_row(
            str(e.id),
            e.name,
            str(s.photos),
            str(s.faces),
            str(s.pending),
            str(s.failed),
            e.engine,
            e.source_uri,
        )
    out.print(table)


@app.command("delete")
def delete(
    event: Annotated[str, typer.Argument(help="Event id or slug")],
    data_dir: DataDir = None,
) -> None:
    """Delete an event with all its face data (the photo files themselves are left alone)."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        deleted = event_service.delete_event(uow, rt.index, event)
    out.print(f"Deleted event {deleted.id} ({deleted.name}) and its face data.", highlight=False)
