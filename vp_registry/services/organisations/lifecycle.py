"""The end of a client organisation's contract: export, import (restore), delete (issue 17).

Each use case takes the main database's unit of work (the practice registry and its audit
chain) and the installation's :class:`OrganisationDatabases`; what happens inside an
organisation's own database runs in a unit of work of that database and is audited in its
own chain.

* :func:`export_organisation` - the whole database in one file that only the organisation's
  recovery key opens (``export.py``); audited in the organisation's chain, so that
  :func:`delete_organisation` can see that an export exists.
* :func:`import_organisation` - an export brought back as a new organisation (new slug): the
  registry row, an empty database migrated to the export's revision, every row, then the
  current schema; the recovery key must open the vault and the audit chain is verified.
* :func:`delete_organisation` - refused without an export of the last
  :data:`RECENT_EXPORT` unless the caller says so; then the keys are shredded
  (``deletion.py``), the database dropped, and the registry row keeps slug and dates only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, func, select

from vp_registry.core.taxonomy import N_
from vp_registry.db import utcnow
from vp_registry.db.audit import AuditEntry
from vp_registry.services.infrastructure import audit, backup
from vp_registry.services.organisations import deletion, export, registry
from vp_registry.services.organisations.databases import OrganisationDatabases, schema_name
from vp_registry.services.organisations.registry import Organisation, OrganisationError
from vp_registry.services.organisations.settings import settings_for
from vp_registry.services.vault import store, unlocking
from vp_registry.services.work import Work, unit_of_work

EXPORT_ACTION: Final = "organisation.export"
RECENT_EXPORT: Final = timedelta(days=7)

Progress = Callable[[str, int], object]


def client_organisation(work: Work, slug: str) -> Organisation:
    """The active client organisation ``slug``; the home organisation is refused (its data
    is the main database: ``vp-registry backup create``)."""
    found = registry.find_organisation(work.session, slug)
    if found is None:
        raise OrganisationError(N_("There is no organisation with the short name %(slug)s."),
                                slug=slug)
    if found.is_home:
        raise OrganisationError(N_("The home organisation's data is the main database: back "
                                   "it up with 'vp-registry backup create'."))
    return found


def _audit_in(work: Work, databases: OrganisationDatabases, organisation: Organisation,
              action: str, **details: object) -> None:
    """One entry in the organisation's own audit chain (committed at once)."""
    with unit_of_work(databases.session_factory(organisation),
                      settings_for(work.settings, organisation), work.actor) as own:
        own.audit(action, **details)


# ------------------------------------------------------------------------- export


def export_organisation(work: Work, databases: OrganisationDatabases, slug: str, output: Path,
                        *, progress: Progress | None = None) -> export.ExportSummary:
    organisation = client_organisation(work, slug)
    summary = export.export_database(
        databases.engine(organisation), output,
        export.ExportedOrganisation(organisation.slug, organisation.name,
                                    dict(organisation.settings)),
        progress=progress)
    _audit_in(work, databases, organisation, EXPORT_ACTION,
              rows=summary.manifest.total_rows, file_sha256=summary.file_sha256)
    return summary


def last_export(databases: OrganisationDatabases, organisation: Organisation
                ) -> datetime | None:
    """When the organisation's data was last exported (its own audit chain says)."""
    with databases.session_factory(organisation)() as session:
        return session.scalar(select(func.max(AuditEntry.created_at))
                              .where(AuditEntry.action == EXPORT_ACTION))


# ------------------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportReport:
    organisation: Organisation
    rows: int
    revision: str
    audit_entries: int
    audit_ok: bool


def _empty_database(databases: OrganisationDatabases, organisation: Organisation) -> None:
    """The organisation's database without tables (the export's migrations make them)."""
    databases.drop_database(organisation)
    _ensure_schema(databases, organisation)


def _ensure_schema(databases: OrganisationDatabases, organisation: Organisation) -> None:
    """PostgreSQL: the organisation's schema, empty if it was missing (SQLite: its file is
    made by the first connection)."""
    if databases.is_postgresql:
        with databases.main_engine.connect() as connection:
            connection.exec_driver_sql(
                f'CREATE SCHEMA IF NOT EXISTS "{schema_name(organisation.slug)}"')
            connection.commit()


def restore_backup(databases: OrganisationDatabases, organisation: Organisation | None,
                   backup_key: str, path: Path, *, progress: Progress | None = None
                   ) -> backup.Manifest:
    """``vp-registry --organisation SLUG backup restore``: a backup into the organisation's
    database, which must be empty or missing (a lost SQLite file, a dropped schema); a client
    organisation's database is migrated with its own runner (no home row in it). ``None``:
    the home organisation (the main database)."""
    if organisation is None or organisation.is_home:
        return backup.restore_backup(databases.main_engine, backup_key, path, progress)
    _ensure_schema(databases, organisation)

    def upgrade(_engine: Engine, revision: str) -> None:
        databases.upgrade(organisation, revision)

    return backup.restore_backup(databases.engine(organisation), backup_key, path, progress,
                                 upgrade=upgrade)


def import_organisation(work: Work, databases: OrganisationDatabases, path: Path,
                        recovery_key: str, *, slug: str, name: str | None = None,
                        progress: Progress | None = None) -> ImportReport:
    """Bring an export back as the new organisation ``slug``. The export is opened (and
    checked) before anything is created; a failure afterwards drops the new database, and
    the caller's rollback removes the registry row."""
    opened = export.read_export(path, unlocking.recovery_private_key(recovery_key))
    organisation = registry.create_organisation(
        work, databases, slug=slug, name=name or opened.organisation.name,
        settings=opened.organisation.settings)
    try:
        _empty_database(databases, organisation)

        def upgrade(_engine: Engine, revision: str) -> None:
            databases.upgrade(organisation, revision)

        export.import_database(databases.engine(organisation), opened, upgrade=upgrade,
                               progress=progress)
        with databases.session_factory(organisation)() as session:
            vault = store.require_vault(session)
            unlocking.check_recovery_key(vault, unlocking.recovery_private_key(recovery_key))
            if vault.key_version:  # and it opens the vault key
                unlocking.unlock_with_recovery(session, recovery_key)
            verified = audit.verify(session, work.settings.audit_key)
    except BaseException:
        databases.drop_database(organisation)
        raise
    work.audit("organisation.imported", target_type="organisation", target_id=organisation.id,
               rows=opened.manifest.total_rows)
    return ImportReport(organisation, opened.manifest.total_rows, opened.manifest.revision,
                        verified.entries, verified.ok)


# ------------------------------------------------------------------------- delete


@dataclass(frozen=True)
class DeletionReport:
    organisation: Organisation
    exported_at: datetime | None
    shredded: deletion.ShredReport | None


def delete_organisation(work: Work, databases: OrganisationDatabases, slug: str, *,
                        without_export: bool = False, now: datetime | None = None
                        ) -> DeletionReport:
    """Shred the organisation's keys (committed in its database), drop its database, and
    blank its registry row (in ``work``: the caller commits). Refused when its last export
    is older than :data:`RECENT_EXPORT` (or there is none), unless ``without_export``. A
    deletion that stopped half-way can be run again."""
    organisation = client_organisation(work, slug)
    exported_at = shredded = None
    if databases.exists(organisation):
        exported_at = last_export(databases, organisation)
        recent = exported_at is not None and (now or utcnow()) - exported_at <= RECENT_EXPORT
        if not recent and not without_export:
            raise OrganisationError(N_(
                "%(slug)s has no export of the last 7 days: export it first ('vp-registry "
                "organisations export'), or delete it without one (--without-export)."),
                slug=slug)
        shredded = deletion.shred_keys(databases.engine(organisation))
        databases.drop_database(organisation)
    registry.mark_deleted(work, organisation)
    work.audit("organisation.shredded", target_type="organisation", target_id=organisation.id,
               values=shredded.values_overwritten if shredded else 0,
               exported=exported_at.isoformat() if exported_at else "",
               without_export=without_export)
    return DeletionReport(organisation, exported_at, shredded)
