"""Connected Google accounts: storing their grants sealed, opening Drive clients, disconnecting.

A grant (the OAuth *authorized user* info: refresh token and client) is sealed with the server
key before it reaches the database and opened only here, to build credentials. When Google
refuses a grant, the account is marked "reconnect needed" wherever that happens (a sync, a
guest's download, a channel renewal): its events stop syncing and say why, others go on.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from google.oauth2.credentials import Credentials

from eventface.db.unit_of_work import Transactions, UnitOfWork
from eventface.domain.models import Event, GoogleAccount, SourceKind
from eventface.errors import (
    NotFoundError,
    ReconnectNeededError,
    SecretBoxError,
    SourceUnavailableError,
)
from eventface.secret_box import SecretBox
from eventface.services.accounts import normalize_email
from eventface.sources import drive_channels, google_oauth
from eventface.sources.drive import DriveClient, DriveFolderSource, drive_service

log = logging.getLogger(__name__)

DISCONNECTED = "disconnected by the photographer: connect this Google account again to sync its events"


def save_grant(
    uow: UnitOfWork, box: SecretBox, owner_id: int, email: str, info: Mapping[str, str]
) -> GoogleAccount:
    """Stores (or renews) the photographer's grant for the Google account `email`."""
    sealed = box.seal(json.dumps(dict(info), sort_keys=True).encode())
    return uow.google_accounts.save(owner_id, normalize_email(email), sealed)


def owned_account(uow: UnitOfWork, owner_id: int, account_id: int) -> GoogleAccount:
    """The photographer's connected account; NotFoundError for anyone else's."""
    try:
        account = uow.google_accounts.get(account_id)
    except NotFoundError:
        account = None
    if account is None or account.owner_id != owner_id:
        raise NotFoundError(f"no Google account {account_id}")
    return account


def account_for_event(uow: UnitOfWork, owner_id: int, email: str | None) -> GoogleAccount:
    """The connected account a new Drive event reads with: the only one, or the one named."""
    accounts = uow.google_accounts.of_owner(owner_id)
    if email is not None:
        wanted = normalize_email(email)
        accounts = [a for a in accounts if a.email == wanted]
    if not accounts:
        raise NotFoundError(
            "no Google account is connected"
            + (f" as {email}" if email else "")
            + ": connect one first (the dashboard, or `eventface drive connect`)"
        )
    if len(accounts) > 1:
        names = ", ".join(a.email for a in accounts)
        raise NotFoundError(f"several Google accounts are connected ({names}): say which one")
    return accounts[0]


class GoogleConnections:
    """Opens Drive clients for connected accounts.

    Credentials are kept per account for the life of the process, so an access token is
    refreshed once an hour rather than for every sync or download; a new grant (reconnect)
    replaces them. A client (an HTTP connection pool, not thread-safe) is opened per use.
    """

    def __init__(self, transactions: Transactions, box: SecretBox, api_url: str) -> None:
        self.transactions = transactions
        self.box = box
        self.api_url = api_url
        self._credentials: dict[int, tuple[str, Credentials]] = {}
        self._lock = threading.Lock()

    def grant(self, account_id: int) -> dict[str, str]:
        with self.transactions() as uow:
            sealed = uow.google_accounts.sealed_credentials(account_id)
        return self._open(account_id, sealed)

    @contextmanager
    def client(self, account_id: int) -> Iterator[DriveClient]:
        """A Drive client for the account. Google refusing the grant marks the account for reconnecting."""
        try:
            credentials = self._credentials_for(account_id)
            client = DriveClient(drive_service(credentials, self.api_url))
        except ReconnectNeededError as exc:
            self._refused(account_id, exc)
            raise
        try:
            yield client
        except ReconnectNeededError as exc:
            self._refused(account_id, exc)
            raise
        finally:
            client.close()

    @contextmanager
    def folder(self, event: Event) -> Iterator[DriveFolderSource]:
        if event.source_kind is not SourceKind.GOOGLE_DRIVE:
            raise ValueError(f"event {event.id} is not a Google Drive event")
        if event.google_account_id is None:
            raise ReconnectNeededError("the Google account of this event was disconnected: connect it again")
        with self.client(event.google_account_id) as client:
            yield DriveFolderSource(client, event.source_uri)

    def forget(self, account_id: int) -> None:
        with self._lock:
            self._credentials.pop(account_id, None)

    def _credentials_for(self, account_id: int) -> Credentials:
        with self.transactions() as uow:
            sealed = uow.google_accounts.sealed_credentials(account_id)
        with self._lock:
            cached = self._credentials.get(account_id)
            if cached is not None and cached[0] == sealed:
                return cached[1]
        credentials = google_oauth.credentials_from_info(self._open(account_id, sealed))
        with self._lock:
            self._credentials[account_id] = (sealed, credentials)
        return credentials

    def _open(self, account_id: int, sealed: str) -> dict[str, str]:
        if not sealed:
            raise ReconnectNeededError(DISCONNECTED)
        try:
            info = json.loads(self.box.open(sealed))
        except SecretBoxError as exc:
            raise ReconnectNeededError(str(exc)) from exc
        if not isinstance(info, dict):
            raise ReconnectNeededError(f"the stored grant of Google account {account_id} is unreadable")
        return {str(k): str(v) for k, v in info.items()}

    def _refused(self, account_id: int, exc: ReconnectNeededError) -> None:
        self.forget(account_id)
        with self.transactions() as uow:
            uow.google_accounts.mark_reconnect_needed(account_id, str(exc))
        log.warning("Google refused an account's grant", extra={"fields": {"account": account_id}})


def connect(
    connections: GoogleConnections, owner_id: int, info: Mapping[str, str], email: str | None = None
) -> GoogleAccount:
    """Stores a grant after checking it works: Drive is asked who it belongs to (unless the
    OAuth flow already said, in `email`). A refused grant is a ReconnectNeededError; nothing is saved."""
    if email is None:
        credentials = google_oauth.credentials_from_info(info)
        client = DriveClient(drive_service(credentials, connections.api_url))
        try:
            email = google_oauth.account_email(client)
        finally:
            client.close()
    with connections.transactions() as uow:
        account = save_grant(uow, connections.box, owner_id, email, info)
    connections.forget(account.id)
    log.info("Google account connected", extra={"fields": {"account": account.id, "owner": owner_id}})
    return account


def disconnect(connections: GoogleConnections, owner_id: int, account_id: int) -> tuple[GoogleAccount, bool]:
    """Forgets the account's grant and revokes it at Google; its events wait for a reconnect.

    The stored grant is deleted even when Google cannot be reached to revoke it; the answer says
    whether Google confirmed the revocation (if not, the photographer can remove the access in
    their Google account).
    """
    with connections.transactions() as uow:
        account = owned_account(uow, owner_id, account_id)
    stop_channel(connections, account_id)
    try:
        info = connections.grant(account_id)
    except ReconnectNeededError:
        info = None
    with connections.transactions() as uow:
        uow.google_accounts.forget(account_id, DISCONNECTED)
    connections.forget(account_id)
    if info is None:
        return account, False
    try:
        google_oauth.revoke(info)
    except SourceUnavailableError as exc:
        log.warning(
            "could not revoke a disconnected Google grant",
            extra={"fields": {"account": account_id, "reason": str(exc)}},
        )
        return account, False
    return account, True


def stop_channel(connections: GoogleConnections, account_id: int) -> None:
    """Stops the account's push channel, if one is open. Drive not answering only costs a few
    notifications to a channel we no longer know, which the webhook refuses."""
    with connections.transactions() as uow:
        channel = uow.google_accounts.channel(account_id)
        uow.google_accounts.clear_channel(account_id)
    if channel is None:
        return
    try:
        with connections.client(account_id) as client:
            drive_channels.stop_channel(client, channel.channel_id, channel.resource_id)
    except SourceUnavailableError as exc:
        log.warning(
            "could not stop a Drive push channel",
            extra={"fields": {"account": account_id, "reason": str(exc)}},
        )
