"""A Google Drive folder (and its subfolders) as a photo source, through google-api-python-client.

Every Drive call goes through `DriveClient.call`, the one place with retries: googleapiclient's
`execute(num_retries=...)` retries 429, 5xx and 403 rate-limit answers with exponential backoff
and jitter; what is left is mapped onto the project's errors (reconnect needed, file gone,
cursor expired, source unavailable).

`DriveFolderSource` is also a `ChangeFeed`: its cursor carries Drive's changes page token and the
folder tree as it was known, so a batch of changes is judged without asking Drive about parents.
A change that reshapes known folders (trashed, moved, renamed) makes paths and membership of files
that have no change of their own wrong, so it is answered with a full snapshot instead.
"""

from __future__ import annotations

import io
import json
import logging
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload
from httplib2 import HttpLib2Error

from eventface.errors import (
    CursorExpiredError,
    InvalidInputError,
    PhotoGoneError,
    ReconnectNeededError,
    SourceUnavailableError,
)
from eventface.sources.base import SourcePhoto, SourceUpdate

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
CHANGE_FIELDS = f"nextPageToken, newStartPageToken, changes(fileId, removed, file({FILE_FIELDS}))"
# bumped whenever the cursor's JSON changes shape: an older cursor then means "take a snapshot"
CURSOR_VERSION = 1


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


@dataclass(frozen=True)
class DriveChange:
    file_id: str
    removed: bool  # deleted for good, or no longer visible to this account
    file: DriveFile | None  # the file's metadata now; None when removed


@dataclass(frozen=True)
class ChangeList:
    changes: list[DriveChange]  # oldest first: a file may appear more than once
    new_start_page_token: str  # where the next `changes` call starts


@contextmanager
def vendor_errors(*, file_id: str | None, cursor: bool) -> Iterator[None]:
    """Every Drive call's errors, mapped onto the project's tree here and nowhere else: what the
    client library raises (HTTP answers, refresh failures, transport and DNS failures of httplib2,
    google-auth and the OS) must never reach a guest as a 500."""
    try:
        yield
    except RefreshError as exc:
        reason = exc.args[0] if exc.args else "refresh failed"
        raise ReconnectNeededError(f"Google access was revoked or expired: reconnect ({reason})") from exc
    except HttpError as exc:
        raise _mapped(exc, file_id=file_id, cursor=cursor) from exc
    except (TransportError, HttpLib2Error, OSError) as exc:
        raise SourceUnavailableError(f"Google Drive cannot be reached: {exc}") from exc


class DriveClient:
    """The few Drive calls eventface makes, each retried and mapped onto the project's errors."""

    def __init__(self, service: Any, num_retries: int = NUM_RETRIES) -> None:
        self.service = service
        self.num_retries = num_retries
        self._changes: dict[str, ChangeList] | None = None  # see remember_changes

    def remember_changes(self) -> None:
        """From now on a page token asked again is answered from memory, as it was the first time:
        the events of one account synced in one pass on this client share one changes.list
        (issue 15). For a client that lives one pass: a later pass asks Drive again."""
        self._changes = {}

    def call(self, request: Any, *, file_id: str | None = None, cursor: bool = False) -> Any:
        with vendor_errors(file_id=file_id, cursor=cursor):
            return request.execute(num_retries=self.num_retries)

    def close(self) -> None:
        """Closes the client's HTTP connections."""
        self.service.close()

    def get(self, file_id: str) -> DriveFile:
        fields = FILE_FIELDS
        request = self.service.files().get(fileId=file_id, fields=fields, supportsAllDrives=True)
        return DriveFile.from_api(self.call(request, file_id=file_id))

    def start_page_token(self) -> str:
        """The page token from which `changes` reports what happens from now on."""
        request = self.service.changes().getStartPageToken(supportsAllDrives=True, fields="startPageToken")
        return str(self.call(request)["startPageToken"])

    def changes(self, page_token: str) -> ChangeList:
        """Every change since `page_token`, paged until Drive hands out the next start token.

        A token Drive refuses raises `CursorExpiredError`. Changes that are not about a file (a
        shared drive's own settings) are dropped. A token this client was asked before is answered
        as it was then (`remember_changes`): the changes up to the token it gave, which the next
        pass goes on from.
        """
        if self._changes is None:
            return self._fetch_changes(page_token)
        known = self._changes.get(page_token)
        if known is None:
            known = self._changes[page_token] = self._fetch_changes(page_token)
        return known

    def _fetch_changes(self, page_token: str) -> ChangeList:
        found: list[DriveChange] = []
        token = page_token
        while True:
            request = self.service.changes().list(
                pageToken=token,
                includeRemoved=True,
                pageSize=PAGE_SIZE,
                spaces="drive",
                fields=CHANGE_FIELDS,
                **SHARED_DRIVES,
            )
            page = self.call(request, cursor=True)
            for item in page.get("changes", []):  # a removed file comes without metadata
                removed, file = bool(item.get("removed", False)), item.get("file")
                if item.get("fileId") and (removed or file):
                    drive_file = None if removed else DriveFile.from_api(file)
                    found.append(DriveChange(item["fileId"], removed, drive_file))
            if page.get("newStartPageToken"):
                return ChangeList(found, str(page["newStartPageToken"]))
            token = page.get("nextPageToken")
            if not token:
                raise SourceUnavailableError("Drive answered a changes page without any next token")

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
        with vendor_errors(file_id=file_id, cursor=False):
            while not done:
                _, done = downloader.next_chunk(num_retries=self.num_retries)
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
                "this Google Drive folder does not exist or is not shared with the connected account",
                code="drive_folder_not_found",
            ) from exc
        if not root.is_folder:
            raise InvalidInputError("this Drive link is a file, not a folder", code="drive_link_is_file")
        if root.trashed:
            raise InvalidInputError("this Google Drive folder is in the trash", code="drive_folder_trashed")
        return root

    def list_photos(self) -> Iterator[SourcePhoto]:
        self._check_root_readable()
        yield from self._walk(self.folder_id, {self.folder_id: _Folder(None, "")})

    def snapshot(self) -> SourceUpdate:
        """The whole tree, with a cursor taken before listing so nothing added meanwhile is missed."""
        page_token = self.client.start_page_token()
        self._check_root_readable()
        folders = {self.folder_id: _Folder(None, "")}
        photos = list(self._walk(self.folder_id, folders))
        cursor = _Cursor(self.folder_id, page_token, folders).encode()
        return SourceUpdate(cursor=cursor, photos=photos, complete=True)

    def changes(self, cursor: str) -> SourceUpdate:
        """What changed since `cursor`; a full snapshot when known folders changed shape.

        Folders new to the tree (created, moved in, untrashed) are listed here, since their files
        get no change of their own when the folder moves. When Drive reports a file more than
        once, the last report wins; a listing made here is newer than any report.
        """
        state = _Cursor.decode(cursor, self.folder_id)
        feed = self.client.changes(state.page_token)
        latest = {change.file_id: change for change in feed.changes}
        reshaped = [c.file_id for c in latest.values() if _reshapes(c, state.folders)]
        if reshaped:
            log.info("Drive folders %s changed in the tree: listing it again", reshaped)
            return self.snapshot()
        folders = dict(state.folders)
        walked = self._add_new_folders(list(latest.values()), folders)
        outcome: dict[str, SourcePhoto | None] = {}  # None: the file left the tree
        for change in latest.values():
            if change.file is None:
                outcome[change.file_id] = None
            elif change.file.is_image:
                outcome[change.file_id] = _photo_in(change.file, folders)
        outcome.update(walked)
        return SourceUpdate(
            cursor=_Cursor(self.folder_id, feed.new_start_page_token, folders).encode(),
            photos=[photo for photo in outcome.values() if photo is not None],
            removed=[file_id for file_id, photo in outcome.items() if photo is None],
        )

    def _check_root_readable(self) -> None:
        try:
            root = self.client.get(self.folder_id)
        except PhotoGoneError as exc:
            raise SourceUnavailableError(
                f"the Drive folder {self.folder_id} is gone or no longer shared"
            ) from exc
        if root.trashed:
            # not an empty folder: a trashed event folder is more likely a slip than a wish to
            # remove every photo from guests' results, and restoring it must not cost a re-index
            raise SourceUnavailableError(
                f"the Drive folder {self.folder_id} is in the trash: restore it, or delete the event"
            )

    def _walk(self, top: str, folders: dict[str, _Folder]) -> Iterator[SourcePhoto]:
        """The images under `top` (already in `folders`), breadth first; every subfolder found is
        added to `folders`, which also keeps a folder shared into two places from being walked twice."""
        pending = deque([top])
        while pending:
            folder = pending.popleft()
            prefix = folders[folder].prefix
            for item in self.client.children(folder):
                if item.is_folder and item.id not in folders:
                    folders[item.id] = _Folder(folder, f"{prefix}{item.name}/")
                    pending.append(item.id)
                elif item.is_image:
                    yield _source_photo(item, prefix)

    def _add_new_folders(
        self, changes: list[DriveChange], folders: dict[str, _Folder]
    ) -> dict[str, SourcePhoto]:
        """Adds the folders that entered the tree to `folders`, answering the images under them.

        Repeats until nothing is added, since a new folder's parent may be a new folder reported later.
        """
        walked: dict[str, SourcePhoto] = {}
        added = True
        while added:
            added = False
            for change in changes:
                file = change.file
                if file is None or not file.is_folder or file.trashed or file.id in folders:
                    continue
                parent = next((p for p in file.parents if p in folders), None)
                if parent is not None:
                    folders[file.id] = _Folder(parent, f"{folders[parent].prefix}{file.name}/")
                    walked.update((photo.file_id, photo) for photo in self._walk(file.id, folders))
                    added = True
        return walked

    def read(self, file_id: str) -> bytes:
        return self.client.download(file_id)


class _Folder(NamedTuple):
    parent: str | None  # None for the event's root folder, whose own place in Drive does not matter
    prefix: str  # the folder's path in the tree with a trailing "/"; "" for the root


@dataclass(frozen=True)
class _Cursor:
    """The `ChangeFeed` cursor: {"v": 1, "root": id, "token": page token, "folders": {id: [parent,
    prefix]}}, compact JSON. Anything else (another version, another root) counts as expired."""

    root: str
    page_token: str
    folders: dict[str, _Folder]

    def encode(self) -> str:
        data = {"v": CURSOR_VERSION, "root": self.root, "token": self.page_token, "folders": self.folders}
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, text: str, root: str) -> _Cursor:
        try:
            data = json.loads(text)
            if data["v"] != CURSOR_VERSION or data["root"] != root or root not in data["folders"]:
                raise ValueError("another version or another folder")
            folders = {str(k): _folder_from_json(v) for k, v in data["folders"].items()}
            token = data["token"]
            if not isinstance(token, str) or not token:
                raise ValueError("no page token")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CursorExpiredError("the Drive cursor is not one this version made") from exc
        return cls(root, token, folders)


def _folder_from_json(value: Any) -> _Folder:
    if not isinstance(value, list) or len(value) != 2:
        raise TypeError(f"not a folder entry: {value!r}")
    parent, prefix = value
    if not (parent is None or isinstance(parent, str)) or not isinstance(prefix, str):
        raise TypeError(f"not a folder entry: {value!r}")
    return _Folder(parent, prefix)


def _reshapes(change: DriveChange, folders: dict[str, _Folder]) -> bool:
    """Whether a change to a known folder makes a partial answer wrong: it left the tree, was
    trashed, moved or renamed (its files' paths change without changes of their own)."""
    known = folders.get(change.file_id)
    if known is None:
        return False
    if change.file is None or change.file.trashed:
        return True
    if known.parent is None:
        return False
    parent = folders.get(known.parent)
    if parent is None or known.parent not in change.file.parents:
        return True
    return f"{parent.prefix}{change.file.name}/" != known.prefix


def _photo_in(file: DriveFile, folders: dict[str, _Folder]) -> SourcePhoto | None:
    """The image as a photo of the tree, or None when it is trashed or lives outside the tree."""
    parent = next((p for p in file.parents if p in folders), None)
    if file.trashed or parent is None:
        return None
    return _source_photo(file, folders[parent].prefix)


def _source_photo(file: DriveFile, prefix: str) -> SourcePhoto:
    return SourcePhoto(
        file_id=file.id,
        name=f"{prefix}{file.name}",
        version=file.md5 or f"size-{file.size}",
        size_bytes=file.size,
    )


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
