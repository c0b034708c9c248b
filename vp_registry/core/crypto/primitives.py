"""What every part of the package shares: sizes, format bytes, key purposes, the errors, and
the checks that keep a wrong key length or an ambiguous purpose from passing silently.

Rules that hold throughout the package (docs/design.md I-1, I-2):

* Every failure to decrypt, unwrap or unseal raises :class:`DecryptionError` with one generic
  message, so an error never tells an attacker *why* (wrong key, tampered, moved ciphertext).
* Programming errors (a key of the wrong length, an empty purpose) raise ``ValueError`` /
  ``TypeError``; their messages never contain key material or plaintext.
* Nothing here logs. Nothing here touches Flask or a database.
"""

from __future__ import annotations

import re
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
SALT_BYTES: Final = 16
_TAG_BYTES: Final = 16

# Format bytes: the first byte of every blob, so the algorithm can change later without guessing.
_FMT_NULL: Final = 0x00
_FMT_AES_GCM: Final = 0x01
_FMT_SEALED: Final = 0x02

# Wrap purposes used by the app (any name matching _PURPOSE_RE is accepted).
PURPOSE_VAULT_BY_PASSWORD: Final = "vault-by-password"  # noqa: S105 - a label, not a secret
PURPOSE_VAULT_BY_RECOVERY: Final = "vault-by-recovery"
PURPOSE_DATA_KEY: Final = "data-key"
PURPOSE_SESSION_VAULT: Final = "session-vault"
PURPOSE_X25519_PRIVATE: Final = "x25519-private"

# No "/" in a purpose, so "vp-registry/wrap/<purpose>/v<n>" can never mean two things.
_PURPOSE_RE: Final = re.compile(r"[a-z0-9][a-z0-9._-]*")


class CryptoError(Exception):
    """Base class of every crypto failure the caller is expected to handle."""


class DecryptionError(CryptoError):
    """Wrong key, tampered or moved ciphertext: deliberately one message without detail."""

    def __init__(self) -> None:
        super().__init__("decryption failed")


class InvalidRecoveryKey(CryptoError):
    """The typed recovery key is malformed; the message says what to fix, never the key."""


def _check_key(key: bytes, what: str = "key") -> None:
    """Refuse anything but a 256-bit key: AES-128/192 would be accepted silently otherwise."""
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"{what} must be {KEY_BYTES} bytes")


def _check_purpose(purpose: str) -> bytes:
    if not isinstance(purpose, str) or not _PURPOSE_RE.fullmatch(purpose):
        raise ValueError("purpose must match [a-z0-9][a-z0-9._-]*")
    return purpose.encode("ascii")


def _check_version(key_version: int) -> None:
    if isinstance(key_version, bool) or not isinstance(key_version, int) or key_version < 0:
        raise ValueError("key_version must be a non-negative int")


def _hkdf(secret: bytes, info: bytes, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(secret)
