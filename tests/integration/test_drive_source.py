"""The Drive folder source against a fake Drive over HTTP, driven by the real google-api-python-client."""

from __future__ import annotations

from contextlib import closing

import pytest
from google.oauth2.credentials import Credentials

from eventface.errors import InvalidInputError, PhotoGoneError, ReconnectNeededError, SourceUnavailableError
from eventface.sources.drive import DriveClient, DriveFolderSource, drive_service
from tests.fakes.drive import FakeDrive
from tests.fakes.photos import jpeg_with_squares
from tests.harness.drive import drive_client


def client_for(drive: FakeDrive, token: str = "test-token") -> DriveClient:
    return drive_client(drive, Credentials(token=token))  # type: ignore[no-untyped-call]


def photo(colour: str) -> bytes:
    return jpeg_with_squares([(colour, (10, 10), 40)])


def test_a_nested_folder_lists_every_image_with_its_path_and_md5(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    ceremony = drive.add_folder("Ceremony", parent=event)
    party = drive.add_folder("Party", parent=ceremony)
    first = drive.add_photo(event, "a.jpg", photo("red"))
    drive.add_photo(ceremony, "b.heic", b"heic bytes", mime="image/heic")
    drive.add_photo(party, "c.png", photo("blue"), mime="image/png")
    drive.add_file(event, "notes.txt", b"not a photo", "text/plain")
    drive.add_file(event, "clip.mp4", b"video", "video/mp4")
    trashed = drive.add_photo(event, "old.jpg", photo("green"))
    drive.trash(trashed)
    for n in range(7):  # more than one page when the page size is small
        drive.add_photo(party, f"p{n}.jpg", photo("red"))

    listed = {p.name: p for p in DriveFolderSource(client_for(drive), event).list_photos()}

    assert set(listed) == {
        "a.jpg",
        "Ceremony/b.heic",
        "Ceremony/Party/c.png",
        *(f"Ceremony/Party/p{n}.jpg" for n in range(7)),
    }
    assert listed["a.jpg"].file_id == first
    assert listed["a.jpg"].version == drive.md5(first)
    assert listed["a.jpg"].size_bytes == len(photo("red"))


def test_read_downloads_the_exact_bytes_and_a_gone_file_is_photo_gone(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    data = photo("red") * 50
    file_id = drive.add_photo(event, "big.jpg", data)
    source = DriveFolderSource(client_for(drive), event)

    assert source.read(file_id) == data
    drive.delete(file_id)
    with pytest.raises(PhotoGoneError):
        source.read(file_id)


def test_rate_limits_and_server_errors_are_retried(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    drive.add_photo(event, "a.jpg", photo("red"))
    drive.fail_next(429)
    drive.fail_next(500)
    drive.fail_next(403, reason="userRateLimitExceeded")

    assert [p.name for p in DriveFolderSource(client_for(drive), event).list_photos()] == ["a.jpg"]


def test_a_revoked_grant_means_reconnect(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    drive.revoke()
    with pytest.raises(ReconnectNeededError):
        list(DriveFolderSource(client_for(drive), event).list_photos())


def test_a_folder_that_is_gone_makes_the_source_unavailable_not_empty(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    drive.add_photo(event, "a.jpg", photo("red"))
    drive.delete(event)
    with pytest.raises(SourceUnavailableError):
        list(DriveFolderSource(client_for(drive), event).list_photos())


def test_checking_a_link_refuses_files_missing_and_trashed_folders(drive: FakeDrive) -> None:
    event = drive.add_folder("Wedding")
    a_file = drive.add_photo(event, "a.jpg", photo("red"))
    binned = drive.add_folder("Old")
    drive.trash(binned)
    client = client_for(drive)

    assert DriveFolderSource(client, event).check_folder().name == "Wedding"
    with pytest.raises(InvalidInputError, match="file, not a folder"):
        DriveFolderSource(client, a_file).check_folder()
    with pytest.raises(InvalidInputError, match="does not exist or is not shared"):
        DriveFolderSource(client, "1MissingFolderId000").check_folder()
    with pytest.raises(InvalidInputError, match="trash"):
        DriveFolderSource(client, binned).check_folder()


def test_a_drive_host_that_does_not_resolve_is_source_unavailable_for_lists_and_downloads() -> None:
    # `.invalid` never resolves (RFC 2606): httplib2 raises its own ServerNotFoundError, which
    # once escaped unmapped and gave a guest a 500
    client = DriveClient(
        drive_service(Credentials(token="t"), "http://drive.invalid/drive/v3/"), num_retries=0
    )
    source = DriveFolderSource(client, "folder-id")

    with closing(client):
        with pytest.raises(SourceUnavailableError, match="cannot be reached"):
            list(source.list_photos())
        with pytest.raises(SourceUnavailableError, match="cannot be reached"):
            source.read("file-id")
