"""The blind index: earlier cases of the same person can be found without storing the name."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from vp_registry.core.crypto.primitives import KEY_BYTES


def normalise_name(name: str) -> str:
    """Fold a name so trivial variants match: case, accents, spacing, punctuation.

    Unicode compatibility caseless form (NFKD(casefold(NFKD(x)))), combining marks dropped;
    dashes and underscores separate words ("Jan-Willem" == "jan willem"); other punctuation and
    symbols are dropped ("O'Brien" == "obrien", "Vries." == "vries").
    """
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", name).casefold())
    out: list[str] = []
    for ch in folded:
        if unicodedata.combining(ch):
            continue
        if ch.isalnum():
            out.append(ch)
        elif ch.isspace() or unicodedata.category(ch) in ("Pd", "Pc"):
            out.append(" ")
    return " ".join("".join(out).split())


def blind_index(index_key: bytes, name: str) -> str:
    """Keyed hash of a normalised name: lets a counsellor find earlier cases of the same person
    without the name being stored in plaintext or as an unkeyed (dictionary-attackable) hash."""
    if len(index_key) < KEY_BYTES:
        raise ValueError(f"index_key must be at least {KEY_BYTES} bytes")
    normalised = normalise_name(name)
    if not normalised:
        raise ValueError("name is empty after normalisation")
    return hmac.new(index_key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
