"""A Google Drive folder (and its subfolders) as a photo source, through google-api-python-client.

Every Drive call goes through `DriveClient.call`, the one place with retries: googleapiclient's
`execute(num_retries=...)` retries 429, 5xx and 403 rate-limit answers with exponential backoff
and jitter; what is left is mapped onto the project's errors (reconnect needed, file gone,
cursor expired, source unavailable).
"""

from __future__ import annotations

import io
import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload

from eventface.errors import (
    CursorExpiredError,
    InvalidInputError,
    PhotoGoneError,
    ReconnectNeededError,
    SourceUnavailableError,
)
from eventface.sources.base import SourcePhoto

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://www.googleapis.com/drive/v3/"
FOLDER_MIME = "application/vnd.google-apps.folder"
FILE_FIELDS = "id, name, mimeType, md5Checksum, size, parents, trashed, modifiedTime"
NUM_RETRIES = 5
PAGE_SIZE = 1000
DOWNLOAD_CHUNK_BYTES = 8 * 2**20
# Drive's image types, HEIC included; Google Docs editors' files and videos are not photos
IMAGE_MIME_PREFIX = "image/"
SHARED_DRIVES = {"supportsAllDrives": True, "includeItemsFromAllDrives": True}


def drive_service(credentials: Credentials, api_url: str = DEFAULT_API_URL) -> Any:
    """The Drive v3 client; `api_url` may point at any Drive-v3-compatible endpoint (tests, proxies)."""
    return build(
        "drive",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": api_url},
    )


@dataclass(frozen=True)
class DriveFile:
    id: str
    name: str
    mime_type: str
    md5: str | None
    size: int
    parents: tuple[str, ...]
    trashed: bool

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith(IMAGE_MIME_PREFIX)

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> DriveFile:
        return cls(
            id=item["id"],
            name=item.get("name", ""),
            mime_type=item.get("mimeType", ""),
            md5=item.get("md5Checksum"),
            size=int(item.get("size", 0) or 0),
            parents=tuple(item.get("parents", ())),
            trashed=bool(item.get("trashed", False)),
        )


class DriveClient:
    """The few Drive calls eventface makes, each retried and mapped onto the project's errors."""

    def __init__(self, service: Any, num_retries: int = NUM_RETRIES) -> None:
        self.service = service
        self.num_retries = num_retries

    def call(self, request: Any, *, file_id: str | None = None, cursor: bool = False) -> Any:
        try:
            return request.execute(num_retries=self.num_retries)
        except RefreshError as exc:
            raise ReconnectNeededError(
                f"Google access was revoked or expired: reconnect ({exc.args[0]})"
            ) from exc
        except HttpError as exc:
            raise _mapped(exc, file_id=file_id, cursor=cursor) from exc
        except (TransportError, OSError) as exc:
            raise SourceUnavailableError(f"Google Drive cannot be reached: {exc}") from exc

    def close(self) -> None:
        """Closes the client's HTTP connections."""
        self.service.close()

    def get(self, file_id: str) -> DriveFile:
        fields = FILE_FIELDS
        request = self.service.files().get(fileId=file_id, fields=fields, supportsAllDrives=True)
        return DriveFile.from_api(self.call(request, file_id=file_id))

    def children(self, folder_id: str) -> Iterator[DriveFile]:
        page_token: str | None = None
        while True:
            request = self.service.files().list(
                q=f"'{folder_id}' in parents and trashed = false",
                fields=f"nextPageToken, files({FILE_FIELDS})",
                pageSize=PAGE_SIZE,
                pageToken=page_token,
                **SHARED_DRIVES,
            )
            page = self.call(request)
            for item in page.get("files", []):
                yield DriveFile.from_api(item)
            page_token = page.get("nextPageToken")
            if not page_token:
                return

    def download(self, file_id: str) -> bytes:
        out = io.BytesIO()
        request = self.service.files().get_media(fileId=file_id, supportsAllDrives=True)
        downloader = MediaIoBaseDownload(out, request, chunksize=DOWNLOAD_CHUNK_BYTES)
        done = False
        while not done:
            try:
                _, done = downloader.next_chunk(num_retries=self.num_retries)
            except HttpError as exc:
                raise _mapped(exc, file_id=file_id, cursor=False) from exc
            except RefreshError as exc:
                raise ReconnectNeededError("Google access was revoked or expired: reconnect") from exc
        return out.getvalue()


class DriveFolderSource:
    """The images in a Drive folder tree. File ids are Drive ids; names are paths in the tree."""

    def __init__(self, client: DriveClient, folder_id: str) -> None:
        self.client = client
        self.folder_id = folder_id

    def check_folder(self) -> DriveFile:
        """The root folder, if it is a folder this account can read; InvalidInputError otherwise."""
        try:
            root = self.client.get(self.folder_id)
        except PhotoGoneError as exc:
            raise InvalidInputError(
                "this Google Drive folder does not exist or is not shared with the connected account"
            ) from exc
        if not root.is_folder:
            raise InvalidInputError("this Drive link is a file, not a folder")
        if root.trashed:
            raise InvalidInputError("this Google Drive folder is in the trash")
        return root

    def list_photos(self) -> Iterator[SourcePhoto]:
        try:
            self.client.get(self.folder_id)
        except PhotoGoneError as exc:
            raise SourceUnavailableError(
                f"the Drive folder {self.folder_id} is gone or no longer shared"
            ) from exc
        pending: deque[tuple[str, str]] = deque([(self.folder_id, "")])
        seen = {self.folder_id}
        while pending:
            folder, prefix = pending.popleft()
            for item in self.client.children(folder):
                path = f"{prefix}{item.name}"
                if item.is_folder and item.id not in seen:
                    seen.add(item.id)  # a folder shared into two places must not be walked twice
                    pending.append((item.id, f"{path}/"))
                elif item.is_image:
                    yield SourcePhoto(
                        file_id=item.id,
                        name=path,
                        version=item.md5 or f"size-{item.size}",
                        size_bytes=item.size,
                    )

    def read(self, file_id: str) -> bytes:
        return self.client.download(file_id)


def _reason(exc: HttpError) -> str:
    details = exc.error_details
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return str(details[0].get("reason", ""))
    return ""


def _mapped(exc: HttpError, *, file_id: str | None, cursor: bool) -> Exception:
    status = exc.resp.status
    if status == 401:
        return ReconnectNeededError("Google refused the stored access: reconnect the Google account")
    if cursor and status in (400, 404, 410):
        return CursorExpiredError(f"the Drive changes cursor is no longer valid ({status} {_reason(exc)})")
    if status == 404 and file_id is not None:
        return PhotoGoneError(f"Drive file {file_id} is gone or no longer shared")
    return SourceUnavailableError(f"Google Drive answered {status}: {exc.reason}")
