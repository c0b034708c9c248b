"""The vault: recovery key, counsellor key pairs, grants, password changes and resets (I-2)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.casework import create_vault, grant, unlock
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.crypto import DecryptionError, KdfParams
from vp_registry.db.accounts import User, WebSession
from vp_registry.db.audit import AuditEntry
from vp_registry.db.vault import CounsellorKey, Vault, VaultGrant
from vp_registry.services.accounts import authentication, users
from vp_registry.services.errors import ValidationFailed, VaultLocked
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import grants, key_pairs, store, unlocking
from vp_registry.services.work import Work


@pytest.fixture
def system(db: Session, settings: Settings) -> Work:
    """A unit of work in which the system acts (as a CLI command does) on the test's session."""
    return Work(db, settings, Actor.system())


NEW_PASSWORD = "Een-nieuw-wachtwoord-voor-de-kluis-7"


def _user(session: Session, user: User) -> User:
    fresh = session.get(User, user.id)
    assert fresh is not None
    return fresh


def _actions(session: Session) -> list[str]:
    return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def test_init_creates_the_vault_once_without_a_key(system: Work, app: Flask, db: Session) -> None:
    recovery = store.create_vault(system)
    assert recovery is not None and len(recovery) == crypto.KEY_BYTES
    assert store.create_vault(system) is None  # shown once only
    row = db.get(Vault, 1)
    assert row is not None and row.key_version == 0 and row.recovery_sealed_key is None
    assert unlocking.message_public_key(db) is None
    with pytest.raises(VaultLocked):
        unlocking.unlock_with_recovery(db, crypto.format_recovery_key(recovery))


def test_first_recover_creates_the_key_and_grants_it(
    app: Flask, settings: Settings, db: Session, create_user: Callable[..., User]
) -> None:
    setup = create_vault(app, settings)
    counsellor = create_user("counsellor")
    grant(app, settings, counsellor, setup.recovery_key)
    keys = unlock(db, settings, counsellor)
    assert keys.version == 1
    row = db.get(Vault, 1)
    assert row is not None and row.box_public_key is not None
    # the message key pair works: sealed to the public key, opened with the vault's private key
    blob = crypto.seal(row.box_public_key, b"anonymous message")
    message_key = unlocking.unwrap_message_private_key(db, keys)
    assert crypto.unseal(message_key, blob) == b"anonymous message"
    # the recovery key opens the same vault key
    assert unlocking.unlock_with_recovery(db, setup.recovery_key) == keys.current
    assert {"vault.create", "vault.key_create", "vault.recover"} <= set(_actions(db))
    assert "vault" in repr(keys).lower() and keys.current.hex() not in repr(keys)


def test_a_wrong_or_mistyped_recovery_key_is_refused(
    system: Work, app: Flask, settings: Settings, db: Session, create_user: Callable[..., User]
) -> None:
    create_vault(app, settings)
    counsellor = _user(db, create_user("counsellor"))
    key_pairs.ensure_counsellor_key(system, counsellor, "Correct-horse-battery-staple-42")
    other = crypto.format_recovery_key(crypto.generate_x25519_keypair()[0])
    with pytest.raises(ValidationFailed, match="does not belong"):
        grants.recover_access(system, other, counsellor)
    with pytest.raises(ValidationFailed, match="not valid"):
        grants.recover_access(system, "ABCD-EFGH", counsellor)
    assert db.get(Vault, 1).key_version == 0  # type: ignore[union-attr]


def test_recovery_needs_a_counsellor_who_logged_in_once(
    system: Work, app: Flask, settings: Settings, db: Session, create_user: Callable[..., User]
) -> None:
    setup = create_vault(app, settings)
    counsellor = _user(db, create_user("counsellor"))
    manager = _user(db, create_user("manager"))
    with pytest.raises(ValidationFailed, match="log in once"):
        grants.recover_access(system, setup.recovery_key, counsellor)
    key_pairs.ensure_counsellor_key(system, manager, "Correct-horse-battery-staple-42")
    assert db.get(CounsellorKey, manager.id) is None  # managers never get a key pair
    with pytest.raises(ValidationFailed, match="confidential counsellor"):
        grants.recover_access(system, setup.recovery_key, manager)
    assert db.get(Vault, 1).key_version == 0  # type: ignore[union-attr]


def test_a_colleague_grants_access(
    system: Work, app: Flask, settings: Settings, db: Session, create_user: Callable[..., User]
) -> None:
    setup = create_vault(app, settings)
    first = create_user("counsellor")
    grant(app, settings, first, setup.recovery_key)
    second = create_user("counsellor")
    second_row = _user(db, second)
    assert unlocking.unlock_with_password(system, second_row,
                                          second.test_password) is None  # type: ignore[attr-defined]
    key_pairs.ensure_counsellor_key(system, second_row,
                                    second.test_password)  # type: ignore[attr-defined]
    keys = unlock(db, settings, first)
    grants.grant_access(Work(db, settings, Actor(first.id, "counsellor"), keys=keys), second_row)
    db.commit()
    assert unlock(db, settings, second).current == keys.current
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "vault.grant")).scalar_one()
    assert entry.actor_id == first.id and entry.target_id == str(second.id)
    overview = {a.user_id: a for a in grants.access_overview(db)}
    assert overview[second.id].has_access and overview[first.id].has_access
    with pytest.raises(ValidationFailed):
        grants.grant_access(Work(db, settings, Actor(first.id, "counsellor"), keys=keys),
                            _user(db, first))


def test_password_change_rewraps_and_keeps_access(
    system: Work, app: Flask, settings: Settings, db: Session, create_user: Callable[..., User]
) -> None:
    setup = create_vault(app, settings)
    counsellor = create_user("counsellor")
    grant(app, settings, counsellor, setup.recovery_key)
    before = unlock(db, settings, counsellor).current
    user = _user(db, counsellor)
    password = counsellor.test_password  # type: ignore[attr-defined]
    authentication.change_password(system, user, password, NEW_PASSWORD)
    db.commit()
    with pytest.raises(DecryptionError):
        unlocking.unlock_with_password(system, user,
                                       counsellor.test_password)  # type: ignore[attr-defined]
    assert unlocking.unlock_with_password(system, user, NEW_PASSWORD) == before


def test_admin_reset_removes_access_until_granted_again(
    system: Work, app: Flask, settings: Settings, db: Session, create_user: Callable[..., User]
) -> None:
    setup = create_vault(app, settings)
    counsellor = create_user("counsellor")
    admin = create_user("admin")
    grant(app, settings, counsellor, setup.recovery_key)
    user = _user(db, counsellor)
    users.reset_password(Work(db, settings, Actor(admin.id, "admin")), user,
                            "Tijdelijk-wachtwoord-na-reset-11")
    db.commit()
    assert db.get(VaultGrant, user.id) is None and db.get(CounsellorKey, user.id) is None
    assert "vault.access_removed" in _actions(db)
    # the forced password change at the next login creates a new key pair, without access
    authentication.change_password(system, user, None, NEW_PASSWORD)
    db.commit()
    assert db.get(CounsellorKey, user.id) is not None
    assert unlocking.unlock_with_password(system, user, NEW_PASSWORD) is None
    grants.recover_access(system, setup.recovery_key, user)
    assert unlocking.unlock_with_password(system, user, NEW_PASSWORD) is not None


def test_rising_kdf_costs_rewrap_at_unlock(
    app: Flask, settings: Settings, db: Session, create_user: Callable[..., User]
) -> None:
    setup = create_vault(app, settings)
    counsellor = create_user("counsellor")
    grant(app, settings, counsellor, setup.recovery_key)
    stronger = settings.with_overrides(password_kdf=KdfParams(time_cost=2, memory_kib=16,
                                                              parallelism=1))
    user = _user(db, counsellor)
    key = unlocking.unlock_with_password(Work(db, stronger, Actor.system()),
                                         user, counsellor.test_password)  # type: ignore[attr-defined]
    assert key is not None
    row = db.get(CounsellorKey, user.id)
    assert row is not None and KdfParams.from_json(row.kdf_params).time_cost == 2
    assert unlocking.unlock_with_password(Work(db, stronger, Actor.system()),
                                          user, counsellor.test_password) == key  # type: ignore[attr-defined]


def test_open_keys_refuses_a_missing_or_foreign_key(
    app: Flask, settings: Settings, db: Session, create_user: Callable[..., User]
) -> None:
    setup = create_vault(app, settings)
    counsellor = create_user("counsellor")
    grant(app, settings, counsellor, setup.recovery_key)
    with pytest.raises(VaultLocked):
        unlocking.open_keys(db, settings, None)
    with pytest.raises(VaultLocked):
        unlocking.open_keys(db, settings, crypto.random_key())


def test_forget_session_keys(app: Flask, settings: Settings, db: Session) -> None:
    db.add(WebSession(token_hash="a" * 64, vault_key_sealed=b"sealed"))
    db.add(WebSession(token_hash="b" * 64))
    db.flush()
    assert store.forget_session_keys(db) == 1
    assert db.execute(select(func.count()).select_from(WebSession)
                      .where(WebSession.vault_key_sealed.is_not(None))).scalar_one() == 0


def test_demo_bootstrap_is_idempotent(
    app: Flask, settings: Settings, create_user: Callable[..., User]
) -> None:
    create_vault(app, settings)
    counsellor = create_user("counsellor")
    with app.app_context(), db_session_for(app) as session:
        first = grants.bootstrap_for_demo(Work(session, settings, Actor.system()),
                                          _user(session, counsellor),
                                         counsellor.test_password)  # type: ignore[attr-defined]
        session.commit()
        again = grants.bootstrap_for_demo(Work(session, settings, Actor.system()),
                                          _user(session, counsellor),
                                         counsellor.test_password)  # type: ignore[attr-defined]
        assert first == again
        other = create_user("counsellor")
        with pytest.raises(VaultLocked):
            grants.bootstrap_for_demo(Work(session, settings, Actor.system()),
                                      _user(session, other),
                                     other.test_password)  # type: ignore[attr-defined]
