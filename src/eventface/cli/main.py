"""The `eventface` command."""

from __future__ import annotations

import logging
import os

import typer
from rich.console import Console

from eventface import __version__
from eventface.cli import database, drive, events, tasks, users
from eventface.cli.doctor import doctor
from eventface.cli.indexing import index
from eventface.cli.options import DataDir, runtime
from eventface.cli.searching import search
from eventface.cli.syncing import sync
from eventface.cli.web import web
from eventface.cli.worker import worker

app = typer.Typer(
    help="eventface: find a guest's photos in an event's photo collection by face.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(events.app, name="events")
app.add_typer(database.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(drive.app, name="drive")
app.add_typer(tasks.app, name="tasks")
app.command("index")(index)
app.command("search")(search)
app.command("sync")(sync)
app.command("web")(web)
app.command("worker")(worker)
app.command("doctor")(doctor)


@app.command("welcome")
def welcome(data_dir: DataDir = None) -> None:
    """What `make run` prints: the database is ready, and how to use eventface."""
    with runtime(data_dir) as rt:
        db = rt.db.url.render_as_string(hide_password=True)
        engine = rt.settings.face_engine.value
    Console(soft_wrap=True).print(
        f"""[bold]eventface {__version__}[/] is ready (database: {db}, face engine: {engine}).

  .venv/bin/eventface events create "Wedding" --folder /path/to/photos   # prints the event id
  .venv/bin/eventface index 1                      # find every face (safe to interrupt and rerun)
  .venv/bin/eventface search 1 selfie.jpg --json   # the photos this guest appears in
  .venv/bin/eventface events list | delete 1

  .venv/bin/eventface web                          # the web app on http://127.0.0.1:8000""",
        highlight=False,
    )


def main() -> None:
    # before anything is written: the data dir, database, logs, keys and thumbnails are the owner's alone
    os.umask(0o077)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
