"""``vp-registry report build``: the annual report of a year as a file.

* With ``--email`` (and ``--password-stdin``, or a hidden prompt): the current **draft**, built
  from the decrypted cases as on the preview page - marked as a draft on every page, nothing
  released, the export audited. A counsellor's password is needed because the figures come
  from the cases.
* Without ``--email``: the **finalised** version (the latest, or ``--version N``), printed from
  its frozen JSON - no key, no case is read; the download is audited.

A refusal's explanation (a figure that would give away a small number or change a released
one) is printed for the counsellor on standard error and never logged. Every failure prints a
clear message and exits non-zero.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy.orm import Session, sessionmaker

from vp_registry.app_state import app_state
from vp_registry.cli_cases import unlock_keys as unlock_vault
from vp_registry.config import Settings
from vp_registry.core.private_files import write_private
from vp_registry.core.report import AnnualReport
from vp_registry.messages import describe
from vp_registry.render import FORMATS, filename, render
from vp_registry.services.errors import DomainError, NotFound
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import archive, finalising, refusals
from vp_registry.services.work import unit_of_work

PROGRESS_FROM = 2_000  # cases: below this a draft builds too fast for a progress bar


def _settings() -> Settings:
    value: Settings = app_state().settings
    return value


def _fail(text: str) -> None:
    click.secho(text, fg="red", err=True)
    sys.exit(1)


class _Progress:
    """A click progress bar on standard error, shown only once there are many cases."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if total < PROGRESS_FROM:
                return
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _write(data: bytes, output: Path) -> None:
    """To standard output ("-"), or to the file through a temporary one and a rename, so a
    failed run never leaves half a report behind."""
    if str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    directory = output.resolve().parent
    if not directory.is_dir():
        raise click.FileError(str(output), hint=_("the folder does not exist"))
    write_private(output, data)  # mode 0600 from the start (issue 11, item 5c)


@click.group("report", cls=AppGroup)
def report_group() -> None:
    """Jaarverslag / annual report."""


@report_group.command("build")
@click.option("--year", type=click.IntRange(2000, 9999), required=True,
              help="Verslagjaar / report year.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="pdf", show_default=True,
              help="Bestandsformaat / file format (csv: a zip with one CSV per table).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
              required=True, help="Bestand, of - voor stdout / file, or - for standard output.")
@click.option("--email", help="Vertrouwenspersoon, voor het concept / counsellor, for the "
                              "draft.")
@click.option("--password-stdin", is_flag=True,
              help="Lees het wachtwoord van stdin / read the password from standard input.")
@click.option("--version", "report_version", type=click.IntRange(1, 1000),
              help="Vastgestelde versie (standaard de laatste) / finalised version (default: "
                   "the latest).")
def report_build(year: int, fmt: str, output: Path, email: str | None, password_stdin: bool,
                 report_version: int | None) -> None:
    """Maak het jaarverslag als bestand / write the annual report to a file.

    With --email and --password-stdin: the current draft, built from the cases (marked as a
    draft). Without: the finalised version, as it was released to management.
    """
    if password_stdin and not email:
        _fail(_("Give the counsellor's --email with --password-stdin."))
        return
    if email and report_version is not None:
        _fail(_("--version is for finalised reports: leave out --email and the password."))
        return
    factory: sessionmaker[Session] = app_state().session_factory
    progress = _Progress(_("Cases"))
    # committed when the block ends normally; _fail's exit rolls everything back
    with unit_of_work(factory, _settings(), Actor.system()) as work:
        try:
            if email:
                keys, work.actor = unlock_vault(work, email, password_stdin, False)
                report: AnnualReport = finalising.preview(work.with_keys(keys), year,
                                                          progress=progress)
                progress.close()
                finalising.record_draft_export(work, year, report.version, fmt)
                what = _("draft")
            else:
                stored, report = archive.final_report(work.session, year, report_version)
                finalising.record_download(work, stored, fmt)
                what = _("version %(version)s", version=stored.version)
            data = render(report, fmt)
            _write(data, output)
        except refusals.ReportBlocked as blocked:
            progress.close()
            click.secho(blocked.explanation, err=True)  # for the counsellor; never logged
            _fail(describe(blocked))
            return
        except refusals.NoDraft:
            _fail(_("The annual report of %(year)s has been finalised. Leave out --email to "
                    "get the finalised version, or start a correction on the annual report "
                    "page.", year=year))
            return
        except NotFound:
            _fail(_("There is no finalised annual report of %(year)s. A draft needs a "
                    "counsellor's --email and --password-stdin.", year=year))
            return
        except DomainError as error:
            _fail(describe(error))
            return
        finally:
            progress.close()
    target = _("standard output") if str(output) == "-" else str(output)
    click.echo(_("Annual report %(year)s (%(what)s) written to %(target)s: %(name)s, "
                 "%(size)s bytes.", year=year, what=what, target=target,
                 name=filename(report, fmt), size=len(data)), err=str(output) == "-")


COMMANDS = [report_group]
