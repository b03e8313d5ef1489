"""`eventface events ...`: create, list and delete events."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from eventface.cli.options import DataDir, fail, runtime
from eventface.services import events as event_service
from eventface.services import sync
from eventface.services.accounts import find_user

app = typer.Typer(help="Create, list and delete events.", no_args_is_help=True)
out = Console(soft_wrap=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The event's name, shown to guests")],
    folder: Annotated[
        str | None,
        typer.Option(
            "--folder", help="Folder on this server holding the event's photos (any but the data dir)"
        ),
    ] = None,
    drive_folder: Annotated[
        str | None,
        typer.Option("--drive-folder", help="Link (or id) of a Google Drive folder; needs --owner"),
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Email of the photographer who owns the event")
    ] = None,
    google_account: Annotated[
        str | None,
        typer.Option("--google-account", help="Which connected Google account reads the folder, if several"),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an event on a photo folder or a Google Drive folder; prints its id on the last line."""
    if (folder is None) == (drive_folder is None):
        fail("give either --folder or --drive-folder")
    with runtime(data_dir) as rt:
        engine = rt.settings.face_engine.value
        if drive_folder is not None:
            if owner is None:
                fail("a Drive event needs --owner: the photographer whose Google account reads it")
            with rt.transactions() as uow:
                owner_id = find_user(uow, owner).id
            event = event_service.create_drive_event(
                rt.google, name, drive_folder, engine, owner_id=owner_id, account_email=google_account
            )
            where = f"Google Drive folder {event.source_uri}"
        else:
            assert folder is not None
            with rt.transactions() as uow:
                policy = event_service.FolderPolicy.anywhere_but_data(rt.settings.data_dir)
                event = event_service.create_event(uow, name, folder, engine, owner, policy=policy)
            where = event.source_uri
    out.print(f"Created event {event.name!r} on {where}", highlight=False)
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


@app.command("show")
def show(
    event: Annotated[str, typer.Argument(help="Event id or slug")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    data_dir: DataDir = None,
) -> None:
    """Show an event: its guest link, counts, indexing and auto-sync state."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        found = uow.events.find(event)
        summary = uow.events.summary(found.id)
        task = uow.tasks.latest(found.id)
        auto_sync = sync.auto_sync_status(uow, str(found.id))
        owner = uow.users.get(found.owner_id) if found.owner_id is not None else None
        base = rt.settings.public_base_url or "http://127.0.0.1:8000"
    e = summary.event
    info = {
        "id": e.id,
        "name": e.name,
        "slug": e.slug,
        "guest_url": f"{base}/e/{e.slug}",
        "date": e.event_date.isoformat() if e.event_date else None,
        "owner": owner.email if owner else None,
        "source": e.source_uri,
        "engine": e.engine,
        "photos": summary.photos,
        "faces": summary.faces,
        "pending": summary.pending,
        "failed": summary.failed,
        "indexing": None
        if task is None
        else {"task_id": task.task_id, "status": task.status.value, "done": task.done, "total": task.total},
        "auto_sync": {
            "enabled": auto_sync.enabled,
            "interval_minutes": auto_sync.interval_minutes,
            "last_sync_at": auto_sync.last_sync_at.isoformat() if auto_sync.last_sync_at else None,
            "last_error": auto_sync.last_error,
        },
        "created_at": e.created_at.isoformat(),
    }
    if as_json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return
    for key, value in info.items():
        out.print(f"{key}: {value}", highlight=False)


@app.command("delete")
def delete(
    event: Annotated[str, typer.Argument(help="Event id or slug")],
    data_dir: DataDir = None,
) -> None:
    """Delete an event with all its face data (the photo files themselves are left alone)."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        deleted = event_service.delete_event(uow, rt.index, event, rt.caches)
    out.print(f"Deleted event {deleted.id} ({deleted.name}) and its face data.", highlight=False)
