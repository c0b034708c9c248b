"""Invitation codes (issue 16; services/pulse/codes.py): the format, what counts as the same
code, and the keyed hash that is all the database keeps."""

from __future__ import annotations

import math

import pytest

from vp_registry.config import Settings
from vp_registry.services.pulse import codes


def settings(secret: str = "s" * 48) -> Settings:
    return Settings(environment="development", secret_key=secret, audit_key="a" * 48)


def test_a_code_has_sixty_bits_without_look_alike_letters() -> None:
    assert len(set(codes.ALPHABET)) == 32 and not set("IO01") & set(codes.ALPHABET)
    assert codes.CODE_LENGTH * math.log2(len(codes.ALPHABET)) == 60
    made = {codes.new_code() for _ in range(500)}
    assert len(made) == 500 and all(codes.canonical(c) == c for c in made)
    assert codes.shown("ABCDEFGHJKMN") == "ABCD-EFGH-JKMN"


@pytest.mark.parametrize(("typed", "expected"), [
    ("abcd-efgh-jkmn", "ABCDEFGHJKMN"),
    (" ABCD EFGH JKMN ", "ABCDEFGHJKMN"),
    ("ABCD-EFGH-JKM", None),  # too short
    ("ABCD-EFGH-JKMNP", None),  # too long
    ("ABCD-EFGH-JKM0", None),  # 0 is not in the alphabet
    ("ABCD-EFGH-JKMÖ", None),
    ("", None),
    (None, None),
])
def test_what_counts_as_a_code(typed: str | None, expected: str | None) -> None:
    assert codes.canonical(typed) == expected


def test_the_stored_hash_depends_on_the_server_key_and_the_round() -> None:
    one = codes.digest(settings(), 1, "ABCDEFGHJKMN")
    assert len(one) == 64 and "ABCDEFGHJKMN" not in one
    assert one == codes.digest(settings(), 1, "ABCDEFGHJKMN")
    assert one != codes.digest(settings(), 2, "ABCDEFGHJKMN")
    assert one != codes.digest(settings("t" * 48), 1, "ABCDEFGHJKMN")
    assert one != codes.digest(settings(), 1, "ABCDEFGHJKMP")
