"""Keys from keys: fresh random keys, wrapping one key under another (purpose and version bound
as associated data) and HKDF subkeys of a master key."""

from __future__ import annotations

import secrets

from vp_registry.core.crypto.fields import AesGcmCipher
from vp_registry.core.crypto.primitives import (
    KEY_BYTES,
    DecryptionError,
    _check_key,
    _check_purpose,
    _check_version,
    _hkdf,
)


def random_key() -> bytes:
    """A fresh 256-bit key from the OS CSPRNG (vault keys, data keys, recovery key)."""
    return secrets.token_bytes(KEY_BYTES)


def _wrap_aad(purpose: str, key_version: int) -> bytes:
    p = _check_purpose(purpose)
    _check_version(key_version)
    return b"vp-registry/wrap/" + p + b"/v" + str(key_version).encode("ascii")


def wrap_key(wrapping_key: bytes, key: bytes, *, purpose: str, key_version: int) -> bytes:
    """Encrypt a 256-bit key under another; purpose and version are bound as associated data,
    so a data key can never be unwrapped as, say, the vault key."""
    _check_key(wrapping_key, "wrapping_key")
    _check_key(key)
    return AesGcmCipher().encrypt(wrapping_key, key, _wrap_aad(purpose, key_version))


def unwrap_key(wrapping_key: bytes, wrapped: bytes, *, purpose: str, key_version: int) -> bytes:
    _check_key(wrapping_key, "wrapping_key")
    key = AesGcmCipher().decrypt(wrapping_key, bytes(wrapped), _wrap_aad(purpose, key_version))
    if len(key) != KEY_BYTES:
        raise DecryptionError()
    return key


def derive_subkey(master_key: bytes, purpose: str) -> bytes:
    """HKDF-SHA256 so one secret yields independent keys (blind index, audit HMAC, ...)."""
    if len(master_key) < KEY_BYTES:
        raise ValueError(f"master_key must be at least {KEY_BYTES} bytes")
    return _hkdf(master_key, b"vp-registry/" + _check_purpose(purpose))
