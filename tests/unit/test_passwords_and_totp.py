"""Password policy, Argon2id parameters, and TOTP acceptance with replay protection."""

from __future__ import annotations

import pyotp
import pytest
import segno

from vp_registry.core.crypto import FAST_KDF_FOR_TESTS, KdfParams
from vp_registry.services.accounts import passwords, totp
from vp_registry.services.errors import ValidationFailed


def test_common_password_list_has_at_least_10000_entries() -> None:
    assert len(passwords.common_passwords()) >= 10_000


@pytest.mark.parametrize("password", ["short-pw", "x" * 129, "password1234", "qwertyuiop123",
                                      "aaaaaaaaaaaaaaaa", "janssen-geheim-99"])
def test_policy_refuses(password: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        passwords.check_password_policy(password, email="janssen@example.org")
    assert error.value.field == "password"


def test_policy_accepts_a_long_unusual_password() -> None:
    passwords.check_password_policy("Koffie-bij-de-draaibank-7", email="a@example.org")


def test_default_argon2_parameters_meet_the_design() -> None:
    hashed = passwords.hash_password("Koffie-bij-de-draaibank-7", KdfParams())
    assert hashed.startswith("$argon2id$")
    assert "m=65536" in hashed and "t=3" in hashed


def test_rehash_needed_when_parameters_rise() -> None:
    weak = passwords.hash_password("Koffie-bij-de-draaibank-7", FAST_KDF_FOR_TESTS)
    assert passwords.needs_rehash(weak, KdfParams())
    assert not passwords.needs_rehash(weak, FAST_KDF_FOR_TESTS)


def test_unknown_user_verification_spends_a_hash_and_fails() -> None:
    assert passwords.verify_password(None, "anything", FAST_KDF_FOR_TESTS) is False


SECRET = pyotp.random_base32(32)
NOW = 1_800_000_000.0
STEP = int(NOW // 30)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_code_accepted_within_one_step(offset: int) -> None:
    code = pyotp.TOTP(SECRET).at(NOW + offset * 30)
    assert totp.accept(SECRET, code, 0, now=NOW) == STEP + offset


@pytest.mark.parametrize("offset", [-2, 2])
def test_code_refused_outside_tolerance(offset: int) -> None:
    assert totp.accept(SECRET, pyotp.TOTP(SECRET).at(NOW + offset * 30), 0, now=NOW) is None


def test_used_step_is_never_accepted_again() -> None:
    code = pyotp.TOTP(SECRET).at(NOW)
    used = totp.accept(SECRET, code, 0, now=NOW)
    assert used == STEP
    assert totp.accept(SECRET, code, used, now=NOW) is None
    earlier = pyotp.TOTP(SECRET).at(NOW - 30)
    assert totp.accept(SECRET, earlier, used, now=NOW) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert totp.accept(SECRET, code, 0, now=NOW) is None


def test_qr_code_is_inline_svg_without_script() -> None:
    svg = totp.qr_svg(totp.provisioning_uri(SECRET, "vp@example.org", "vp-registry"))
    assert svg.startswith("<svg") and "<script" not in svg


def test_qr_code_scales_with_its_box_and_keeps_the_quiet_zone() -> None:
    """No fixed width or height (CSS sizes it; a fixed size cropped it, issue 14) but a viewBox
    holding the whole symbol and the four-module quiet zone that ISO/IEC 18004 asks for."""
    uri = totp.provisioning_uri(SECRET, "vp@example.org", "vp-registry")
    svg = totp.qr_svg(uri)
    opening = svg[: svg.index(">")]
    assert " width=" not in opening and " height=" not in opening
    modules = segno.make(uri, error="m").symbol_size(scale=1, border=0)[0]
    side = modules + 2 * 4
    assert f'viewBox="0 0 {side} {side}"' in opening
