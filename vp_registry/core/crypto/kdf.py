"""The password KDF: Argon2id turns a counsellor's password into the key that wraps the vault
key; its cost parameters are stored beside the salt so they can rise later."""

from __future__ import annotations

import json
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Final

from argon2.low_level import Type, hash_secret_raw

from vp_registry.core.crypto.primitives import KEY_BYTES, SALT_BYTES


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters; stored as JSON next to the salt so costs can rise later."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 1

    def __post_init__(self) -> None:
        for value in (self.time_cost, self.memory_kib, self.parallelism):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("KDF parameters must be ints")
        if self.time_cost < 1 or self.parallelism < 1 or self.memory_kib < 8 * self.parallelism:
            raise ValueError("KDF parameters below Argon2 minimums")

    def to_json(self) -> str:
        return json.dumps(
            {
                "alg": "argon2id",
                "time_cost": self.time_cost,
                "memory_kib": self.memory_kib,
                "parallelism": self.parallelism,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, s: str) -> KdfParams:
        """Strict parse: a stored value we did not write is an error, not a default."""
        try:
            data = json.loads(s)
        except (TypeError, ValueError):
            raise ValueError("invalid KDF parameters") from None
        expected = {"alg", "time_cost", "memory_kib", "parallelism"}
        if not isinstance(data, dict) or set(data) != expected or data["alg"] != "argon2id":
            raise ValueError("invalid KDF parameters")
        return cls(
            time_cost=data["time_cost"],
            memory_kib=data["memory_kib"],
            parallelism=data["parallelism"],
        )


FAST_KDF_FOR_TESTS: Final = KdfParams(time_cost=1, memory_kib=8, parallelism=1)
"""Argon2 minimum cost. FOR TESTS ONLY: a key derived with it is trivially brute-forced."""


def new_salt() -> bytes:
    """A fresh 128-bit salt; each counsellor's vault-wrapping key has its own."""
    return secrets.token_bytes(SALT_BYTES)


def derive_key(password: str, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id(password) -> 256-bit key that wraps the vault key for one counsellor.

    The password is NFKC-normalised (NIST SP 800-63B) so the same password typed on another
    keyboard or OS still opens the vault.
    """
    if not password:
        raise ValueError("password must not be empty")
    if len(salt) < SALT_BYTES:
        raise ValueError(f"salt must be at least {SALT_BYTES} bytes")
    return hash_secret_raw(
        secret=unicodedata.normalize("NFKC", password).encode("utf-8"),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )
