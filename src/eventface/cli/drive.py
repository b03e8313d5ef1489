"""`eventface drive ...`: connect Google accounts on servers without a browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from eventface.cli.options import DataDir, runtime
from eventface.services import google_accounts
from eventface.services.accounts import find_user
from eventface.sources import google_oauth

app = typer.Typer(help="Connect and disconnect Google accounts for Drive events.", no_args_is_help=True)
out = Console(soft_wrap=True)

Owner = Annotated[str, typer.Argument(help="Email of the photographer (an eventface user)")]


@app.command("connect")
def connect(
    owner: Owner,
    authorized_user_file: Annotated[
        Path,
        typer.Option(
            "--authorized-user-file",
            help="OAuth authorized-user JSON (client_id, client_secret, refresh_token[, token_uri]), "
            "e.g. made on a machine with a browser",
        ),
    ],
    data_dir: DataDir = None,
) -> None:
    """Connect a Google account from an authorized-user file; the grant is checked and stored encrypted."""
    with runtime(data_dir) as rt:
        info = google_oauth.read_authorized_user_file(authorized_user_file)
        with rt.transactions() as uow:
            owner_id = find_user(uow, owner).id
        account = google_accounts.connect(rt.google, owner_id, info)
    out.print(f"Connected Google account {account.email} for {owner}.", highlight=False)
    out.print("The file holds a refresh token: delete it if you no longer need it.", highlight=False)


@app.command("list")
def list_accounts(owner: Owner, data_dir: DataDir = None) -> None:
    """The photographer's connected Google accounts and whether they work."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        accounts = uow.google_accounts.of_owner(find_user(uow, owner).id)
    table = Table("id", "Google account", "status", "error")
    for account in accounts:
        table.add_row(str(account.id), account.email, account.status.value, account.error or "")
    out.print(table)


@app.command("disconnect")
def disconnect(
    owner: Owner,
    google_account: Annotated[str, typer.Argument(help="The Google account's email")],
    data_dir: DataDir = None,
) -> None:
    """Forget a Google account and revoke its grant at Google; its events wait for a reconnect."""
    with runtime(data_dir) as rt:
        with rt.transactions() as uow:
            owner_id = find_user(uow, owner).id
            account = google_accounts.account_for_event(uow, owner_id, google_account)
        _, revoked = google_accounts.disconnect(rt.google, owner_id, account.id)
    if revoked:
        out.print(f"Disconnected {account.email}; Google revoked its grant.", highlight=False)
    else:
        out.print(
            f"Disconnected {account.email} here, but Google could not be reached to revoke the grant: "
            f"remove eventface at {google_oauth.PERMISSIONS_PAGE}",
            highlight=False,
        )
