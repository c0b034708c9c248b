"""Password policy and Argon2id login hashes."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vp_registry.core.crypto import KdfParams
from vp_registry.core.taxonomy import N_
from vp_registry.services.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = files("vp_registry").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line and not line.startswith("#")
    )


def check_password_policy(password: str, *, email: str = "") -> None:
    """Raise ValidationFailed with a user-facing reason when the password is not acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            N_("The password must be at least %(min)s characters long."),
            field="password", min=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            N_("The password may be at most %(max)s characters long."),
            field="password", max=MAX_PASSWORD_LENGTH,
        )
    lowered = password.lower()
    # "password1234" is "password" with digits added: as guessable as the word itself.
    core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lowered)
    if lowered in common_passwords() or core in common_passwords() or len(set(password)) < 5:
        raise ValidationFailed(
            N_("This password is too common. Choose a less predictable one."), field="password"
        )
    local_part = email.split("@", 1)[0].lower()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        raise ValidationFailed(
            N_("The password may not contain your e-mail address."), field="password"
        )


@lru_cache(maxsize=8)
def password_hasher(params: KdfParams) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


@lru_cache(maxsize=8)
def dummy_hash(params: KdfParams) -> str:
    """A hash to verify against for unknown users, so timing does not reveal who exists."""
    return password_hasher(params).hash("not-a-real-account-password")


def hash_password(password: str, params: KdfParams) -> str:
    return password_hasher(params).hash(password)


def verify_password(password_hash: str | None, password: str, params: KdfParams) -> bool:
    """Check a password; with ``password_hash=None`` spend the same time and return False."""
    hasher = password_hasher(params)
    try:
        hasher.verify(password_hash or dummy_hash(params), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str, params: KdfParams) -> bool:
    return password_hasher(params).check_needs_rehash(password_hash)
