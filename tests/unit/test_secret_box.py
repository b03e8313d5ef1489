"""Stored secrets are encrypted with a key derived from the server key, and tampering is detected."""

from __future__ import annotations

import pytest

from eventface.errors import SecretBoxError
from eventface.secret_box import SecretBox

SECRET = b'{"refresh_token": "1//0g-very-secret"}'


def test_a_sealed_secret_opens_with_the_same_key_and_hides_the_plaintext() -> None:
    box = SecretBox("k" * 48)
    sealed = box.seal(SECRET)
    assert b"very-secret" not in sealed.encode()
    assert SecretBox("k" * 48).open(sealed) == SECRET


def test_another_key_or_altered_data_cannot_open_it() -> None:
    sealed = SecretBox("k" * 48).seal(SECRET)
    with pytest.raises(SecretBoxError, match="reconnect"):
        SecretBox("j" * 48).open(sealed)
    altered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(SecretBoxError):
        SecretBox("k" * 48).open(altered)
    with pytest.raises(SecretBoxError):
        SecretBox("k" * 48).open("not a token at all")
