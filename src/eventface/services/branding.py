"""A photographer's brand on their guest pages (issue 14): studio name, logo, contact links.

One brand per photographer, not per event: a studio's name, logo and LINE account are the same
at every event, so they are set once and every event (old and new) shows them. The logo is
re-encoded here (never served as uploaded: no scripts in an SVG, no EXIF, no polyglot files),
shrunk to at most LOGO_MAX_PX and kept in the database with the account, so every web process
serves it and it goes when the account goes. `brand_for_event` is what emails will use.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import Brand, Event
from eventface.errors import InvalidInputError

MAX_NAME_CHARS = 100
MAX_URL_CHARS = 500
MAX_LOGO_BYTES = 2 * 1024 * 1024  # as uploaded
MAX_LOGO_PIXELS = 25_000_000  # checked from the header, before decoding
LOGO_MAX_PX = 512
LOGO_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
_HANDLE = re.compile(r"@?([A-Za-z0-9._-]{1,64})")

BAD_URL = "a link must be a full web address starting with https:// or http://"
BAD_LOGO = "the logo must be a PNG, JPEG, WebP or GIF image"
LOGO_TOO_BIG = "the logo file is too large (at most 2 MB)"
NAME_TOO_LONG = f"the studio name may have at most {MAX_NAME_CHARS} characters"
# every refusal the brand form shows (web/i18n.py translates them)
MESSAGES = (BAD_URL, BAD_LOGO, LOGO_TOO_BIG, NAME_TOO_LONG)


def brand_of(uow: UnitOfWork, owner_id: int) -> Brand:
    return uow.brands.get(owner_id) or Brand(owner_id=owner_id)


def brand_for_event(uow: UnitOfWork, event: Event) -> Brand | None:
    """The brand to show with the event (guest page, emails); None when there is nothing to show."""
    if event.owner_id is None:
        return None
    brand = uow.brands.get(event.owner_id)
    return None if brand is None or brand.empty else brand


def save_brand(uow: UnitOfWork, owner_id: int, name: str, line: str, instagram: str, website: str) -> Brand:
    """Checks and saves the brand's texts; InvalidInputError (code brand_*) says what is wrong."""
    return uow.brands.save(
        owner_id,
        _name(name),
        _url(line, handle_base="https://line.me/R/ti/p/@"),
        _url(instagram, handle_base="https://www.instagram.com/"),
        _url(website),
    )


def save_logo(uow: UnitOfWork, owner_id: int, data: bytes) -> str:
    """Re-encodes the uploaded logo as a small PNG and keeps it; returns its version."""
    png = logo_png(data)
    version = hashlib.sha256(png).hexdigest()[:12]
    uow.brands.set_logo(owner_id, png, version)
    return version


def remove_logo(uow: UnitOfWork, owner_id: int) -> None:
    uow.brands.set_logo(owner_id, None, None)


def logo_png(data: bytes) -> bytes:
    """The logo as eventface's own PNG, at most LOGO_MAX_PX on its longer side."""
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInputError(LOGO_TOO_BIG, code="brand_logo_too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as image:
                if image.width * image.height > MAX_LOGO_PIXELS:
                    raise InvalidInputError(LOGO_TOO_BIG, code="brand_logo_too_large")
                image.seek(0)  # an animated GIF: its first frame
                image.thumbnail((LOGO_MAX_PX, LOGO_MAX_PX))
                pixels = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, Warning) as exc:
        raise InvalidInputError(BAD_LOGO, code="brand_logo_unreadable") from exc
    out = io.BytesIO()
    pixels.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _name(name: str) -> str:
    # one line on the page: line breaks, tabs and other control characters go
    name = " ".join("".join(c if unicodedata.category(c) != "Cc" else " " for c in name).split())
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInputError(NAME_TOO_LONG, code="brand_name_too_long")
    return name


def _url(text: str, *, handle_base: str | None = None) -> str | None:
    """A checked http(s) link; for LINE and Instagram a bare `@handle` becomes their link."""
    text = text.strip()
    if not text:
        return None
    if handle_base and "/" not in text and (found := _HANDLE.fullmatch(text)):
        return handle_base + found.group(1)
    if len(text) > MAX_URL_CHARS or any(c.isspace() or unicodedata.category(c) == "Cc" for c in text):
        raise InvalidInputError(BAD_URL, code="brand_bad_url")
    parts = urlsplit(text)
    if (
        parts.scheme.lower() not in {"https", "http"}
        or not parts.hostname
        or parts.username
        or parts.password
    ):
        raise InvalidInputError(BAD_URL, code="brand_bad_url")
    return text
