"""The sealed box: anonymous X25519 + AES-256-GCM encryption to a vault's public key."""

from __future__ import annotations

import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vp_registry.core.crypto.primitives import (
    _FMT_SEALED,
    _TAG_BYTES,
    NONCE_BYTES,
    DecryptionError,
    _hkdf,
)

_SEAL_HEADER: Final = bytes([_FMT_SEALED])
_X25519_BYTES: Final = 32
_SEAL_OVERHEAD: Final = 1 + _X25519_BYTES + NONCE_BYTES + _TAG_BYTES


def generate_x25519_keypair() -> tuple[bytes, bytes]:
    """(private_raw, public_raw) for the vault; the private key is kept wrapped by the vault key."""
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def _seal_key(shared: bytes, eph_pub: bytes, recipient_pub: bytes) -> bytes:
    return _hkdf(shared, b"vp-registry/seal/v1", salt=eph_pub + recipient_pub)


def seal(public_key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Anonymous encryption to the vault's public key: the server can accept a message without
    being able to read it (docs/design.md I-2). blob = format || eph_pub || nonce || ct+tag."""
    if len(public_key) != _X25519_BYTES:
        raise ValueError("public_key must be 32 bytes")
    recipient = X25519PublicKey.from_public_bytes(public_key)
    ephemeral = X25519PrivateKey.generate()
    eph_pub = ephemeral.public_key().public_bytes_raw()
    key = _seal_key(ephemeral.exchange(recipient), eph_pub, public_key)
    nonce = os.urandom(NONCE_BYTES)
    header = _SEAL_HEADER + eph_pub
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, header + aad)


def unseal(private_key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    if len(private_key) != _X25519_BYTES:
        raise ValueError("private_key must be 32 bytes")
    blob = bytes(blob)
    if len(blob) < _SEAL_OVERHEAD or blob[:1] != _SEAL_HEADER:
        raise DecryptionError()
    eph_pub = blob[1 : 1 + _X25519_BYTES]
    nonce = blob[1 + _X25519_BYTES : 1 + _X25519_BYTES + NONCE_BYTES]
    ct = blob[1 + _X25519_BYTES + NONCE_BYTES :]
    private = X25519PrivateKey.from_private_bytes(private_key)
    try:
        # exchange() raises ValueError for a low-order (all-zero shared secret) point
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_pub))
        key = _seal_key(shared, eph_pub, private.public_key().public_bytes_raw())
        return AESGCM(key).decrypt(nonce, ct, _SEAL_HEADER + eph_pub + aad)
    except (InvalidTag, ValueError):
        raise DecryptionError() from None
