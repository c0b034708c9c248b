"""Accounts: throttling, identical failure for unknown users, rehash, reset, disable."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

import argon2
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core.crypto import KdfParams
from vp_registry.db.accounts import LoginThrottle, User, WebSession
from vp_registry.services.accounts import authentication, passwords, users
from vp_registry.services.errors import AuthenticationFailed, Throttled, ValidationFailed
from vp_registry.services.infrastructure import throttle
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work


@pytest.fixture
def system(db: Session, settings: Settings) -> Work:
    """A unit of work in which the system acts (as a CLI command does) on the test's session."""
    return Work(db, settings, Actor.system())


def test_unknown_user_and_wrong_password_fail_identically(
    system: Work, create_user: Callable[..., User]
) -> None:
    user = create_user("admin")
    with pytest.raises(AuthenticationFailed) as wrong_password:
        authentication.check_password(system, user.email, "not-the-password-at-all", None)
    with pytest.raises(AuthenticationFailed) as unknown:
        authentication.check_password(system, "nobody@example.org", "not-the-password", None)
    assert str(wrong_password.value) == str(unknown.value)


def test_every_login_attempt_verifies_one_argon2id_hash_with_the_configured_parameters(
    system: Work, db: Session, settings: Settings, create_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """The structural half of "the same timing for unknown users" (DESIGN section 3; issue 11,
    item 7): right password, wrong password, unknown and disabled account each verify exactly
    one Argon2id hash made with the configured parameters. The durations themselves are
    measured by ``benchmarks/bench_timing.py``, never asserted in a test."""
    user = create_user("admin")
    disabled = create_user("manager")
    users.set_active(system, db.get(User, disabled.id), False)  # type: ignore[arg-type]
    expected = argon2.Parameters(
        type=argon2.Type.ID, version=19, salt_len=16, hash_len=32,
        time_cost=settings.password_kdf.time_cost, memory_cost=settings.password_kdf.memory_kib,
        parallelism=settings.password_kdf.parallelism)
    verified: list[argon2.Parameters] = []
    real_verify = argon2.PasswordHasher.verify

    def verify(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        verified.append(argon2.extract_parameters(str(hash)))
        return real_verify(self, hash, password)

    passwords.dummy_hash(settings.password_kdf)  # made once per process, before the attempts
    monkeypatch.setattr(argon2.PasswordHasher, "verify", verify)
    attempts = {
        "right": (user.email, user.test_password),  # type: ignore[attr-defined]
        "wrong": (user.email, "not-the-password-at-all"),
        "unknown": ("nobody@example.org", "not-the-password-at-all"),
        "disabled": (disabled.email, disabled.test_password),  # type: ignore[attr-defined]
    }
    for name, (email, password) in attempts.items():
        verified.clear()
        with contextlib.suppress(AuthenticationFailed):
            authentication.check_password(system, email, password, None)
        assert verified == [expected], name


def test_backoff_after_repeated_failures_also_for_unknown_accounts(
    system: Work, settings: Settings
) -> None:
    for _ in range(settings.throttle_free_attempts):
        with pytest.raises(AuthenticationFailed):
            authentication.check_password(system, "nobody@example.org", "wrong-password",
                                          "10.0.0.1")
    with pytest.raises(Throttled):
        authentication.check_password(system, "nobody@example.org", "wrong-password", "10.0.0.1")


def test_client_address_is_throttled_across_accounts(system: Work, settings: Settings) -> None:
    for number in range(settings.throttle_free_attempts):
        with pytest.raises(AuthenticationFailed):
            authentication.check_password(system, f"u{number}@example.org", "wrong", "10.0.0.9")
    with pytest.raises(Throttled):
        authentication.check_password(system, "fresh@example.org", "wrong", "10.0.0.9")


def test_behind_one_address_occasional_typos_of_many_users_never_lock_anyone_out(
    db: Session, settings: Settings
) -> None:
    """Issue 11, item 6a: behind a company NAT every user has the same client address. The
    address's failures count in a sliding window (``THROTTLE_WINDOW_SECONDS``), so a typo now
    and then over a working day locks nobody out; the clock is injected, nothing sleeps."""
    start = datetime(2026, 12, 1, 8, 0)
    nat = "192.0.2.10"
    for minute in range(0, 8 * 60, 7):  # somebody mistypes every seven minutes, all day
        now = start + timedelta(minutes=minute)
        keys = throttle.throttle_keys(f"user{minute % 12}@example.org", nat)
        throttle.ensure_not_locked(db, keys, now)  # nobody is turned away
        assert not throttle.register_failure(db, settings, keys, now)
        throttle.ensure_not_locked(db, keys, now + timedelta(seconds=20))  # the second try
        throttle.clear(db, keys)  # ... is right
    db.commit()


def test_a_burst_from_one_address_is_still_throttled_and_forgotten_a_window_later(
    db: Session, settings: Settings
) -> None:
    start = datetime(2026, 12, 1, 8, 0)
    attacker = "203.0.113.9"
    free = settings.throttle_free_attempts
    for number in range(free):
        now = start + timedelta(seconds=10 * number)
        keys = throttle.throttle_keys(f"target{number}@example.org", attacker)
        throttle.ensure_not_locked(db, keys, now)
        locked = throttle.register_failure(db, settings, keys, now)
    assert locked  # the last of the burst started the lock-out
    fresh = throttle.throttle_keys("someone-else@example.org", attacker)
    with pytest.raises(Throttled):
        throttle.ensure_not_locked(db, fresh, start + timedelta(minutes=1))
    later = start + timedelta(seconds=settings.throttle_window_seconds + 60)
    throttle.ensure_not_locked(db, fresh, later)
    assert not throttle.register_failure(db, settings, fresh, later)  # the count starts afresh
    assert db.scalar(select(func.count()).select_from(LoginThrottle).where(
        LoginThrottle.last_failure_at < later - timedelta(
            seconds=settings.throttle_window_seconds))) == free  # only the accounts' counters


def test_an_accounts_failures_add_up_until_it_logs_in_however_slowly(
    db: Session, settings: Settings
) -> None:
    """The per-account lock stays: the account's failures are not forgotten with time (only
    a successful login clears them), so guessing one password slowly gains nothing."""
    start = datetime(2026, 12, 1, 8, 0)
    for number in range(settings.throttle_free_attempts):
        now = start + timedelta(hours=2 * number)
        keys = throttle.throttle_keys("marieke@example.org", f"198.51.100.{number}")
        throttle.ensure_not_locked(db, keys, now)
        locked = throttle.register_failure(db, settings, keys, now)
    assert locked
    with pytest.raises(Throttled):
        throttle.ensure_not_locked(db, throttle.throttle_keys("marieke@example.org", None),
                                   now + timedelta(seconds=1))


def test_disabled_account_cannot_log_in(
    system: Work, db: Session, create_user: Callable[..., User]
) -> None:
    user = create_user("manager")
    users.set_active(system, db.get(User, user.id), False)  # type: ignore[arg-type]
    with pytest.raises(AuthenticationFailed):
        authentication.check_password(system, user.email,
                                      user.test_password, None)  # type: ignore[attr-defined]


def test_login_rehashes_when_parameters_rise(
    db: Session, settings: Settings, create_user: Callable[..., User]
) -> None:
    user = create_user("admin")
    stronger = settings.with_overrides(password_kdf=KdfParams(time_cost=2, memory_kib=16,
                                                                parallelism=1))
    found = authentication.check_password(Work(db, stronger, Actor.system()),
                                          user.email, user.test_password, None)  # type: ignore[attr-defined]
    assert not passwords.needs_rehash(found.password_hash, stronger.password_kdf)


def test_reset_forces_new_password_and_enrolment_and_ends_sessions(
    system: Work, db: Session, create_user: Callable[..., User]
) -> None:
    user = db.get(User, create_user("counsellor").id)
    assert user is not None
    db.add(WebSession(token_hash="a" * 64, user_id=user.id))
    db.flush()
    users.reset_password(system, user, "Tijdelijk-wachtwoord-2026")
    assert user.must_change_password and not user.totp_enrolled
    count = db.execute(select(func.count()).select_from(WebSession)
                       .where(WebSession.user_id == user.id)).scalar_one()
    assert count == 0


def test_last_admin_cannot_be_disabled(
    system: Work, db: Session, create_user: Callable[..., User]
) -> None:
    admin = db.get(User, create_user("admin").id)
    with pytest.raises(ValidationFailed):
        users.set_active(system, admin, False)  # type: ignore[arg-type]


def test_duplicate_email_is_refused(system: Work, create_user: Callable[..., User]) -> None:
    user = create_user("admin")
    with pytest.raises(ValidationFailed) as error:
        users.create_user(system, email=user.email.upper(),
                             display_name="Twin", role="manager",
                             password="Nog-een-goed-wachtwoord-1")
    assert error.value.field == "email"


def test_totp_secret_is_stored_encrypted(
    db: Session, settings: Settings, create_user: Callable[..., User]
) -> None:
    user = create_user("admin")
    stored = db.get(User, user.id)
    assert stored is not None and stored.totp_secret_encrypted is not None
    assert user.test_totp_secret.encode() not in stored.totp_secret_encrypted  # type: ignore[attr-defined]
    assert authentication.totp_secret(settings, stored) == user.test_totp_secret  # type: ignore[attr-defined]
