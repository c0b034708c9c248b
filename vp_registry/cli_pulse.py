"""``vp-registry pulse``: the psychological-safety pulse from the command line (issue 16).

The same services as the web pages (:mod:`vp_registry.services.pulse`), each command one unit of
work: ``create`` a round, ``codes`` (invitation codes to a CSV file, written once with mode
0600: the registry keeps only keyed hashes), ``close``, ``list``, ``results`` (the released
result, or the protected preview) and ``release`` (a counsellor, with their password). Every
failure prints a clear message and exits non-zero; no code or free text is ever logged.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy.orm import Session, sessionmaker

from vp_registry.app_state import app_state
from vp_registry.cli_cases import unlock_keys
from vp_registry.config import Settings
from vp_registry.core.private_files import write_private
from vp_registry.core.pulse.questions import TOOLBOX_CODES
from vp_registry.core.pulse.results import RoundResult
from vp_registry.messages import describe
from vp_registry.services.accounts import organisation
from vp_registry.services.errors import DomainError
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.pulse import codes, results, rounds
from vp_registry.services.work import unit_of_work


def _settings() -> Settings:
    value: Settings = app_state().settings
    return value


def _factory() -> sessionmaker[Session]:
    factory: sessionmaker[Session] = app_state().session_factory
    return factory


def _fail(text: str) -> None:
    click.secho(text, fg="red", err=True)
    sys.exit(1)


@click.group("pulse", cls=AppGroup)
def pulse_group() -> None:
    """Pulsmeting psychologische veiligheid / psychological-safety pulse."""


def _department_ids(session: Session, names: tuple[str, ...]) -> list[int]:
    known = {d.name.lower(): d.id for d in organisation.list_departments(session,
                                                                        active_only=True)}
    if not names:
        return list(known.values())
    missing = [name for name in names if name.lower() not in known]
    if missing:
        _fail(_("Unknown department: %(names)s.", names=", ".join(missing)))
    return [known[name.lower()] for name in names]


@pulse_group.command("create")
@click.option("--title", required=True, help="Titel / title.")
@click.option("--opens", "opens_on", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="Eerste dag / first day (YYYY-MM-DD).")
@click.option("--closes", "closes_on", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="Laatste dag / last day (YYYY-MM-DD).")
@click.option("--department", "departments", multiple=True,
              help="Afdeling (naam), herhaalbaar; standaard alle / department (name), "
                   "repeatable; default all.")
@click.option("--toolbox", "toolbox", multiple=True, type=click.Choice(TOOLBOX_CODES),
              help="Extra vraag uit de toolbox / extra toolbox question.")
@click.option("--statement", "custom", multiple=True,
              help="Eigen stelling, herhaalbaar / own statement, repeatable.")
@click.option("--open-round", is_flag=True,
              help="Zonder uitnodigingscodes / without invitation codes.")
@click.option("--no-free-text", is_flag=True, help="Zonder open vraag / without free text.")
def pulse_create(title: str, opens_on: datetime, closes_on: datetime,
                 departments: tuple[str, ...],
                 toolbox: tuple[str, ...], custom: tuple[str, ...], open_round: bool,
                 no_free_text: bool) -> None:
    """Maak een ronde / create a round."""
    with unit_of_work(_factory(), _settings(), Actor.system()) as work:
        try:
            row = rounds.create_round(
                work, title=title, opens_on=opens_on.date(), closes_on=closes_on.date(),
                department_ids=_department_ids(work.session, departments),
                statement_codes=toolbox, custom_statements=custom,
                with_codes=not open_round, free_text=not no_free_text)
        except DomainError as error:
            _fail(describe(error))
            return
        groups = rounds.groups_of(work.session, row.id)
        click.echo(_("Round %(id)s created with %(groups)s groups. Public token: %(token)s",
                     id=row.id, groups=len(groups), token=row.public_token))


@pulse_group.command("codes")
@click.argument("round_id", type=click.IntRange(1))
@click.option("--count", type=click.IntRange(1, codes.MAX_CODES_AT_ONCE), required=True,
              help="Aantal codes / number of codes.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV-bestand / CSV file.")
def pulse_codes(round_id: int, count: int, output: Path) -> None:
    """Maak uitnodigingscodes als CSV / write invitation codes to a CSV file."""
    if output.exists():
        _fail(_("%(path)s exists already: choose a new file.", path=output))
        return
    with unit_of_work(_factory(), _settings(), Actor.system()) as work:
        try:
            issued = codes.issue_codes(work, round_id, count)
        except DomainError as error:
            _fail(describe(error))
            return
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["code"])
        writer.writerows([code] for code in issued)
        write_private(output, text.getvalue().encode())
    click.echo(_("%(count)s codes written to %(path)s. They are shown only once: the "
                 "registry keeps no copy.", count=count, path=output))


@pulse_group.command("close")
@click.argument("round_id", type=click.IntRange(1))
def pulse_close(round_id: int) -> None:
    """Sluit een ronde / close a round."""
    with unit_of_work(_factory(), _settings(), Actor.system()) as work:
        try:
            rounds.close_round(work, round_id)
        except DomainError as error:
            _fail(describe(error))
            return
    click.echo(_("Round %(id)s is closed.", id=round_id))


@pulse_group.command("list")
def pulse_list() -> None:
    """Toon de rondes / list the rounds."""
    with unit_of_work(_factory(), _settings(), Actor.system()) as work:
        for row in rounds.list_rounds(work.session):
            released = results.released_results(work.session, row.id) is not None
            click.echo(f"{row.id}\t{row.opens_on}\t{row.closes_on}\t{rounds.state(row)}\t"
                       f"{'released' if released else '-'}\t{row.title}")


def _print(result: RoundResult) -> None:
    click.echo(f"{result.title} ({result.opens_on} - {result.closes_on})")
    for group in (*result.groups, result.organisation):
        if group.shown:
            click.echo(f"  {group.label}\t{group.responses}\t{group.score}")
        else:
            click.echo(f"  {group.label}\t< {result.minimum}\t-")


@pulse_group.command("results")
@click.argument("round_id", type=click.IntRange(1))
def pulse_results(round_id: int) -> None:
    """Toon de resultaten (vrijgegeven, anders de beschermde voorvertoning) / show the
    results (released, else the protected preview)."""
    with unit_of_work(_factory(), _settings(), Actor.system()) as work:
        try:
            result = results.released_results(work.session, round_id) or \
                results.round_results(work.session, work.settings, round_id)
        except DomainError as error:
            _fail(describe(error))
            return
        _print(result)


@pulse_group.command("release")
@click.argument("round_id", type=click.IntRange(1))
@click.option("--email", required=True, help="Vertrouwenspersoon / counsellor.")
@click.option("--password-stdin", is_flag=True,
              help="Lees het wachtwoord van stdin / read the password from standard input.")
def pulse_release(round_id: int, email: str, password_stdin: bool) -> None:
    """Geef de resultaten vrij aan het management / release the results to management."""
    with unit_of_work(_factory(), _settings(), Actor.system()) as work:
        _keys, work.actor = unlock_keys(work, email, password_stdin, False)
        try:
            result = results.release_results(work, round_id)
        except DomainError as error:
            _fail(describe(error))
            return
        _print(result)
    click.echo(_("The results of round %(id)s are released.", id=round_id))


COMMANDS = [pulse_group]
