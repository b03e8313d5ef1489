"""Google Drive folder links: every form a photographer may paste, down to the folder id."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from eventface.errors import InvalidInputError

# Drive ids are URL-safe base64-ish; folder ids are 19-44 characters in practice, 10 is a safe floor
_ID = re.compile(r"^[A-Za-z0-9_-]{10,}$")
_FOLDER_PATH = re.compile(r"/folders/([A-Za-z0-9_-]+)")
_DRIVE_HOSTS = frozenset({"drive.google.com", "docs.google.com"})


def folder_id(link: str) -> str:
    """The folder id in `link`: a /drive/folders/ID URL (any /u/N/ account prefix, any query), an
    ?id=ID URL, or a bare id. InvalidInputError with a clear message for anything else."""
    text = link.strip()
    if not text:
        raise InvalidInputError("paste the link of a Google Drive folder", code="drive_link_missing")
    if _ID.match(text):
        return text
    not_drive = InvalidInputError(f"not a Google Drive link: {link.strip()!r}", code="drive_link_wrong")
    try:
        url = urlparse(text if "://" in text else f"https://{text}")
        host = url.hostname
    except ValueError as exc:  # "https://[x": an unclosed IPv6 bracket, a port that is no number
        raise not_drive from exc
    if host not in _DRIVE_HOSTS:
        raise not_drive
    if "/file/d/" in url.path or "/document/d/" in url.path or "/spreadsheets/d/" in url.path:
        raise InvalidInputError(
            "this is the link of a file, not of a folder: open the folder and copy its link",
            code="drive_link_is_file",
        )
    match = _FOLDER_PATH.search(url.path)
    if match and _ID.match(match.group(1)):
        return match.group(1)
    ids = parse_qs(url.query).get("id", [])
    if ids and _ID.match(ids[0]):
        return ids[0]
    raise InvalidInputError(f"no folder in this Google Drive link: {link.strip()!r}", code="drive_link_wrong")
