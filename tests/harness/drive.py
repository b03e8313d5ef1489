"""The fake Drive (tests/fakes/drive.py) as fixtures: the one harness every Drive test uses.

`drive` is a running FakeDrive for one test; a module changes how it is made by overriding
`drive_options` (FakeDrive's keyword arguments), and a module sharing one fake across its tests
(a real server reading it) uses `module_drive`. googleapiclient sleeps rand() * 2**n seconds between
retries; the retries are what the tests check, so the sleeps are recorded (`retry_sleeps`), not
slept. At teardown the fake must not have failed inside (its `errors` are tracebacks it answered
with a 500), and the Drive clients made with `drive_client` are closed.

`authorized_user_info` and `client_secrets` are what eventface stores or reads to reach the fake:
a grant as the OAuth callback saves it, and the OAuth client file from the Cloud console.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import googleapiclient.http
import pytest
from google.oauth2.credentials import Credentials

from eventface.sources.drive import DriveClient, drive_service
from tests.fakes.drive import FakeDrive

DriveOptions = dict[str, Any]

_clients: dict[FakeDrive, list[DriveClient]] = {}


@pytest.fixture
def drive_options() -> DriveOptions:
    """FakeDrive's keyword arguments for `drive`; override in a module for another account or seed."""
    return {}


@pytest.fixture
def retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds googleapiclient would have slept between retries, in order."""
    slept: list[float] = []
    monkeypatch.setattr(googleapiclient.http.time, "sleep", slept.append)
    return slept


@pytest.fixture
def drive(drive_options: DriveOptions, retry_sleeps: list[float]) -> Iterator[FakeDrive]:
    with running_fake(drive_options) as fake:
        yield fake


@pytest.fixture(scope="module")
def module_drive() -> Iterator[FakeDrive]:
    """One fake for a whole module, read by a server process (so no sleeps of this one are patched)."""
    with running_fake({}) as fake:
        yield fake


@contextmanager
def running_fake(options: DriveOptions) -> Iterator[FakeDrive]:
    """A started FakeDrive; afterwards its clients are closed and it must not have failed inside."""
    with FakeDrive(**options) as fake:
        _clients[fake] = []
        try:
            yield fake
        finally:
            for client in _clients.pop(fake):
                client.close()
        assert fake.errors == [], "the fake Drive failed inside:\n" + "\n".join(fake.errors)


def drive_client(drive: FakeDrive, credentials: Credentials | None = None) -> DriveClient:
    """eventface's Drive client on the fake (the static test token by default), closed at teardown."""
    credentials = credentials or drive.credentials(refreshable=False)
    client = DriveClient(drive_service(credentials, drive.api_endpoint))
    _clients[drive].append(client)
    return client


def authorized_user_info(drive: FakeDrive) -> dict[str, str]:
    """The grant the OAuth callback (or `drive connect`) stores for the fake's account."""
    return {
        "client_id": drive.client_id,
        "client_secret": drive.client_secret,
        "refresh_token": drive.refresh_token,
        "token_uri": drive.token_uri,
        "revoke_uri": drive.revoke_uri,
    }


def client_secrets(drive: FakeDrive, redirect_uris: list[str] | None = None) -> dict[str, Any]:
    """The OAuth client file a photographer's server is given (a "web" client), for the fake."""
    client: dict[str, Any] = {
        "client_id": drive.client_id,
        "client_secret": drive.client_secret,
        "auth_uri": drive.auth_uri,
        "token_uri": drive.token_uri,
        "revoke_uri": drive.revoke_uri,
    }
    if redirect_uris is not None:
        client["redirect_uris"] = redirect_uris
    return {"web": client}
