"""Vault key rotation (docs/design.md I-2): new key version, everything re-wrapped, resumable.

1. :func:`start` (one transaction): a new vault key; the old key wrapped under the new one
   in ``vault_rotations`` (so rows not yet re-wrapped stay readable); every counsellor grant,
   the recovery copy and the message private key re-sealed/re-wrapped; the vault row moved to
   the new version; the vault key removed from every web session (the old key must not
   linger; counsellors unlock again with their password).
2. :func:`rewrap_batch` (a transaction per batch): re-wrap the next data keys (of cases,
   annual reports and activities) still on the old version. Data is never re-encrypted: a
   data key is the same key, wrapped anew. Progress is the data itself, so an interrupted
   rotation resumes where it stopped.
3. :func:`finish`: when no row is left on the old version, erase the wrapped old key.

Running ``vp-registry keys rotate`` while a rotation is unfinished resumes it.
"""

from __future__ import annotations

from typing import Any, Final, cast

from sqlalchemy import Table, Update, bindparam, func, select, update
from sqlalchemy.orm import Session

from vp_registry.core import crypto
from vp_registry.core.taxonomy import N_
from vp_registry.db import utcnow
from vp_registry.db.cases import CaseKey
from vp_registry.db.reports import Activity, AnnualReportRow
from vp_registry.db.vault import CounsellorKey, VaultGrant, VaultRotation
from vp_registry.services.errors import DomainError, VaultLocked
from vp_registry.services.vault import keyring, store, unlocking
from vp_registry.services.vault.keyring import PURPOSE_VAULT_PREVIOUS, VaultKeys, field_cipher
from vp_registry.services.vault.store import require_vault
from vp_registry.services.work import Work

DEFAULT_BATCH = 500


class RotationError(DomainError):
    message = N_("The key rotation cannot continue.")


def start(work: Work) -> VaultRotation:
    """Create the new key version and re-wrap every small key. Afterwards ``work`` acts with
    the new keys (which still open the old version): :func:`rewrap_batch` needs both."""
    session, keys = work.session, work.keys
    if store.active_rotation(session) is not None:
        raise RotationError(N_("A key rotation is already in progress: resume it."))
    row = require_vault(session)
    if row.key_version != keys.version or row.box_private_wrapped is None:
        raise VaultLocked()
    old_version, new_version = row.key_version, row.key_version + 1
    old_key, new_key = keys.current, crypto.random_key()

    rotation = VaultRotation(
        from_version=old_version, to_version=new_version,
        previous_key_wrapped=crypto.wrap_key(new_key, old_key, purpose=PURPOSE_VAULT_PREVIOUS,
                                             key_version=old_version),
    )
    session.add(rotation)
    for grant, pair in session.execute(
        select(VaultGrant, CounsellorKey).join(CounsellorKey,
                                               CounsellorKey.user_id == VaultGrant.user_id)
    ):
        grant.sealed_key = keyring.seal_grant(pair.public_key, grant.user_id, new_key, new_version)
        grant.key_version = new_version
    row.recovery_sealed_key = keyring.seal_recovery(row.recovery_public_key, new_key, new_version)
    row.recovery_key_version = new_version
    box_private = unlocking.unwrap_message_private_key(session, keys)
    row.box_private_wrapped = keyring.wrap_box_private(new_key, box_private, new_version)
    row.box_key_version = new_version
    row.key_version = new_version
    session.flush()
    store.forget_session_keys(session)
    work.audit("keys.rotate", stage="start", from_version=old_version, to_version=new_version)
    work.with_keys(VaultKeys(new_version, {new_version: new_key, old_version: old_key},
                             field_cipher(work.settings)))
    return rotation


# Every table holding data keys wrapped by the vault key: (table, its primary key column).
# Each has ``wrapped_key`` and ``vault_key_version`` columns.
_WRAPPED_KEY_TABLES: Final[tuple[tuple[Table, str], ...]] = (
    (cast(Table, CaseKey.__table__), "case_id"),
    (cast(Table, AnnualReportRow.__table__), "id"),
    (cast(Table, Activity.__table__), "id"),
)


def data_keys_on(session: Session, version: int) -> int:
    return sum(int(session.execute(
        select(func.count()).select_from(table).where(table.c.vault_key_version == version)
    ).scalar_one()) for table, _ in _WRAPPED_KEY_TABLES)


def rows_on_old_versions(session: Session) -> int:
    """Wrapped keys not on the current vault key version (0 after a finished rotation)."""
    row = require_vault(session)
    current = row.key_version
    stale = sum(int(session.execute(
        select(func.count()).select_from(table).where(table.c.vault_key_version != current)
    ).scalar_one()) for table, _ in _WRAPPED_KEY_TABLES)
    stale += int(session.execute(select(func.count()).select_from(VaultGrant)
                                 .where(VaultGrant.key_version != current)).scalar_one())
    stale += sum(1 for version in (row.recovery_key_version, row.box_key_version)
                 if version is not None and version != current)
    return stale


def rewrap_batch(work: Work, rotation: VaultRotation, batch_size: int = DEFAULT_BATCH) -> int:
    """Re-wrap up to ``batch_size`` data keys (of cases, annual reports and activities) from
    the old to the new version; returns how many. Conditional UPDATEs, so a row erased
    meanwhile is simply skipped. Only flushes: the caller commits each batch."""
    session, keys = work.session, work.keys
    if keys.version != rotation.to_version:
        raise VaultLocked()
    done = 0
    for table, id_name in _WRAPPED_KEY_TABLES:  # cases first, then reports and activities
        if done >= batch_size:
            break
        row_id = table.c[id_name]
        rows = session.execute(  # no ORDER BY: the version index finds the rows left at
            select(row_id, table.c.wrapped_key)  # once (in id order, later batches scanned
            .where(table.c.vault_key_version == rotation.from_version)  # every row done)
            .limit(batch_size - done)
        ).all()
        if rows:
            session.execute(_rewrap_statement(table, id_name, rotation.from_version),
                            [_rewrapped(keys, rotation.from_version, key_id, wrapped)
                             for key_id, wrapped in rows])  # one executemany per table
        done += len(rows)
    rotation.rows_rewrapped += done
    session.flush()
    return done


def _rewrap_statement(table: Table, id_name: str, from_version: int) -> Update:
    """The conditional UPDATE of one re-wrapped key (run as one executemany per batch)."""
    return (update(table)
            .where(table.c[id_name] == bindparam("key_id"),
                   table.c.vault_key_version == from_version)
            .values(wrapped_key=bindparam("new_wrapped"),
                    vault_key_version=bindparam("new_version")))


def _rewrapped(keys: VaultKeys, from_version: int, key_id: int, wrapped: bytes
               ) -> dict[str, Any]:
    new_wrapped, version = keys.wrap_data_key(keys.unwrap_data_key(wrapped, from_version))
    return {"key_id": key_id, "new_wrapped": new_wrapped, "new_version": version}


def finish(work: Work, rotation: VaultRotation) -> int:
    """Close the rotation once nothing is left on the old version; returns that count (0)."""
    session = work.session
    left = rows_on_old_versions(session)
    if left:
        raise RotationError(N_("%(count)s rows are still on the old key version."), count=left)
    rotation.previous_key_wrapped = None
    rotation.finished_at = utcnow()
    session.flush()
    work.audit("keys.rotate", stage="finish", from_version=rotation.from_version,
               to_version=rotation.to_version, rewrapped=rotation.rows_rewrapped)
    return left
