"""`eventface users ...`: photographer accounts and their API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from eventface.cli.options import DataDir, err, fail, runtime
from eventface.services import accounts

app = typer.Typer(help="Photographer accounts and API tokens.", no_args_is_help=True)
out = Console(soft_wrap=True)


@app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The photographer's email, used to log in")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin instead of a prompt")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a photographer account (for example the first admin of a headless server)."""
    password = _password_from_stdin() if password_stdin else _password_from_prompt()
    with runtime(data_dir) as rt, rt.transactions() as uow:
        user = accounts.create_user(uow, email, password)
    out.print(f"Created user {user.email} (id {user.id})", highlight=False)


@app.command("token")
def token(
    email: Annotated[str, typer.Argument(help="The photographer the token acts for")],
    name: Annotated[str, typer.Option("--name", help="A label to tell tokens apart")] = "cli",
    data_dir: DataDir = None,
) -> None:
    """Create an API token (`Authorization: Bearer TOKEN`); prints it on the last line."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        new_token = accounts.create_api_token(uow, email, name)
    err.print("This token is shown only once; store it now (eventface keeps only its hash).", highlight=False)
    print(new_token)


def _password_from_stdin() -> str:
    # like `docker login --password-stdin`: the whole input, without its trailing newline
    password = sys.stdin.read().rstrip("\r\n")
    if not password:
        fail("no password on stdin")
    return password


def _password_from_prompt() -> str:
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password
