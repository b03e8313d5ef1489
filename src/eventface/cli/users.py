"""`eventface users ...`: photographer accounts and their API tokens."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from eventface.cli.options import DataDir, err, fail, runtime
from eventface.services import accounts, invites

app = typer.Typer(help="Photographer accounts and API tokens.", no_args_is_help=True)
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", "--stdin", help="Read the password from stdin instead of a prompt")
]
out = Console(soft_wrap=True)


@app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The photographer's email, used to log in")],
    admin: Annotated[bool, typer.Option("--admin", help="An admin (the first account always is)")] = False,
    password_stdin: PasswordStdin = False,
    data_dir: DataDir = None,
) -> None:
    """Create an account (say, a headless server's first admin), whatever EVENTFACE_SIGNUP says."""
    password = _password_from_stdin() if password_stdin else _password_from_prompt()
    with runtime(data_dir) as rt, rt.transactions() as uow:
        user = accounts.create_user(uow, email, password, admin=admin or None, passwords=rt.passwords)
    out.print(f"Created user {user.email} (id {user.id}, {user.role.value})", highlight=False)


@app.command("list")
def list_users(data_dir: DataDir = None) -> None:
    """Every account: email, role, status, created, last sign-in."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        users = accounts.list_users(uow)
    for user in users:  # tab-separated, for people and for cut/awk
        status = "disabled" if user.disabled else "active"
        print(
            f"{user.email}\t{user.role.value}\t{status}\tcreated {_when(user.created_at)}"
            f"\tlast sign-in {_when(user.last_login_at)}"
        )


@app.command("disable")
def disable(email: Annotated[str, typer.Argument()], data_dir: DataDir = None) -> None:
    """Disable an account: it cannot sign in, its sessions end and its API tokens stop working."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        user = accounts.disable_user(uow, accounts.find_user(uow, email).id)
    out.print(f"Disabled {user.email}", highlight=False)


@app.command("enable")
def enable(email: Annotated[str, typer.Argument()], data_dir: DataDir = None) -> None:
    """Enable a disabled account again."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        user = accounts.enable_user(uow, accounts.find_user(uow, email).id)
    out.print(f"Enabled {user.email}", highlight=False)


@app.command("password")
def password(
    email: Annotated[str, typer.Argument()], password_stdin: PasswordStdin = False, data_dir: DataDir = None
) -> None:
    """Set a new password; every session of the account ends."""
    new_password = _password_from_stdin() if password_stdin else _password_from_prompt()
    with runtime(data_dir) as rt, rt.transactions() as uow:
        user = accounts.find_user(uow, email)
        accounts.set_password(uow, user.id, new_password, rt.passwords)
    out.print(f"Changed the password of {user.email}; its sessions have ended", highlight=False)


@app.command("tokens")
def tokens(email: Annotated[str, typer.Argument()], data_dir: DataDir = None) -> None:
    """The account's API tokens: name, prefix, created, last used (never the token itself)."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        found = accounts.list_api_tokens(uow, email)
    for t in found:
        print(f"{t.name}\t{t.prefix}\tcreated {_when(t.created_at)}\tlast used {_when(t.last_used_at)}")


@app.command("revoke-token")
def revoke_token(
    email: Annotated[str, typer.Argument()],
    token_prefix: Annotated[str, typer.Argument(help="The start of the token, as `users tokens` shows it")],
    data_dir: DataDir = None,
) -> None:
    """Revoke one API token, named by its prefix."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        revoked = accounts.revoke_api_token_by_prefix(uow, email, token_prefix)
    out.print(f"Revoked the token {revoked.prefix} ({revoked.name})", highlight=False)


@app.command("invite")
def invite(
    email: Annotated[str, typer.Argument(help="Who may sign up with the link")], data_dir: DataDir = None
) -> None:
    """Create a one-time sign-up link for EMAIL (EVENTFACE_SIGNUP=invite); prints it on the last line."""
    with runtime(data_dir) as rt, rt.transactions() as uow:
        token = invites.create_invite(uow, rt.settings.signup, email, None, datetime.now(UTC))
        base = rt.settings.public_base_url
    if base is None:
        err.print(
            "PUBLIC_BASE_URL is not set: put this server's address in front of the link below.",
            highlight=False,
        )
    days = invites.INVITE_LIFETIME.days
    err.print(f"The link works once, for {email.strip().lower()} only, for {days} days.", highlight=False)
    print(f"{base or ''}{invites.INVITE_PATH}{token}")


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


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _password_from_stdin() -> str:
    # like `docker login --password-stdin`: the whole input, without its trailing newline
    password = sys.stdin.read().rstrip("\r\n")
    if not password:
        fail("no password on stdin")
    return password


def _password_from_prompt() -> str:
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password
