"""Who holds a grant, and giving one: by a colleague who holds the vault key, with the
recovery key, or (demo only) at the first login."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.core.taxonomy import N_, Role
from vp_registry.db import utcnow
from vp_registry.db.accounts import User
from vp_registry.db.vault import CounsellorKey, Vault, VaultGrant
from vp_registry.services.errors import NotFound, ValidationFailed, VaultLocked
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault.key_pairs import ensure_counsellor_key, is_counsellor
from vp_registry.services.vault.keyring import seal_grant
from vp_registry.services.vault.store import create_vault_key, require_vault
from vp_registry.services.vault.unlocking import (
    check_recovery_key,
    recovery_private_key,
    unlock_with_password,
    unlock_with_recovery,
)
from vp_registry.services.work import Work


@dataclass(frozen=True)
class CounsellorAccess:
    user_id: int
    display_name: str
    email: str
    active: bool
    has_key_pair: bool
    has_access: bool
    granted_at: datetime | None
    password_changed_at: datetime


def access_overview(session: Session) -> list[CounsellorAccess]:
    counsellors = session.execute(
        select(User).where(User.role == Role.COUNSELLOR.value).order_by(User.display_name)
    ).scalars()
    pairs = set(session.execute(select(CounsellorKey.user_id)).scalars())
    grants = {g.user_id: g for g in session.execute(select(VaultGrant)).scalars()}
    return [
        CounsellorAccess(
            user_id=u.id, display_name=u.display_name, email=u.email, active=u.active,
            has_key_pair=u.id in pairs, has_access=u.id in grants,
            granted_at=grants[u.id].granted_at if u.id in grants else None,
            password_changed_at=u.password_changed_at,
        )
        for u in counsellors
    ]


def has_access(session: Session, user_id: int) -> bool:
    return session.get(VaultGrant, user_id) is not None


def _grantee_key(session: Session, grantee: User) -> CounsellorKey:
    """The key pair to seal a grant to; raises when this account cannot get access."""
    if not is_counsellor(grantee) or not grantee.active:
        raise ValidationFailed(N_("Only an active confidential counsellor can get access."))
    row = session.get(CounsellorKey, grantee.id)
    if row is None:
        raise ValidationFailed(
            N_("%(name)s must log in once before access can be granted."),
            name=grantee.display_name,
        )
    return row


def _grant(
    session: Session, vault: Vault, vault_key: bytes, grantee: User, granted_by: int | None
) -> None:
    row = _grantee_key(session, grantee)
    grant = session.get(VaultGrant, grantee.id)
    if grant is None:
        grant = VaultGrant(user_id=grantee.id)
        session.add(grant)
    grant.sealed_key = seal_grant(row.public_key, grantee.id, vault_key, vault.key_version)
    grant.key_version = vault.key_version
    grant.granted_by = granted_by
    grant.granted_at = utcnow()
    session.flush()


def grant_access(
    work: Work, grantee: User
) -> None:
    """A counsellor holding the vault key gives a colleague access."""
    session, actor, keys = work.session, work.actor, work.keys
    if grantee.id == actor.user_id:
        raise ValidationFailed(N_("You already have access."))
    vault = require_vault(session)
    if keys.version != vault.key_version:
        raise VaultLocked()
    _grant(session, vault, keys.current, grantee, actor.user_id)
    work.audit("vault.grant",
               target_type="user", target_id=grantee.id, key_version=vault.key_version)


def recover_access(work: Work, recovery_text: str, grantee: User) -> bool:
    """Grant a counsellor access with the recovery key (``vp-registry vault recover``).

    The first time, this creates the vault key. Returns True when it did.
    """
    session = work.session
    vault = require_vault(session)
    private = recovery_private_key(recovery_text)
    check_recovery_key(vault, private)
    created = False
    if vault.key_version == 0:
        _grantee_key(session, grantee)  # refuse before creating anything
        vault_key = create_vault_key(work, vault)
        created = True
    else:
        vault_key = unlock_with_recovery(session, recovery_text)
    _grant(session, vault, vault_key, grantee, None)
    work.audit("vault.recover",
               target_type="user", target_id=grantee.id, key_version=vault.key_version)
    return created


def bootstrap_for_demo(work: Work, user: User, password: str) -> bytes:
    """Demo only: create the vault key if it does not exist yet and grant it to ``user``.

    When the key exists, ``user`` must already hold a grant (the password opens it). The
    system, not the demo's caller, creates and grants the key (as before the unit of work).
    """
    vault = require_vault(work.session)
    ensure_counsellor_key(work, user, password)
    if vault.key_version == 0:
        system = Work(work.session, work.settings, Actor.system())
        vault_key = create_vault_key(system, vault)
        _grant(work.session, vault, vault_key, user, None)
        system.audit("vault.grant", target_type="user", target_id=user.id,
                     key_version=vault.key_version)
        return vault_key
    unlocked = unlock_with_password(work, user, password)
    if unlocked is None:
        raise VaultLocked(N_("The vault already exists and the demo counsellor has no access. "
                             "Grant it with 'vp-registry vault recover' first."))
    return unlocked


def get_counsellor(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not is_counsellor(user):
        raise NotFound()
    return user
