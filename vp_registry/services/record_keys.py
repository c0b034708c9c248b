"""Rows with their own data key wrapped by the vault key: annual report texts and activities.

The scheme of a case (``services/cases/codec.py``, docs/design.md I-2): a random 256-bit data
key per row, wrapped by the vault key with :meth:`VaultKeys.wrap_data_key` (so key rotation
re-wraps it, ``services/infrastructure/rotation.py``), and every sensitive field encrypted with
:class:`~vp_registry.core.crypto.RecordCrypter`: AES-256-GCM, a fresh nonce per value, and
associated data binding the ciphertext to table, column, row id and data key version. A row
that is written must call :func:`ensure_current_key` after its INSERT, as a case does, so no
key is wrapped under a vault key a rotation just replaced.
"""

from __future__ import annotations

import secrets
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.core import crypto
from vp_registry.core.crypto import RecordCrypter
from vp_registry.db.vault import VAULT_ROW_ID, Vault
from vp_registry.services.errors import VaultLocked
from vp_registry.services.vault.keyring import VaultKeys

DATA_KEY_VERSION: Final = 1
_ID_BITS: Final = 53  # random row ids (as for cases): they reveal neither number nor order


def random_id() -> int:
    """A random row id below 2**53 (safe in JavaScript too): it reveals neither count nor
    order."""
    return 1 + secrets.randbelow(2**_ID_BITS - 1)


def new_record_key(keys: VaultKeys) -> tuple[RecordCrypter, bytes, int]:
    """A fresh data key: its crypter, the key wrapped by the vault key, and that key's version."""
    data_key = crypto.random_key()
    wrapped, vault_version = keys.wrap_data_key(data_key)
    return RecordCrypter(data_key, DATA_KEY_VERSION, keys.cipher), wrapped, vault_version


def open_record_key(keys: VaultKeys, wrapped: bytes, vault_version: int,
                    data_version: int) -> RecordCrypter:
    """The crypter of a stored row (raises DecryptionError or VaultLocked)."""
    return RecordCrypter(keys.unwrap_data_key(wrapped, vault_version), data_version, keys.cipher)


def ensure_current_key(session: Session, keys: VaultKeys) -> None:
    """Refuse to wrap a new data key under a vault key that a rotation has replaced.

    Called after the INSERT, inside the writing transaction: on PostgreSQL the shared row lock
    orders us against a rotation start (which updates the vault row); on SQLite the write lock
    we hold already does.
    """
    vault = session.execute(
        select(Vault).where(Vault.id == VAULT_ROW_ID).with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if vault is None or vault.key_version != keys.version:
        raise VaultLocked()
