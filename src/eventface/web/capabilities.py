"""Signed, expiring guest links ("capabilities"): a guest reaches a photo, a ZIP of photos or a
face only through a URL the server handed out (issue 10), never by guessing a sequential id.

A token is base64url(expires_at: uint32 | body | mac: 16 bytes). The MAC (HMAC-SHA256 with a key
derived by HKDF, under its own label, from the server key) covers the kind of link, the event id,
the expiry and the body, so a token opens one thing (a photo, a face, a list of photos) in one
event until it expires. The expiry is rounded up to a bucket: the same photo gets the same URL
for a while, so a browser's cache works across searches. Anything wrong with a token (forged,
truncated, another event's or kind's, expired) is one NotFoundError: no oracle.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from eventface.errors import NotFoundError

_LABEL = b"eventface guest capabilities v1"
_MAC_BYTES = 16  # 128 bits: forging one takes 2**128 guesses, each a request
_EXPIRY_BYTES = 4  # seconds since the epoch, unsigned: good until 2106
BUCKET_S = 3600.0
MAX_TOKEN_CHARS = 12_000  # a ZIP of 1000 photos with far-apart ids, with room to spare
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")

PHOTO = b"p"  # a photo a search found
BROWSED_PHOTO = b"g"  # a photo of a gallery: it works only while the event is a gallery
FACE = b"f"  # a face in a photo a search found
BROWSED_FACE = b"h"  # a face in a gallery's photo
PHOTOS = b"z"

INVALID_LINK = "this link is not valid or has expired: search again to get a new one"


@dataclass(frozen=True)
class Given:
    """What a link opens: a photo's or a face's id."""

    id: int
    browsed: bool  # handed out by a gallery, not by a search


class Capabilities:
    """Makes and opens the tokens of guest links. `clock` (seconds since the epoch) may be set."""

    def __init__(self, server_key: str, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(
            server_key.encode()
        )
        self.ttl_s = ttl_s
        self.bucket_s = min(BUCKET_S, ttl_s)
        self.clock = clock

    def photo(self, event_id: int, photo_id: int, *, browsed: bool = False) -> str:
        return self._seal(BROWSED_PHOTO if browsed else PHOTO, event_id, _varints([photo_id]))

    def open_photo(self, event_id: int, token: str) -> Given:
        kind, body = self._open((PHOTO, BROWSED_PHOTO), event_id, token)
        return Given(_single(body), browsed=kind == BROWSED_PHOTO)

    def face(self, event_id: int, face_id: int, *, browsed: bool = False) -> str:
        return self._seal(BROWSED_FACE if browsed else FACE, event_id, _varints([face_id]))

    def open_face(self, event_id: int, token: str) -> Given:
        kind, body = self._open((FACE, BROWSED_FACE), event_id, token)
        return Given(_single(body), browsed=kind == BROWSED_FACE)

    def photos(self, event_id: int, photo_ids: Iterable[int]) -> str:
        """One token for a set of photos (a ZIP): sorted ids as varint deltas, so it stays short."""
        ids = sorted(set(photo_ids))
        deltas = [b - a for a, b in zip([0, *ids], ids, strict=False)]
        return self._seal(PHOTOS, event_id, _varints(deltas))

    def open_photos(self, event_id: int, token: str) -> list[int]:
        ids, total = [], 0
        for delta in _read_varints(self._open((PHOTOS,), event_id, token)[1]):
            total += delta
            ids.append(total)
        return ids

    def _seal(self, kind: bytes, event_id: int, body: bytes) -> str:
        bucket_start = math.floor(self.clock() / self.bucket_s) * self.bucket_s
        # valid for at least ttl_s, and the same token for everything sealed within one bucket
        expires_at = int(bucket_start + self.bucket_s + self.ttl_s)
        payload = expires_at.to_bytes(_EXPIRY_BYTES, "big") + body
        return _b64(payload + self._mac(kind, event_id, payload))

    def _open(self, kinds: tuple[bytes, ...], event_id: int, token: str) -> tuple[bytes, bytes]:
        """The kind (one of `kinds`) and body of a valid, unexpired token of the event."""
        raw = _unb64(token)
        if raw is None or len(raw) <= _EXPIRY_BYTES + _MAC_BYTES:
            raise NotFoundError(INVALID_LINK)
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        kind = next((k for k in kinds if hmac.compare_digest(mac, self._mac(k, event_id, payload))), None)
        if kind is None or int.from_bytes(payload[:_EXPIRY_BYTES], "big") <= self.clock():
            raise NotFoundError(INVALID_LINK)
        return kind, payload[_EXPIRY_BYTES:]

    def _mac(self, kind: bytes, event_id: int, payload: bytes) -> bytes:
        # fixed-width kind and event id first: no two (kind, event, payload) give the same message
        message = kind + event_id.to_bytes(8, "big") + payload
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(token: str) -> bytes | None:
    if len(token) > MAX_TOKEN_CHARS or not _TOKEN.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    # one spelling per token: unused trailing bits may not make a second URL for the same link
    return raw if _b64(raw) == token else None


def _varints(numbers: Iterable[int]) -> bytes:
    out = bytearray()
    for number in numbers:
        if number < 0:
            raise ValueError("ids are not negative")
        rest = number
        while True:
            low, rest = rest & 0x7F, rest >> 7
            out.append(low | (0x80 if rest else 0))
            if not rest:
                break
    return bytes(out)


def _read_varints(data: bytes) -> Iterator[int]:
    number, shift = 0, 0
    for byte in data:
        number |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            yield number
            number, shift = 0, 0
    if shift:  # only a token this server sealed gets here, so this is a bug, not an attack
        raise ValueError("truncated varint in a signed token")


def _single(body: bytes) -> int:
    numbers = list(_read_varints(body))
    if len(numbers) != 1:
        raise NotFoundError(INVALID_LINK)
    return numbers[0]
