"""The vault row: created once, its key created at the first grant, its status, and the
session keys forgotten after a rotation started."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from vp_registry.core import crypto
from vp_registry.core.taxonomy import N_
from vp_registry.db import utcnow
from vp_registry.db.accounts import WebSession
from vp_registry.db.cases import CaseListingCache, CaseListingIndex, CaseSearchIndex
from vp_registry.db.vault import VAULT_ROW_ID, Vault, VaultGrant, VaultRotation
from vp_registry.services.errors import DomainError
from vp_registry.services.vault.keyring import seal_recovery, wrap_box_private
from vp_registry.services.work import Work


class VaultNotReady(DomainError):
    message = N_("The vault has not been set up yet. Run 'vp-registry init' first.")


def get_vault(session: Session) -> Vault | None:
    return session.get(Vault, VAULT_ROW_ID)


def require_vault(session: Session) -> Vault:
    vault = get_vault(session)
    if vault is None:
        raise VaultNotReady()
    return vault


def create_vault(work: Work) -> bytes | None:
    """Create the vault if there is none; returns the recovery key (raw) to show ONCE.

    Returns None when the vault already exists (the recovery key is never shown again).
    """
    session = work.session
    if get_vault(session) is not None:
        return None
    private, public = crypto.generate_x25519_keypair()
    session.add(Vault(id=VAULT_ROW_ID, key_version=0, recovery_public_key=public))
    session.flush()
    work.audit("vault.create")
    return private


def create_vault_key(work: Work, vault: Vault) -> bytes:
    """Generate the vault key (version 1) and the message key pair; seal it for recovery."""
    session = work.session
    vault_key = crypto.random_key()
    box_private, box_public = crypto.generate_x25519_keypair()
    vault.key_version = 1
    vault.recovery_sealed_key = seal_recovery(vault.recovery_public_key, vault_key, 1)
    vault.recovery_key_version = 1
    vault.box_public_key = box_public
    vault.box_private_wrapped = wrap_box_private(vault_key, box_private, 1)
    vault.box_key_version = 1
    vault.key_created_at = utcnow()
    session.flush()
    work.audit("vault.key_create", key_version=1)
    return vault_key


def active_rotation(session: Session) -> VaultRotation | None:
    return session.execute(
        select(VaultRotation).where(VaultRotation.finished_at.is_(None))
    ).scalar_one_or_none()


def forget_session_keys(session: Session) -> int:
    """Remove the vault key from every web session (after a key rotation started): the old
    key is useless and must not linger; counsellors unlock again with their password. The
    sessions' case-listing caches (keyed with the old vault key) go as well."""
    rows = list(session.execute(
        select(WebSession).where(WebSession.vault_key_sealed.is_not(None))
    ).scalars())
    for row in rows:
        row.vault_key_sealed = None
    invalidate_listing_caches(session)
    session.flush()
    return len(rows)


def invalidate_listing_caches(session: Session) -> None:
    """Delete every session's case-listing cache and the vault's listing and search indexes,
    and raise the epoch, so that one being written by a request that started earlier is
    discarded (see services/cases/listing_cache.py). Needs no key: retention calls it when it
    erases cases."""
    session.execute(update(Vault).where(Vault.id == VAULT_ROW_ID)
                    .values(listing_epoch=Vault.listing_epoch + 1))
    session.execute(delete(CaseListingCache))
    session.execute(delete(CaseListingIndex))
    session.execute(delete(CaseSearchIndex))


@dataclass(frozen=True)
class VaultStatus:
    exists: bool
    key_version: int
    holders: int
    rotation_from: int | None
    rotation_to: int | None


def status(session: Session) -> VaultStatus:
    vault = get_vault(session)
    if vault is None:
        return VaultStatus(False, 0, 0, None, None)
    rotation = active_rotation(session)
    holders = len(list(session.execute(select(VaultGrant.user_id)).scalars()))
    return VaultStatus(True, vault.key_version, holders,
                       rotation.from_version if rotation else None,
                       rotation.to_version if rotation else None)
