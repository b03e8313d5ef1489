"""The one exception tree of eventface. Vendor errors are translated into it where they arise.

Every class has a stable `code` (what API clients and the pages' translations key on; the
message is for people and may change). web/errors.py maps the tree to HTTP statuses, in one place.

EventfaceError                      code
├── NotFoundError                   not_found            an id or slug that does not exist (or is not yours)
├── AuthenticationError             unauthorized         wrong password, unknown API token (never says which)
├── PermissionDeniedError           forbidden            signed in, but not allowed (not an admin, bad CSRF)
├── InvalidInputError               invalid_input        a request that can never succeed as given
│   ├── ConsentRequiredError        consent_required     a guest search without consent
│   ├── NoFaceError                 no_face              a selfie in which no face was found
│   ├── NoUsableSelfieError         no_usable_selfie     none of a search's selfies could be used
│   ├── PayloadTooLargeError        too_large            an upload over its size limit
│   ├── UnsupportedMediaTypeError   unsupported_media_type  an upload that is not an accepted image type
│   └── ScopeNotGrantedError        scope_not_granted    Google sign-in without the Drive permission ticked
├── RateLimitedError                rate_limited         too many requests from one client or for one account
├── ServerBusyError                 busy                 too much at once: retry after `retry_after_s`
├── ImageError                      image_unusable       one photo cannot be used; the run goes on
│   ├── ImageDecodeError            image_unreadable     not an image, truncated, or an unsupported format
│   └── ImageTooLargeError          image_too_large      more pixels than allowed (a decompression bomb)
├── ModelFileError                  model_file           a face model file is missing or corrupt: reinstall
├── SecretBoxError                  secret_unreadable    a stored secret cannot be decrypted
└── SourceError                     source_error         a photo source cannot be read
    ├── SourceUnavailableError      source_unavailable   the folder or Drive cannot be reached
    │   └── ReconnectNeededError    reconnect_needed     the Google grant was revoked or expired
    ├── PhotoGoneError              photo_gone           a file vanished after listing: skip it
    └── CursorExpiredError          cursor_expired       a Drive cursor is no longer valid: rescan
"""

from __future__ import annotations


class EventfaceError(Exception):
    """Base of every error eventface raises on purpose. A raise site may give a narrower `code`
    than its class's (`InvalidInputError(msg, code="drive_link_is_file")`) for pages to translate."""

    code = "error"

    def __init__(self, *args: object, code: str | None = None) -> None:
        super().__init__(*args)
        if code is not None:
            self.code = code


class NotFoundError(EventfaceError):
    code = "not_found"


class AuthenticationError(EventfaceError):
    code = "unauthorized"


class InvalidInputError(EventfaceError):
    code = "invalid_input"


class NoFaceError(InvalidInputError):
    code = "no_face"


class ScopeNotGrantedError(InvalidInputError):
    """The photographer unticked Google Drive access on Google's consent screen."""

    code = "scope_not_granted"


class ImageError(EventfaceError):
    code = "image_unusable"


class ImageDecodeError(ImageError):
    code = "image_unreadable"


class ImageTooLargeError(ImageError):
    code = "image_too_large"


class ModelFileError(EventfaceError):
    code = "model_file"


class SourceError(EventfaceError):
    code = "source_error"


class SourceUnavailableError(SourceError):
    code = "source_unavailable"


class PhotoGoneError(SourceError):
    code = "photo_gone"


class ReconnectNeededError(SourceUnavailableError):
    """The photographer's Google grant was revoked or expired: they must connect again."""

    code = "reconnect_needed"


class CursorExpiredError(SourceError):
    """A stored Drive changes page token is no longer valid: a full rescan is needed."""

    code = "cursor_expired"


class SecretBoxError(EventfaceError):
    """A stored secret cannot be decrypted: the server key changed, or the data was altered."""

    code = "secret_unreadable"


class PermissionDeniedError(EventfaceError):
    code = "forbidden"


class ConsentRequiredError(InvalidInputError):
    code = "consent_required"


class NoUsableSelfieError(InvalidInputError):
    """None of a search's selfies could be used; `reports` says why for each one."""

    code = "no_usable_selfie"

    def __init__(self, message: str, reports: object = None) -> None:
        super().__init__(message)
        self.reports = reports


class PayloadTooLargeError(InvalidInputError):
    code = "too_large"


class UnsupportedMediaTypeError(InvalidInputError):
    code = "unsupported_media_type"


class _RetryLaterError(EventfaceError):
    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimitedError(_RetryLaterError):
    """Too many requests from one client address, or for one account."""

    code = "rate_limited"


class ServerBusyError(_RetryLaterError):
    """More work at once than the server takes (uploads, searches, password checks): retry soon."""

    code = "busy"


class MailError(EventfaceError):
    """A message could not be sent (the server unreachable, refusing, or not secure enough)."""

    code = "mail_failed"

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent  # retrying cannot help (a refused recipient, a 5xx answer)
