"""The server's two keys, each from settings or else a random key kept in the data dir (mode 0600).

- The secret key (`EVENTFACE_SECRET_KEY`, `secret.key`) signs session cookies.
- The encryption key (`EVENTFACE_ENCRYPTION_KEY`, `encryption.key`) encrypts stored Google grants.

Rotating one does not touch what the other protects. Installs from before the split encrypted
grants with a key derived from the secret key: when their encryption key file is first made and
sealed grants exist, it starts as a copy of the secret key, so those grants still open.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

from eventface.settings import MIN_KEY_BYTES, Settings

KEY_FILE = "secret.key"
ENCRYPTION_KEY_FILE = "encryption.key"


class WeakKeyError(ValueError):
    """A key file holds a key too short to be safe: refused at start."""


def secret_key(settings: Settings) -> str:
    """`EVENTFACE_SECRET_KEY`, or the data dir's key file, created on first use."""
    return _key(settings.secret_key, settings.data_dir / KEY_FILE, lambda: None)


def encryption_key(settings: Settings, has_sealed_grants: Callable[[], bool]) -> str:
    """`EVENTFACE_ENCRYPTION_KEY`, or the data dir's encryption key file, created on first use.

    `has_sealed_grants` is asked only when the file is about to be made.
    """

    def initial() -> str | None:
        return secret_key(settings) if has_sealed_grants() else None

    return _key(settings.encryption_key, settings.data_dir / ENCRYPTION_KEY_FILE, initial)


def _key(configured: SecretStr | None, path: Path, initial: Callable[[], str | None]) -> str:
    if configured is not None:
        return configured.get_secret_value()  # Settings refused one shorter than MIN_KEY_BYTES
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = initial() or secrets.token_urlsafe(48)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    try:
        # a hard link appears whole and fails if the name exists: two processes starting at once
        # agree on the first key written, and neither ever reads a half-written one
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if len(key.encode()) < MIN_KEY_BYTES:
        raise WeakKeyError(
            f"{path} holds a key of {len(key.encode())} bytes; eventface needs at least {MIN_KEY_BYTES}."
            " Put a longer random key in it (or delete it to have one made; for secret.key that signs"
            " everyone out, for encryption.key connected Google accounts must be connected again)"
        )
    return key
