"""Drive push notifications: a channel on the Changes API that POSTs to our webhook when something changes.

A notification is only a doorbell (it says that something changed, not what): the webhook checks
the channel id and token, then a sync reads changes.list from the saved cursor. Drive ends a
channel at its expiration (a week at most for changes), so callers renew before `expires_at`;
polling stays on as the fallback for notifications that never arrive.
See https://developers.google.com/workspace/drive/api/guides/push
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from googleapiclient.errors import HttpError

from eventface.errors import SourceUnavailableError
from eventface.sources.drive import SHARED_DRIVES, DriveClient


@dataclass(frozen=True)
class Channel:
    id: str
    resource_id: str
    expires_at: datetime  # UTC-aware; what Drive granted, which may be sooner than asked


def open_channel(
    client: DriveClient, *, address: str, token: str, page_token: str, ttl: timedelta
) -> Channel:
    """Watches changes after `page_token`; Drive will POST to `address` (https, on a verified
    domain for real Drive) with `token` in the X-Goog-Channel-Token header."""
    requested = datetime.now(UTC) + ttl
    body = {
        "id": str(uuid.uuid4()),
        "type": "web_hook",
        "address": address,
        "token": token,
        "expiration": str(_to_ms(requested)),
    }
    # not cursor=True: watch also answers 400 for an address Drive will not call, which must not
    # be mistaken for an expired cursor (that would start a full rescan)
    request = client.service.changes().watch(pageToken=page_token, body=body, **SHARED_DRIVES)
    answer = client.call(request)
    expiration = answer.get("expiration")
    return Channel(
        id=str(answer.get("id", body["id"])),
        resource_id=str(answer["resourceId"]),
        expires_at=_from_ms(int(expiration)) if expiration else requested,
    )


def stop_channel(client: DriveClient, channel_id: str, resource_id: str) -> None:
    """Asks Drive to stop notifying; a channel Drive no longer knows (expired, stopped) counts as stopped."""
    request = client.service.channels().stop(body={"id": channel_id, "resourceId": resource_id})
    try:
        client.call(request)
    except SourceUnavailableError as exc:
        cause = exc.__cause__
        if isinstance(cause, HttpError) and cause.resp.status == 404:
            return
        raise


def _to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
