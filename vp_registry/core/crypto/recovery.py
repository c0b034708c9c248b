"""The recovery key on paper: Crockford base32 with a checksum, parsed forgivingly."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

from vp_registry.core.crypto.primitives import KEY_BYTES, InvalidRecoveryKey, _check_key

_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_DECODE: Final = {c: i for i, c in enumerate(_CROCKFORD)} | {"O": 0, "I": 1, "L": 1}
_CHECKSUM_BYTES: Final = 3  # 32 + 3 bytes = 280 bits = exactly 56 characters = 14 groups of 4
RECOVERY_KEY_CHARS: Final = (KEY_BYTES + _CHECKSUM_BYTES) * 8 // 5
_IGNORED_IN_RECOVERY_KEY: Final = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def _recovery_checksum(key: bytes) -> bytes:
    return hashlib.sha256(b"vp-registry/recovery-key/" + key).digest()[:_CHECKSUM_BYTES]


def format_recovery_key(key: bytes) -> str:
    """Crockford base32 of key + 24-bit checksum, as 14 groups of 4 - easy to write on paper."""
    _check_key(key)
    n = int.from_bytes(key + _recovery_checksum(key), "big")
    chars = [_CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(RECOVERY_KEY_CHARS))]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, RECOVERY_KEY_CHARS, 4))


def parse_recovery_key(text: str) -> bytes:
    """Tolerant parse: any case, spaces/dashes ignored, O->0 and I/L->1.

    Raises InvalidRecoveryKey on wrong length, an invalid character (by position, never by
    value) or a checksum mismatch (almost always a mistyped character).
    """
    compact = _IGNORED_IN_RECOVERY_KEY.sub("", text).upper()
    if len(compact) != RECOVERY_KEY_CHARS:
        raise InvalidRecoveryKey(
            f"a recovery key has {RECOVERY_KEY_CHARS} characters "
            f"(14 groups of 4), this one has {len(compact)}"
        )
    n = 0
    for i, ch in enumerate(compact):
        value = _CROCKFORD_DECODE.get(ch)
        if value is None:
            raise InvalidRecoveryKey(
                f"character {i % 4 + 1} of group {i // 4 + 1} is not a valid recovery-key character"
            )
        n = (n << 5) | value
    raw = n.to_bytes(KEY_BYTES + _CHECKSUM_BYTES, "big")
    key, checksum = raw[:KEY_BYTES], raw[KEY_BYTES:]
    if not hmac.compare_digest(checksum, _recovery_checksum(key)):
        raise InvalidRecoveryKey("the recovery key contains a typing error (checksum mismatch)")
    return key
