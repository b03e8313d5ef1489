"""Drive push notifications: one changes channel per connected account that has syncing events.

Drive POSTs to our webhook when something changes in the account; the webhook makes the
account's auto-syncing events due at once. Polling stays on, so a lost notification or a
channel that could not be opened only delays a sync to its interval. Channels are reconciled
by one idempotent pass (`maintain_channels`), run every minute by the worker and after an
enable/disable: open where wanted, renew before they expire, stop where no longer wanted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import AccountStatus
from eventface.errors import AuthenticationError, NotFoundError, SourceUnavailableError
from eventface.services.google_accounts import GoogleConnections, stop_channel
from eventface.sources import drive_channels

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/drive/notifications"
CHANNEL_TTL = timedelta(days=1)
RENEW_BEFORE = timedelta(hours=2)  # a day-long channel is replaced when two hours are left
# Drive's first message on a new channel says only that the channel works
SYNC_STATE = "sync"


@dataclass(frozen=True)
class ChannelReport:
    opened: int = 0
    stopped: int = 0
    failed: int = 0


def webhook_address(public_base_url: str | None) -> str | None:
    """Where Drive should POST, or None: Drive only calls https addresses it can reach."""
    if not public_base_url or not public_base_url.startswith("https://"):
        return None
    return public_base_url.rstrip("/") + WEBHOOK_PATH


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def maintain_channels(
    connections: GoogleConnections, public_base_url: str | None, now: datetime
) -> ChannelReport:
    """Opens, renews and stops channels so each connected account with auto-syncing Drive events
    has exactly one live channel, and no other account has any."""
    address = webhook_address(public_base_url)
    with connections.transactions() as uow:
        plans = [
            (
                account.id,
                address is not None
                and account.status is AccountStatus.CONNECTED
                and bool(uow.events.of_google_account(account.id, auto_sync_only=True)),
                uow.google_accounts.channel(account.id),
            )
            for account in uow.google_accounts.all()
        ]
    opened = stopped = failed = 0
    for account_id, wanted, channel in plans:
        if not wanted:
            if channel is not None:
                stop_channel(connections, account_id)
                stopped += 1
            continue
        if channel is not None and channel.expires_at - now > RENEW_BEFORE:
            continue
        assert address is not None
        try:
            _open(connections, account_id, address)
            opened += 1
        except SourceUnavailableError as exc:
            failed += 1
            log.warning(
                "could not open a Drive push channel; polling goes on",
                extra={"fields": {"account": account_id, "reason": str(exc)}},
            )
            continue
        if channel is not None:  # the old channel overlaps the new one until stopped: no gap
            _stop_old(connections, account_id, channel.channel_id, channel.resource_id)
    return ChannelReport(opened, stopped, failed)


def notified_events(uow: UnitOfWork, channel_id: str, token: str, state: str, now: datetime) -> list[int]:
    """Checks a notification against the stored channel and makes the account's auto-syncing
    events due now; returns their ids (none for Drive's "sync" hello).

    Raises NotFoundError for a channel we do not know and AuthenticationError for a wrong token.
    """
    channel = uow.google_accounts.by_channel(channel_id)
    if channel is None:
        raise NotFoundError("unknown notification channel")
    if not hmac.compare_digest(channel.token_hash, token_hash(token)):
        raise AuthenticationError("wrong channel token")
    if state == SYNC_STATE:
        return []
    event_ids = [e.id for e in uow.events.of_google_account(channel.account_id, auto_sync_only=True)]
    uow.events.sync_now(event_ids, now)
    return event_ids


def _open(connections: GoogleConnections, account_id: int, address: str) -> None:
    token = secrets.token_urlsafe(32)
    with connections.client(account_id) as client:
        channel = drive_channels.open_channel(
            client, address=address, token=token, page_token=client.start_page_token(), ttl=CHANNEL_TTL
        )
    with connections.transactions() as uow:
        uow.google_accounts.set_channel(
            account_id, channel.id, channel.resource_id, token_hash(token), channel.expires_at
        )
    log.info("Drive push channel opened", extra={"fields": {"account": account_id}})


def _stop_old(connections: GoogleConnections, account_id: int, channel_id: str, resource_id: str) -> None:
    try:
        with connections.client(account_id) as client:
            drive_channels.stop_channel(client, channel_id, resource_id)
    except SourceUnavailableError as exc:
        log.warning(
            "could not stop a replaced Drive push channel",
            extra={"fields": {"account": account_id, "reason": str(exc)}},
        )
