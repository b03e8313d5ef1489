"""The server's secret key: from settings, else a random key kept in the data dir (mode 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from eventface.settings import Settings

KEY_FILE = "secret.key"


def secret_key(settings: Settings) -> str:
    """`EVENTFACE_SECRET_KEY`, or the data dir's key file, created on first use."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.data_dir / KEY_FILE
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once agree on the first key written
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48))
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key; delete it to make a new one")
    return key
