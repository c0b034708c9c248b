"""Operations commands: ``backup create|verify|restore``, ``database copy``,
``sessions purge``.

Backups read and write whole databases through the engine, each in its own snapshot
transaction (services/infrastructure/backup.py); ``sessions purge`` is one unit of work.
Each acts on the organisation ``vp-registry --organisation SLUG`` names (issue 17; default the
home organisation): ``backup create`` dumps that organisation's database only, ``restore``
writes into it (empty or missing) with its own migrations.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from vp_registry.app_state import app_state, current_organisation_or_none, practice_state
from vp_registry.db import make_engine
from vp_registry.messages import describe
from vp_registry.services.accounts import web_sessions
from vp_registry.services.errors import DomainError
from vp_registry.services.infrastructure import backup
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import lifecycle
from vp_registry.services.work import unit_of_work


def _fail(error: DomainError) -> None:
    click.secho(describe(error), fg="red", err=True)
    sys.exit(1)


def _progress(table: str, rows: int) -> None:
    click.echo(f"  {table}: {rows}")


@click.group("backup", cls=AppGroup)
def backup_group() -> None:
    """Versleutelde back-ups / encrypted backups (key: BACKUP_KEY)."""


@backup_group.command("create")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Bestand voor de back-up / file to write the backup to.")
def backup_create(output: Path) -> None:
    """Maak een consistente back-up terwijl de app draait / back up while the app runs."""
    try:
        state = app_state()
        manifest = backup.create_backup(state.engine, state.settings.backup_key, output)
    except DomainError as error:
        _fail(error)
        return
    click.echo(_("Backup written to %(path)s: %(rows)s rows, schema %(revision)s.",
                 path=output, rows=manifest.total_rows, revision=manifest.revision))


@backup_group.command("verify")
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
def backup_verify(backup_file: Path) -> None:
    """Controleer een back-up / check that a backup is complete and readable."""
    try:
        manifest, _tables = backup.read_backup(backup_file, app_state().settings.backup_key)
    except DomainError as error:
        _fail(error)
        return
    click.echo(_("OK: %(tables)s tables, %(rows)s rows, schema %(revision)s, made %(when)s.",
                 tables=len(manifest.row_counts), rows=manifest.total_rows,
                 revision=manifest.revision, when=manifest.created_at))


@backup_group.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
def backup_restore(backup_file: Path) -> None:
    """Zet een back-up terug in een lege database / restore into an empty database."""
    try:
        state = practice_state()
        manifest = lifecycle.restore_backup(state.databases, current_organisation_or_none(),
                                            state.settings.backup_key, backup_file,
                                            progress=_progress)
    except DomainError as error:
        _fail(error)
        return
    click.echo(_("Restored %(rows)s rows. Run 'vp-registry audit verify' to check the audit "
                 "log.", rows=manifest.total_rows))


@click.group("database", cls=AppGroup)
def database_group() -> None:
    """Database-onderhoud / database maintenance."""


@database_group.command("copy")
@click.option("--to", "target_url", required=True,
              help="Lege doeldatabase / empty target, e.g. postgresql+psycopg://...")
def database_copy(target_url: str) -> None:
    """Kopieer alles naar een lege database / copy everything into an empty database.

    Used to move from SQLite to PostgreSQL; every row is compared after the copy.
    """
    target = make_engine(target_url)
    try:
        manifest = backup.copy_database(app_state().engine, target, _progress)
    except DomainError as error:
        _fail(error)
        return
    finally:
        target.dispose()
    click.echo(_("Copied and verified %(rows)s rows in %(tables)s tables.",
                 rows=manifest.total_rows, tables=len(manifest.row_counts)))


@click.group("sessions", cls=AppGroup)
def sessions_group() -> None:
    """Sessies / sessions."""


@sessions_group.command("purge")
def sessions_purge() -> None:
    """Verwijder verlopen sessies / delete expired sessions (safe to run from cron)."""
    state = app_state()
    with unit_of_work(state.session_factory, state.settings, Actor.system()) as work:
        removed = web_sessions.purge_expired_sessions(work)
    click.echo(_("%(count)s expired sessions deleted.", count=removed))


COMMANDS = [backup_group, database_group, sessions_group]
