"""Encryption at rest for stored secrets (OAuth refresh tokens): Fernet, keyed from the server key.

The Fernet key is derived from the server's secret key (settings or `data/secret.key`) with
HKDF under its own label, so the key that signs session cookies never encrypts anything itself.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from eventface.errors import SecretBoxError

_LABEL = b"eventface stored credentials v1"


class SecretBox:
    def __init__(self, server_key: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(
            server_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, plaintext: bytes) -> str:
        return self._fernet.encrypt(plaintext).decode("ascii")

    def open(self, sealed: str) -> bytes:
        try:
            return self._fernet.decrypt(sealed.encode("ascii"))
        except (InvalidToken, ValueError) as exc:
            raise SecretBoxError(
                "a stored credential cannot be decrypted (was the secret key changed?): reconnect the account"
            ) from exc
