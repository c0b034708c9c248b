"""Crypto-shredding a client organisation's database before it is dropped (issue 17, I-4).

Dropping a database removes its files (SQLite) or its tables (PostgreSQL ``DROP SCHEMA``), but
neither scrubs the disk blocks they used. So, first, every piece of key material in the
organisation's database is overwritten in place with random bytes of the same length and its
row deleted, in one committed transaction: the vault's sealed and wrapped keys (recovery copy,
message key pair), every counsellor's key pair and grant, every case's, report's and
activity's wrapped data key, the anonymous conversations' keys, an unfinished rotation's
previous key, the web sessions' sealed vault keys and the TOTP secrets. On SQLite the
write-ahead log is then checkpointed and truncated, so the overwritten pages replace the old
ones in the file itself (``secure_delete`` zeroes what the deletes free). What is left - case
and message ciphertexts - is under keys that no longer exist anywhere in the installation;
only an earlier export (the recovery key opens it) or backup still holds them.

Every binary column of the schema is either key material (shredded here) or ciphertext under
such a key (:data:`CIPHERTEXT`); tests/integration/test_organisation_deletion.py fails when a
new binary column is neither, so a new key cannot be forgotten.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, Engine, Table, and_, bindparam, delete, or_, select, update

from vp_registry.db import Base
from vp_registry.db import models as _models  # noqa: F401 - registers every table

# Key material, per table: overwritten with random bytes, then (where listed in
# DELETED_AFTER) the rows deleted.
KEY_MATERIAL: Final[dict[str, tuple[str, ...]]] = {
    "vault": ("recovery_sealed_key", "box_private_wrapped", "box_public_key",
              "recovery_public_key"),
    "vault_grants": ("sealed_key",),
    "counsellor_keys": ("private_key_wrapped", "public_key", "salt"),
    "vault_rotations": ("previous_key_wrapped",),
    "case_keys": ("wrapped_key",),
    "annual_reports": ("wrapped_key",),
    "activities": ("wrapped_key",),
    "contact_threads": ("key_sealed", "key_by_code", "kdf_salt"),
    "web_sessions": ("vault_key_sealed",),
    "users": ("totp_secret_encrypted",),
}

# Ciphertext under one of the keys above (or derived from the vault key): unreadable once
# they are gone. A counsellor's public photo is not secret.
CIPHERTEXT: Final[dict[str, tuple[str, ...]]] = {
    "cases": ("listing", "details"),
    "case_contacts": ("content",),
    "case_listing_caches": ("entries",),
    "case_listing_index": ("entries",),
    "case_search_index": ("entries",),
    "contact_posts": ("content",),
    "contact_threads": ("case_link",),
    "pulse_comments": ("content",),
    "annual_reports": ("texts",),
    "activities": ("description",),
    "counsellor_profiles": ("photo",),
}

# Rows that are nothing but keys (or caches under them): deleted after the overwrite. The
# vault row goes too (its id is all that is left of it).
DELETED_AFTER: Final = ("vault_grants", "counsellor_keys", "case_keys", "vault_rotations",
                        "web_sessions", "case_listing_caches", "case_listing_index",
                        "case_search_index", "vault")


@dataclass(frozen=True)
class ShredReport:
    values_overwritten: int
    rows_deleted: int


def _overwrite(connection: Connection, table: Table, columns: tuple[str, ...]) -> int:
    """Every non-NULL value of ``columns`` replaced by random bytes of its own length."""
    keys = list(table.primary_key.columns)
    present = [table.c[name] for name in columns]
    rows = connection.execute(select(*keys, *present)
                              .where(or_(*(column.is_not(None) for column in present)))).all()
    if not rows:
        return 0
    statement = (update(table)
                 .where(and_(*(key == bindparam(f"pk_{key.name}") for key in keys)))
                 .values({name: bindparam(f"new_{name}") for name in columns}))
    parameters = []
    count = 0
    for row in rows:
        values = row._mapping
        item = {f"pk_{key.name}": values[key.name] for key in keys}
        for name in columns:
            old = values[name]
            item[f"new_{name}"] = None if old is None else os.urandom(len(old))
            count += old is not None
        parameters.append(item)
    connection.execute(statement, parameters)
    return count


def shred_keys(engine: Engine) -> ShredReport:
    """Overwrite and delete every key of the database behind ``engine`` (committed); on
    SQLite, checkpoint and truncate the write-ahead log. Idempotent: a second run finds
    only the kept rows' random bytes to overwrite again."""
    tables = Base.metadata.tables
    with engine.begin() as connection:
        overwritten = sum(_overwrite(connection, tables[name], columns)
                          for name, columns in KEY_MATERIAL.items())
        deleted = 0
        for name in DELETED_AFTER:
            deleted += connection.execute(delete(tables[name])).rowcount or 0
    checkpoint(engine)
    return ShredReport(overwritten, deleted)


def checkpoint(engine: Engine) -> None:
    """SQLite: copy the write-ahead log into the database file and truncate it, so pages
    overwritten (or blanked: the registry row of a deleted organisation) replace the old
    ones in the file. Nothing to do on PostgreSQL."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
