"""Reading a guest's selfies out of a multipart body: in memory only, capped while it streams.

Nothing of a selfie touches the disk (no spooled temporary file) or the logs. Each part is
refused the moment it passes its cap, so a 2 GB upload costs one part's cap of memory, not 2 GB;
a Content-Length over the whole cap is refused before a byte of the body is read. What a file
is comes from its first bytes: the declared content type is the client's word, not a fact.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import HTTPException
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from eventface.errors import PayloadTooLargeError, UnsupportedMediaTypeError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FILE_FIELD = "selfies"
MAX_FIELDS = 8  # parts that are not selfies (consent, and whatever a client adds)
MAX_FIELD_BYTES = 1024
HEADROOM_BYTES = 64 * 1024  # part headers, boundaries and small fields, beyond the selfies
# the first bytes of each accepted type; ISO-BMFF brands of HEIC/HEIF (and AVIF, which libheif reads)
_ISO_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif")


def sniff_image_type(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in _ISO_BRANDS:
        return "image/heic"
    return None


@dataclass(frozen=True)
class UploadLimits:
    max_files: int
    max_file_mb: float

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 2**20)

    @property
    def max_body_bytes(self) -> int:
        return self.max_files * self.max_file_bytes + HEADROOM_BYTES

    def describe_file_cap(self) -> str:
        return f"{self.max_file_mb:g} MB"


@dataclass
class SelfieForm:
    files: list[bytes]  # the selfies, in the order sent; each sniffed as a JPEG, PNG, WebP or HEIC
    fields: dict[str, str]  # the other parts (e.g. consent), first value of each name


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    data: bytearray = field(default_factory=bytearray)


class _FormCollector:
    """python-multipart's callbacks, filling a SelfieForm and enforcing the limits as bytes arrive."""

    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self.form = SelfieForm([], {})
        self.fields_seen = 0
        self._part = _Part()
        self._header = (bytearray(), bytearray())

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._header[0].extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header[1].extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self._part = _Part()

    def _header_end(self) -> None:
        name, value = self._header
        self._part.headers[bytes(name).lower()] = bytes(value)
        self._header = (bytearray(), bytearray())

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._part.headers.get(b"content-disposition", b""))
        self._part.name = options.get(b"name", b"").decode("utf-8", "replace")
        if self._part.name == FILE_FIELD:
            if len(self.form.files) >= self.limits.max_files:
                raise HTTPException(400, f"at most {self.limits.max_files} selfies per search")
        else:
            self.fields_seen += 1
            if self.fields_seen > MAX_FIELDS:
                raise HTTPException(400, f"at most {MAX_FIELDS} form fields besides the selfies")

    def _data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        part.data.extend(data[start:end])
        if part.name == FILE_FIELD and len(part.data) > self.limits.max_file_bytes:
            number = len(self.form.files) + 1
            raise PayloadTooLargeError(f"selfie {number} is larger than {self.limits.describe_file_cap()}")
        if part.name != FILE_FIELD and len(part.data) > MAX_FIELD_BYTES:
            raise HTTPException(400, f"the form field {part.name[:40]!r} is too long")

    def _end(self) -> None:
        part, self._part = self._part, _Part()
        if part.name != FILE_FIELD:
            self.form.fields.setdefault(part.name, part.data.decode("utf-8", "replace"))
            return
        number = len(self.form.files) + 1
        if sniff_image_type(bytes(part.data[:16])) is None:
            raise UnsupportedMediaTypeError(f"selfie {number} is not a JPEG, PNG, HEIC or WebP image")
        self.form.files.append(bytes(part.data))


async def read_selfie_form(
    headers: Mapping[str, str], stream: AsyncIterator[bytes], limits: UploadLimits
) -> SelfieForm:
    """The selfies and fields of a multipart/form-data body, or the error that refuses it.

    Raises HTTPException(400) for a body that is not a well-formed form (or has too many parts),
    PayloadTooLargeError (413) past a cap, UnsupportedMediaTypeError (415) for a selfie whose
    bytes are not an accepted image type.
    """
    boundary = _boundary(headers.get("content-type", ""))
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise PayloadTooLargeError(_too_large_in_all(limits))
    collector = _FormCollector(limits)
    parser = MultipartParser(boundary, collector.callbacks())
    received = 0
    try:
        async for chunk in stream:
            received += len(chunk)
            if received > limits.max_body_bytes:
                raise PayloadTooLargeError(_too_large_in_all(limits))
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise HTTPException(400, f"could not read the upload: {exc}") from exc
    except ClientDisconnect as exc:  # the client left, or was cut off for being too slow
        raise HTTPException(408, "the upload did not arrive in time") from exc
    return collector.form


def _boundary(content_type: str) -> bytes:
    media_type, options = parse_options_header(content_type)
    boundary = options.get(b"boundary", b"")
    if media_type != b"multipart/form-data" or not boundary or len(boundary) > 200:
        raise HTTPException(400, "send the selfies as multipart/form-data")
    return boundary


def _too_large_in_all(limits: UploadLimits) -> str:
    return f"the upload is larger than {limits.max_body_bytes / 2**20:.0f} MB in all"
