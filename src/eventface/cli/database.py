"""`eventface db ...`: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from eventface.cli.options import DataDir, fail, runtime
from eventface.db import migrate

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
out = Console(soft_wrap=True)


@app.command("upgrade")
def upgrade(data_dir: DataDir = None) -> None:
    """Apply every pending migration."""
    with runtime(data_dir, upgrade_db=False) as rt:
        migrate.upgrade(rt.db)
        out.print(
            f"Database is up to date: {rt.db.url.render_as_string(hide_password=True)}", highlight=False
        )


@app.command("check")
def check(data_dir: DataDir = None) -> None:
    """Fail when the ORM models and the migrations disagree."""
    with runtime(data_dir) as rt:
        diffs = migrate.drift(rt.db)
    if diffs:
        fail("models and migrations differ:\n" + "\n".join(map(str, diffs)))
    out.print("Models and migrations agree.")
