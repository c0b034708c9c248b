"""Session tokens: random cookie values, their database hash, and keys only the holder derives."""

from __future__ import annotations

import hashlib
import secrets
from typing import Final

from vp_registry.core.crypto.primitives import _check_purpose, _hkdf

_MIN_TOKEN_BYTES: Final = 16


def new_token(nbytes: int = 32) -> str:
    """URL-safe random token for cookies; at least 128 bits."""
    if nbytes < _MIN_TOKEN_BYTES:
        raise ValueError(f"a token needs at least {_MIN_TOKEN_BYTES} random bytes")
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """SHA-256 hex of a token, so the database can look a session up without holding the token
    (a plain hash suffices: tokens are high-entropy, not passwords)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def key_from_token(token: str, purpose: str) -> bytes:
    """Key only the cookie holder can derive, e.g. to wrap the vault key in the session row.

    Domain-separated from derive_subkey and from hash_token (which the database does hold).
    """
    if len(token) < 22:  # token_urlsafe(16)
        raise ValueError("token too short")
    return _hkdf(token.encode("utf-8"), b"vp-registry/token/" + _check_purpose(purpose))
