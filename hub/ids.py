"""Global ids: opaque, stable tokens for the natural keys of entities.

An entity's id is its label and key, encrypted with AES-SIV under the hub's id secret.
AES-SIV is deterministic, so the same entity always gets the same id (a graph rebuilt
from the sources keeps its ids), and the id reveals nothing: a phone's id does not
carry the phone number to a user who may only see it masked. Nothing is stored in the
graph for it; the API decrypts an id back to the key it looks up.

The secret is HUB_ID_SECRET, or one generated once in the data directory. Every API
process behind one load balancer must share it.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from hub import keyfile
from hub.errors import ConfigError
from hub.settings import Settings

SECRET_BYTES = 64  # AES-256-SIV


class IdCodec:
    encode: Callable[[str, str], str]  # the id of the `label` entity with this key

    def __init__(self, secret: bytes) -> None:
        if len(secret) != SECRET_BYTES:
            raise ConfigError(f"HUB_ID_SECRET must be {SECRET_BYTES} bytes, base64-encoded")
        self._cipher = AESSIV(secret)
        # An answer names an entity many times (a node and the ends of its edges, the
        # audit event) and busy entities recur across answers: seal each key once.
        self.encode = functools.lru_cache(maxsize=65536)(self._seal)

    def _seal(self, label: str, key: str) -> str:
        sealed = self._cipher.encrypt(key.encode(), [label.encode()])
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()

    def decode(self, label: str, token: str) -> str | None:
        """The key behind `token` if it is an id of `label`, else None."""
        try:
            sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            return self._cipher.decrypt(sealed, [label.encode()]).decode()
        except (InvalidTag, ValueError, binascii.Error):
            return None


def codec(settings: Settings) -> IdCodec:
    if settings.id_secret:
        try:
            return IdCodec(base64.urlsafe_b64decode(settings.id_secret))
        except binascii.Error:
            raise ConfigError("HUB_ID_SECRET is not valid base64") from None
    made = keyfile.made_once(
        settings.data_dir / "id-secret",
        lambda: base64.urlsafe_b64encode(AESSIV.generate_key(SECRET_BYTES * 8)),
    )
    return IdCodec(base64.urlsafe_b64decode(made))
