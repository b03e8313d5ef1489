"""The one exception tree of eventface. Vendor errors are translated into it where they arise.

EventfaceError
├── NotFoundError            an event, photo or task id that does not exist
├── AuthenticationError      wrong email or password, or an unknown API token (never says which)
├── InvalidInputError        a request that can never succeed as given
│   ├── NoFaceError          a selfie in which no face was found
│   └── ScopeNotGrantedError Google sign-in without the Drive permission ticked
├── ImageError               one photo cannot be used; the run goes on with the others
│   ├── ImageDecodeError     not an image, truncated, or an unsupported format
│   └── ImageTooLargeError   more pixels than `max_image_pixels` (a decompression bomb)
├── ModelFileError           a face model file is missing or corrupt: reinstall
└── SourceError              a photo source cannot be read
    ├── SourceUnavailableError   the folder is missing or unreadable: nothing is changed
    └── PhotoGoneError           one file vanished between listing and reading: skip it
"""

from __future__ import annotations


class EventfaceError(Exception):
    """Base of every error eventface raises on purpose."""


class NotFoundError(EventfaceError):
    pass


class AuthenticationError(EventfaceError):
    pass


class InvalidInputError(EventfaceError):
    pass


class NoFaceError(InvalidInputError):
    pass


class ScopeNotGrantedError(InvalidInputError):
    """The photographer unticked Google Drive access on Google's consent screen."""


class ImageError(EventfaceError):
    pass


class ImageDecodeError(ImageError):
    pass


class ImageTooLargeError(ImageError):
    pass


class ModelFileError(EventfaceError):
    pass


class SourceError(EventfaceError):
    pass


class SourceUnavailableError(SourceError):
    pass


class PhotoGoneError(SourceError):
    pass


class ReconnectNeededError(SourceUnavailableError):
    """The photographer's Google grant was revoked or expired: they must connect again."""


class CursorExpiredError(SourceError):
    """A stored Drive changes page token is no longer valid: a full rescan is needed."""


class SecretBoxError(EventfaceError):
    """A stored secret cannot be decrypted: the server key changed, or the data was altered."""
