"""Drive push channels against the fake Drive, whose notifications really POST to a local webhook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eventface.errors import SourceUnavailableError
from eventface.sources.drive import DriveClient
from eventface.sources.drive_channels import Channel, open_channel, stop_channel
from tests.fakes.drive import MAX_CHANNEL_SECONDS, FakeDrive
from tests.fakes.webhook import webhook_receiver
from tests.harness.drive import drive_client

HOOK_TOKEN = "channel-secret"


@pytest.fixture
def client(drive: FakeDrive) -> DriveClient:
    return drive_client(drive, drive.credentials())


def open_for(client: DriveClient, drive: FakeDrive, address: str, ttl: timedelta) -> Channel:
    return open_channel(client, address=address, token=HOOK_TOKEN, page_token=drive.page_token, ttl=ttl)


def test_open_channel_registers_the_webhook_with_its_token(drive: FakeDrive, client: DriveClient) -> None:
    before = datetime.now(UTC)
    channel = open_for(client, drive, "https://eventface.example/hooks/drive", timedelta(hours=2))

    [watched] = drive.channels
    assert (watched.id, watched.resource_id) == (channel.id, channel.resource_id)
    assert watched.address == "https://eventface.example/hooks/drive"
    assert watched.token == HOOK_TOKEN
    assert watched.page_token == drive.page_token
    assert channel.expires_at.tzinfo is not None
    assert channel.expires_at == datetime.fromtimestamp(int(watched.expiration) / 1000, UTC)
    assert before + timedelta(hours=2) - timedelta(seconds=1) <= channel.expires_at
    assert channel.expires_at <= datetime.now(UTC) + timedelta(hours=2)
    [request] = [r for r in drive.requests if r.path.endswith("/changes/watch")]
    assert request.query["supportsAllDrives"] == "true"
    assert request.query["includeItemsFromAllDrives"] == "true"


def test_each_channel_has_its_own_id(drive: FakeDrive, client: DriveClient) -> None:
    first = open_for(client, drive, "https://eventface.example/a", timedelta(hours=1))
    second = open_for(client, drive, "https://eventface.example/b", timedelta(hours=1))
    assert first.id != second.id
    assert len(drive.channels) == 2


def test_the_expiration_is_what_drive_granted(drive: FakeDrive, client: DriveClient) -> None:
    channel = open_for(client, drive, "https://eventface.example/hooks/drive", timedelta(days=30))
    longest = datetime.now(UTC) + timedelta(seconds=MAX_CHANNEL_SECONDS)
    assert longest - timedelta(seconds=5) <= channel.expires_at <= longest


def test_a_notification_reaches_the_webhook_with_the_channel_headers(
    drive: FakeDrive, client: DriveClient
) -> None:
    with webhook_receiver() as (address, received):
        channel = open_for(client, drive, address, timedelta(hours=1))
        drive.add_photo(drive.add_folder("Wedding"), "a.jpg", b"jpeg")

        assert drive.notify(channel.id) == 200

    [headers] = received
    assert headers["x-goog-channel-id"] == channel.id
    assert headers["x-goog-channel-token"] == HOOK_TOKEN
    assert headers["x-goog-resource-id"] == channel.resource_id
    assert headers["x-goog-resource-state"] == "change"
    assert headers["x-goog-message-number"] == "1"
    assert "x-goog-channel-expiration" in headers


def test_stop_channel_removes_it_and_stopping_again_is_fine(drive: FakeDrive, client: DriveClient) -> None:
    channel = open_for(client, drive, "https://eventface.example/hooks/drive", timedelta(hours=1))

    stop_channel(client, channel.id, channel.resource_id)

    assert drive.channels == []
    stop_channel(client, channel.id, channel.resource_id)
    stop_channel(client, "never-opened", "no-such-resource")


def test_a_rate_limited_watch_is_retried(drive: FakeDrive, client: DriveClient) -> None:
    drive.fail_next(429)

    channel = open_for(client, drive, "https://eventface.example/hooks/drive", timedelta(hours=1))

    assert [c.id for c in drive.channels] == [channel.id]
    assert len([r for r in drive.requests if r.path.endswith("/changes/watch")]) == 2


def test_a_refused_watch_is_unavailable_not_an_expired_cursor(drive: FakeDrive, client: DriveClient) -> None:
    # watch's 400s include addresses Drive will not call: taking them for a stale cursor would
    # start a full rescan that cannot help
    with pytest.raises(SourceUnavailableError, match="400") as caught:
        open_channel(
            client,
            address="https://eventface.example/h",
            token="t",
            page_token="garbage",
            ttl=timedelta(hours=1),
        )
    assert type(caught.value) is SourceUnavailableError
    assert drive.channels == []


def test_stopping_fails_loudly_when_drive_is_down(drive: FakeDrive, client: DriveClient) -> None:
    channel = open_for(client, drive, "https://eventface.example/hooks/drive", timedelta(hours=1))
    drive.fail_next(503, count=10)
    with pytest.raises(SourceUnavailableError, match="503"):
        stop_channel(client, channel.id, channel.resource_id)
    assert len(drive.channels) == 1
