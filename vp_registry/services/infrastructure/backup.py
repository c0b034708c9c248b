"""Encrypted, verifiable backups of the whole database, and copying between databases.

A backup is a consistent snapshot of every table (SQLite: the online backup API; PostgreSQL:
one REPEATABLE READ transaction), serialised as JSON with a manifest (schema revision, row
counts, SHA-256 of the content), gzip-compressed and encrypted with AES-256-GCM under a key
derived from BACKUP_KEY. Case data inside is ciphertext already; the outer layer protects the
metadata (accounts, audit log, ledger) and detects any damage.

Restore writes into an empty database at the backup's schema revision, then upgrades to the
current one. Erased cases stay erased: a backup holds what existed when it was made.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import sqlite3
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    cast,
    create_engine,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy import column as column_clause
from sqlalchemy import table as sa_table
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.expression import TableClause

from vp_registry.core import crypto
from vp_registry.core.private_files import write_private
from vp_registry.core.taxonomy import N_
from vp_registry.db import Base, utcnow
from vp_registry.db import models as _models  # noqa: F401 - registers every table
from vp_registry.services.errors import DomainError
from vp_registry.services.infrastructure import schema

MAGIC = b"VPREGISTRY-BACKUP-1\n"
FORMAT_VERSION = 1


class BackupError(DomainError):
    message = N_("The backup could not be read: the file is damaged or was made with another "
                 "BACKUP_KEY.")


@dataclass(frozen=True)
class Manifest:
    format_version: int
    created_at: str
    revision: str
    row_counts: dict[str, int]
    sha256: str

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


def _backup_key(backup_key: str) -> bytes:
    if len(backup_key) < 32:
        raise BackupError(N_("BACKUP_KEY is not set or too short (at least 32 characters)."))
    return crypto.derive_subkey(backup_key.encode(), "backup-file")


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def decode_value(value: Any) -> Any:
    """A dumped value as the database holds it (bytes, datetime, date or as it is)."""
    return _decode(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "b64" in value:
            return base64.b64decode(value["b64"])
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "d" in value:
            return date.fromisoformat(value["d"])
    return value


# Login sessions, their listing caches and throttle counters are not worth restoring: a
# restore must not log back in a browser that was logged in when the backup was made. The
# vault's listing and search indexes are derived from the cases (rebuilt when next used).
TRANSIENT_TABLES = frozenset({"web_sessions", "case_listing_caches", "case_listing_index",
                              "case_search_index", "login_throttles"})


def _tables(skip: Collection[str] = ()) -> list[Table]:
    return [table for table in Base.metadata.sorted_tables
            if table.name not in TRANSIENT_TABLES and table.name not in skip]


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that sees one consistent state of the whole database."""
    if engine.dialect.name == "sqlite":
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        raw = engine.raw_connection()
        try:
            raw.driver_connection.backup(copy)  # type: ignore[union-attr]
        finally:
            raw.close()
        snapshot_engine = create_engine("sqlite://", creator=lambda: copy, poolclass=StaticPool)
        with snapshot_engine.connect() as connection:
            yield connection
        snapshot_engine.dispose()
        copy.close()
        return
    with (engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection,
          connection.begin()):
        yield connection


def _revision(connection: Connection) -> str:
    return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def _content_digest(tables: dict[str, list[dict[str, Any]]]) -> str:
    canonical = json.dumps(tables, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def content_matches(manifest: Manifest, tables: dict[str, list[dict[str, Any]]]) -> bool:
    """Whether ``tables`` are exactly what ``manifest`` describes (row counts, SHA-256)."""
    counts = {name: len(rows) for name, rows in tables.items()}
    return counts == manifest.row_counts and _content_digest(tables) == manifest.sha256


def dump(engine: Engine, progress: Callable[[str, int], object] | None = None, *,
         skip: Collection[str] = ()) -> tuple[Manifest, dict[str, list[dict[str, Any]]]]:
    """Every table but the transient ones (and ``skip``), from one consistent snapshot;
    ``progress`` is told each table's name and row count as it is read. A database at an
    older revision lacks the newer tables (e.g. ``erased_quarters`` before 0017) and columns
    (``audit_entries.lane`` before 0018): they are left out, as the older release's own dump
    would (its revision is in the manifest)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    with _snapshot(engine) as connection:
        revision = _revision(connection)
        inspector = inspect(connection)
        present = set(inspector.get_table_names())
        for table in _tables(skip):
            if table.name not in present:
                continue
            known = {column["name"] for column in inspector.get_columns(table.name)}
            columns = [column for column in table.columns if column.name in known]
            order = [column for column in table.primary_key.columns if column.name in known]
            rows = connection.execute(select(*columns).order_by(*order)).mappings()
            tables[table.name] = [{key: _encode(value) for key, value in row.items()}
                                  for row in rows]
            if progress:
                progress(table.name, len(tables[table.name]))
    manifest = Manifest(FORMAT_VERSION, utcnow().isoformat(), revision,
                        {name: len(rows) for name, rows in tables.items()},
                        _content_digest(tables))
    return manifest, tables


def create_backup(engine: Engine, backup_key: str, output: Path) -> Manifest:
    manifest, tables = dump(engine)
    payload = json.dumps({"manifest": manifest.__dict__, "tables": tables},
                         separators=(",", ":")).encode()
    sealed = crypto.DEFAULT_CIPHER.encrypt(_backup_key(backup_key), gzip.compress(payload), MAGIC)
    write_private(output, MAGIC + sealed)  # 0600, never half-written under the final name
    return manifest


def read_backup(path: Path, backup_key: str) -> tuple[Manifest, dict[str, list[dict[str, Any]]]]:
    try:
        blob = path.read_bytes()
    except OSError as error:
        raise BackupError(N_("The backup file cannot be opened: %(reason)s"),
                          reason=error.strerror or "") from error
    if not blob.startswith(MAGIC):
        raise BackupError(N_("This is not a vp-registry backup file."))
    try:
        plain = crypto.DEFAULT_CIPHER.decrypt(_backup_key(backup_key), blob[len(MAGIC):], MAGIC)
        document = json.loads(gzip.decompress(plain))
        manifest = Manifest(**document["manifest"])
        tables: dict[str, list[dict[str, Any]]] = document["tables"]
    except (crypto.DecryptionError, OSError, ValueError, KeyError, TypeError) as error:
        raise BackupError() from error
    if manifest.format_version != FORMAT_VERSION:
        raise BackupError(N_("This backup has format %(version)s, which this version cannot "
                             "read."), version=manifest.format_version)
    if not content_matches(manifest, tables):
        raise BackupError(N_("The backup's content does not match its manifest."))
    return manifest, tables


def _is_empty(engine: Engine) -> bool:
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    if not present - {"alembic_version"}:
        return True
    with engine.connect() as connection:
        return all(connection.execute(select(func.count()).select_from(table)).scalar_one() == 0
                   for table in _tables() if table.name in present)


Upgrade = Callable[[Engine, str], None]


def _dumped_columns(table: Table, row: dict[str, Any]) -> TableClause:
    """The table with the columns a dump holds, their types but no defaults: a dump of an
    older revision lacks the newer columns (``audit_entries.lane`` before 0018), which its
    migration fills in, not this release's Python defaults."""
    return sa_table(table.name, *(column_clause(column.name, column.type)
                                  for column in table.columns if column.name in row))


def load(engine: Engine, manifest: Manifest, tables: dict[str, list[dict[str, Any]]],
         progress: Callable[[str, int], object] | None = None, *,
         upgrade: Upgrade = schema.upgrade) -> None:
    """Write a dump into an empty database, then upgrade it to the current schema.
    ``upgrade(engine, revision)`` runs the migrations: a client organisation's database
    passes its own (services/organisations/databases.py)."""
    if not _is_empty(engine):
        raise BackupError(N_("The target database is not empty. Restore only into an empty "
                             "database."))
    upgrade(engine, manifest.revision)
    with engine.begin() as connection:
        for table in reversed(_tables()):  # rows a migration seeded (e.g. 0015's home
            if tables.get(table.name):     # organisation): the backup's replace them
                connection.execute(table.delete())
        for table in _tables():
            rows = [{k: _decode(v) for k, v in row.items()} for row in tables.get(table.name, [])]
            if not rows:
                continue
            self_refs = [fk.parent.name for fk in table.foreign_keys
                         if fk.column.table is table]
            first = [{**row, **dict.fromkeys(self_refs)} for row in rows] if self_refs else rows
            connection.execute(_dumped_columns(table, rows[0]).insert(), first)
            key = next(iter(table.primary_key.columns))
            # keep columns with an onupdate default (e.g. updated_at) exactly as backed up
            kept = [c.name for c in table.columns if c.onupdate is not None]
            for row in rows:
                links = {column: row[column] for column in self_refs if row[column] is not None}
                if links:
                    connection.execute(table.update().where(key == row[key.name]).values(
                        {**links, **{name: row[name] for name in kept}}))
            if progress:
                progress(table.name, len(rows))
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection, {name for name, rows in tables.items() if rows})
    upgrade(engine, "head")


def _reset_sequences(connection: Connection, loaded: Collection[str]) -> None:
    """Move the serial columns' sequences of the ``loaded`` tables past their restored rows
    (PostgreSQL). Only those: a backup of an older revision lacks the tables made later, and
    at its revision they do not exist yet (an empty table's sequence needs no move anyway).

    No SQL is built from strings: the table and column are our own metadata's objects, which
    SQLAlchemy quotes, and the sequence name is a bound parameter cast to ``regclass``.
    """
    for table in _tables():
        if table.name not in loaded:
            continue
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto"
                                                and column.type.python_type is int
                                                and len(table.primary_key.columns) == 1):
                sequence = connection.execute(select(func.pg_get_serial_sequence(
                    table.name, column.name))).scalar()
                if sequence:
                    highest = select(func.max(column)).scalar_subquery()
                    connection.execute(select(func.setval(
                        cast(sequence, REGCLASS), func.coalesce(highest, 0) + 1, False)))


def restore_backup(engine: Engine, backup_key: str, path: Path,
                   progress: Callable[[str, int], object] | None = None, *,
                   upgrade: Upgrade = schema.upgrade) -> Manifest:
    manifest, tables = read_backup(path, backup_key)
    load(engine, manifest, tables, progress, upgrade=upgrade)
    return manifest


def copy_database(source: Engine, target: Engine,
                  progress: Callable[[str, int], object] | None = None) -> Manifest:
    """Copy everything into an empty database and prove every row arrived unchanged."""
    manifest, tables = dump(source)
    load(target, manifest, tables, progress)
    copied, copied_tables = dump(target)
    if copied.row_counts != manifest.row_counts or _content_digest(copied_tables) != \
            manifest.sha256:
        raise BackupError(N_("The copy differs from the source; the target database should be "
                             "emptied and the copy repeated."))
    return manifest
