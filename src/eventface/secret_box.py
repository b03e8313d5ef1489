"""Encryption at rest for stored secrets (OAuth refresh tokens): Fernet, keyed from the encryption key.

The Fernet key is derived from the encryption key (`EVENTFACE_ENCRYPTION_KEY` or
`data/encryption.key`, see secret_key.py) with HKDF under its own label. Before the keys were
split the same derivation was applied to the session secret key; secret_key.py carries such
installs over by starting their encryption key as a copy of it.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from eventface.errors import SecretBoxError

_LABEL = b"eventface stored credentials v1"


class SecretBox:
    def __init__(self, encryption_key: str, *, label: bytes = _LABEL) -> None:
        """`label`: another kind of secret (guests' face embeddings) gets a key of its own."""
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
            encryption_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, plaintext: bytes) -> str:
        return self._fernet.encrypt(plaintext).decode("ascii")

    def open(self, sealed: str) -> bytes:
        try:
            return self._fernet.decrypt(sealed.encode("ascii"))
        except (InvalidToken, ValueError) as exc:
            raise SecretBoxError(
                "a stored credential cannot be decrypted (was the encryption key changed?):"
                " reconnect the account"
            ) from exc
