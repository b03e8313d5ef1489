"""Options every command shares, and building the runtime from them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from eventface.errors import EventfaceError
from eventface.runtime import Runtime, build_runtime
from eventface.secret_key import WeakKeyError
from eventface.settings import Settings

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Where eventface keeps its database [env: EVENTFACE_DATA_DIR; default ./data]"
    ),
]

err = Console(stderr=True, soft_wrap=True)


def settings_for(data_dir: Path | None) -> Settings:
    """The settings, or a one-line message per wrong setting and exit code 2."""
    try:
        return Settings(data_dir=data_dir) if data_dir else Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(f"invalid settings: {problems}", code=2)


@contextmanager
def runtime(data_dir: Path | None, *, upgrade_db: bool = True) -> Iterator[Runtime]:
    """The runtime for one command; eventface errors become a message and exit code 1."""
    rt = None
    try:
        rt = build_runtime(settings_for(data_dir), upgrade_db=upgrade_db)
        yield rt
    except (EventfaceError, WeakKeyError) as exc:
        fail(str(exc))
    finally:
        if rt is not None:
            rt.close()


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.stdout.flush()
    raise typer.Exit(code)
