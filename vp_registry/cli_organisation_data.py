"""``vp-registry organisations export|import|delete``: a client organisation's data at the end
of its contract (issue 17; services/organisations/lifecycle.py).

Registered on orgs-core's ``organisations`` group (cli_organisations.py). The commands act on
the installation - the main database's registry and audit chain, and the organisation's own
database - whatever ``--organisation`` says. The recovery key is read from a file or standard
input, never from an option (shell history, process list). Every failure prints a clear
message and exits non-zero.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from vp_registry.app_state import practice_state
from vp_registry.db import Base
from vp_registry.messages import describe
from vp_registry.services.errors import AccessDenied, DomainError
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import deletion, lifecycle
from vp_registry.services.organisations.databases import OrganisationDatabases
from vp_registry.services.work import Work, unit_of_work


def _fail(text: str) -> None:
    click.secho(text, fg="red", err=True)
    sys.exit(1)


def _databases() -> OrganisationDatabases:
    return practice_state().databases


@contextmanager
def _main_work() -> Iterator[Work]:
    """The main database's unit of work (the registry and the practice's audit chain)."""
    state = practice_state()
    with unit_of_work(state.session_factory, state.settings, Actor.system()) as work:
        yield work


class _TableBar:
    """A progress bar over the tables of a dump or a load (stderr; a table at a time)."""

    def __init__(self, label: str) -> None:
        self.bar = click.progressbar(length=len(Base.metadata.sorted_tables), label=label,
                                     file=sys.stderr)

    def __enter__(self) -> _TableBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def __call__(self, _table: str, _rows: int) -> None:
        self.bar.update(1)


def _read_recovery_key(key_file: Path | None, from_stdin: bool) -> str:
    if key_file is not None:
        try:
            return key_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            _fail(_("The recovery key file cannot be read."))
    if from_stdin:
        return sys.stdin.readline().strip()
    return str(click.prompt(_("Recovery key"), hide_input=True))


@click.command("export")
@with_appcontext
@click.argument("slug")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Bestand voor de export / file to write the export to.")
def export_command(slug: str, output: Path) -> None:
    """Exporteer alle gegevens van een organisatie / export all of an organisation's data.

    One encrypted file that only the organisation's recovery key opens (not the
    installation's BACKUP_KEY). Restore it with 'vp-registry organisations import'.
    """
    try:
        with _main_work() as work, _TableBar(_("Tables")) as bar:
            summary = lifecycle.export_organisation(work, _databases(), slug, output,
                                                    progress=bar)
    except DomainError as error:
        _fail(describe(error))
        return
    click.echo(_("Export of %(slug)s written to %(path)s: %(rows)s rows, schema %(revision)s, "
                 "SHA-256 %(sha)s. Only the organisation's recovery key opens it.",
                 slug=slug, path=output, rows=summary.manifest.total_rows,
                 revision=summary.manifest.revision, sha=summary.file_sha256))


@click.command("import")
@with_appcontext
@click.argument("export_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--slug", required=True,
              help="Nieuwe korte naam / new short name of the organisation.")
@click.option("--name", help="Naam (standaard die uit de export) / name (default: the export's).")
@click.option("--recovery-key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Bestand met de herstelsleutel / file holding the recovery key.")
@click.option("--recovery-key-stdin", is_flag=True,
              help="Lees de herstelsleutel van stdin / read the recovery key from stdin.")
def import_command(export_file: Path, slug: str, name: str | None,
                   recovery_key_file: Path | None, recovery_key_stdin: bool) -> None:
    """Zet een export terug als nieuwe organisatie / restore an export as a new organisation.

    The export is opened with its recovery key and checked before anything is created; the
    accounts, vault, cases and audit chain come back as they were exported.
    """
    recovery_key = _read_recovery_key(recovery_key_file, recovery_key_stdin)
    try:
        with _main_work() as work, _TableBar(_("Tables")) as bar:
            report = lifecycle.import_organisation(work, _databases(), export_file,
                                                   recovery_key, slug=slug, name=name,
                                                   progress=bar)
    except (DomainError, AccessDenied) as error:
        _fail(describe(error))
        return
    click.echo(_("Organisation %(slug)s restored: %(rows)s rows (schema %(revision)s, now "
                 "current); the recovery key opens its vault.", slug=report.organisation.slug,
                 rows=report.rows, revision=report.revision))
    if report.audit_ok:
        click.echo(_("Audit log: OK, %(entries)s entries.", entries=report.audit_entries))
    else:
        click.secho(_("Audit log: does not verify with this installation's AUDIT_KEY (an "
                      "export of another installation?)."), fg="yellow", err=True)


@click.command("delete")
@with_appcontext
@click.argument("slug")
@click.option("--without-export", is_flag=True,
              help="Ook zonder recente export / even without a recent export.")
def delete_command(slug: str, without_export: bool) -> None:
    """Verwijder een organisatie voorgoed / delete an organisation for good.

    Its keys are overwritten and deleted first (crypto-shredding), then its database is
    dropped; the registry keeps its short name and dates only. Refused without an export of
    the last 7 days unless --without-export. Type the short name to confirm.
    """
    typed = click.prompt(_("This deletes %(slug)s and every case, message and report in it "
                           "for good. Type its short name to confirm", slug=slug),
                         default="", show_default=False)
    if typed.strip() != slug:
        _fail(_("Not confirmed: nothing was deleted."))
        return
    databases = _databases()
    try:
        with _main_work() as work:
            report = lifecycle.delete_organisation(work, databases, slug,
                                                   without_export=without_export)
    except DomainError as error:
        _fail(describe(error))
        return
    deletion.checkpoint(databases.main_engine)
    shredded = report.shredded.values_overwritten if report.shredded else 0
    click.echo(_("Organisation %(slug)s deleted: %(count)s keys overwritten, its database "
                 "dropped. Backups of the installation made before still hold its data: delete "
                 "them too.",
                 slug=slug, count=shredded))


COMMANDS = [export_command, import_command, delete_command]


def register(group: click.Group) -> None:
    """Add export, import and delete to the ``organisations`` group."""
    for command in COMMANDS:
        group.add_command(command)

