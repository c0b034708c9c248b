"""``vp-registry report build``: the draft with a counsellor's password (from the decrypted
cases, marked as a draft), the finalised version without one (from its frozen JSON); clear
errors and a non-zero exit otherwise; a progress bar on large data."""

from __future__ import annotations

import csv
import io
import os
import stat
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from tests.casework import unlock
from tests.reportwork import seed_activities, seed_year
from tests.support.sessions import db_session_for
from vp_registry import cli_reports
from vp_registry.config import Settings
from vp_registry.core.report import ReportTexts
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import archive, drafts, finalising
from vp_registry.services.work import Work

TODAY = date.today()
YEAR = TODAY.year - 1


@pytest.fixture(autouse=True)
def english(app: Flask) -> None:
    """These tests read the English source strings (the CLI speaks the default locale)."""
    app.config["BABEL_DEFAULT_LOCALE"] = "en"


@pytest.fixture
def counsellor(app: Flask, settings: Settings, counsellor_with_vault: Callable[..., User]
               ) -> User:
    user = counsellor_with_vault()
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, user)
        actor = Actor(user.id, "counsellor")
        seed_year(session, settings, actor, keys, YEAR, today=TODAY)
        seed_activities(session, settings, actor, keys, YEAR, today=TODAY)
        drafts.save_texts(Work(session, settings, actor, keys=keys), YEAR, 0, ReportTexts(
            "Inleiding van de vertrouwenspersoon.", "Aanbeveling: blijf investeren."), "nl")
        session.commit()
    return user


def _finalise(app: Flask, settings: Settings, user: User) -> None:
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, user)
        draft = drafts.get_draft(Work(session, settings, Actor.anonymous(), keys=keys), YEAR)
        assert draft is not None
        finalising.finalise(Work(session, settings, Actor(user.id, "counsellor"), keys=keys), YEAR,
                            draft.revision)
        session.commit()


def _build(runner: FlaskCliRunner, output: Path, fmt: str, *extra: str, stdin: str = ""
           ) -> object:
    return runner.invoke(args=["report", "build", "--year", str(YEAR), "--format", fmt,
                               "--output", str(output), *extra], input=stdin)


def _csv_tables(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")),
                                      delimiter=";"))
                for name in archive.namelist()}


def _audit(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context(), db_session_for(app) as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                    ).scalars())


def test_draft_with_the_counsellors_password(
    app: Flask, runner: FlaskCliRunner, counsellor: User, tmp_path: Path
) -> None:
    output = tmp_path / "concept.zip"
    result = _build(runner, output, "csv", "--email", counsellor.email, "--password-stdin",
                    stdin=counsellor.test_password + "\n")  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"jaarverslag-vertrouwenspersoon-{YEAR}-concept.csv.zip" in result.output  # type: ignore[attr-defined]
    tables = _csv_tables(output.read_bytes())
    key = next(rows for name, rows in tables.items() if "kerncijfers" in name)
    # opened, closed and carried over are withheld next to a hidden category total (issue 12)
    assert [f"Afgesloten meldingen in {YEAR}", "x"] in key
    assert [f"Gesprekken in {YEAR}", "15"] in key
    assert len(_audit(app, "report.draft_export")) == 1
    with app.app_context(), db_session_for(app) as session:
        assert archive.published(session) == []


def test_the_report_file_is_readable_by_its_owner_only(
    runner: FlaskCliRunner, counsellor: User, tmp_path: Path
) -> None:
    """Issue 11, item 5c: a report file written by the command line is mode 0600, whatever
    the umask (a draft holds the counsellor's own texts)."""
    previous = os.umask(0o022)
    try:
        output = tmp_path / "concept.html"
        result = _build(runner, output, "html", "--email", counsellor.email, "--password-stdin",
                        stdin=counsellor.test_password + "\n")  # type: ignore[attr-defined]
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert stat.S_IMODE(output.stat().st_mode) == 0o600


def test_final_version_without_a_password(
    app: Flask, settings: Settings, runner: FlaskCliRunner, counsellor: User, tmp_path: Path
) -> None:
    output = tmp_path / "report.xlsx"
    missing = _build(runner, output, "xlsx")
    assert missing.exit_code == 1  # type: ignore[attr-defined]
    assert f"There is no finalised annual report of {YEAR}" in missing.output  # type: ignore[attr-defined]
    assert not output.exists()

    _finalise(app, settings, counsellor)
    result = _build(runner, output, "xlsx")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "(version 1)" in result.output  # type: ignore[attr-defined]
    workbook = load_workbook(output)
    values = [c.value for s in workbook.worksheets for r in s.iter_rows() for c in r]
    assert 15 in values and "Aanbeveling: blijf investeren." not in values  # texts: not tables
    entry = _audit(app, "report.download")[0]
    assert entry.actor_role == "system" and '"format":"xlsx"' in entry.details

    html_out = tmp_path / "report.html"
    assert _build(runner, html_out, "html", "--version", "1").exit_code == 0  # type: ignore[attr-defined]
    assert "Aanbeveling: blijf investeren." in html_out.read_text(encoding="utf-8")
    assert _build(runner, html_out, "html", "--version", "2").exit_code == 1  # type: ignore[attr-defined]

    # the draft is gone: the counsellor is told to use the final version or correct it
    again = _build(runner, tmp_path / "x.csv", "csv", "--email", counsellor.email,
                   "--password-stdin", stdin=counsellor.test_password + "\n")  # type: ignore[attr-defined]
    assert again.exit_code == 1 and "has been finalised" in again.output  # type: ignore[attr-defined]


def test_clear_errors_and_non_zero_exit(
    runner: FlaskCliRunner, counsellor: User, tmp_path: Path
) -> None:
    output = tmp_path / "r.csv"
    wrong = _build(runner, output, "csv", "--email", counsellor.email, "--password-stdin",
                   stdin="not-the-password\n")
    assert wrong.exit_code == 1 and "not correct" in wrong.output  # type: ignore[attr-defined]
    no_email = _build(runner, output, "csv", "--password-stdin", stdin="x\n")
    assert no_email.exit_code == 1 and "--email" in no_email.output  # type: ignore[attr-defined]
    bad_format = _build(runner, output, "odt")
    assert bad_format.exit_code != 0  # type: ignore[attr-defined]
    no_folder = _build(runner, tmp_path / "missing" / "r.csv", "csv", "--email",
                       counsellor.email, "--password-stdin",
                       stdin=counsellor.test_password + "\n")  # type: ignore[attr-defined]
    assert no_folder.exit_code != 0  # type: ignore[attr-defined]
    assert not output.exists()


def test_progress_bar_on_large_data(
    runner: FlaskCliRunner, counsellor: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_reports, "PROGRESS_FROM", 1)  # our 15 cases count as large
    result = _build(runner, tmp_path / "r.html", "html", "--email", counsellor.email,
                    "--password-stdin", stdin=counsellor.test_password + "\n")  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "Cases" in result.stderr  # type: ignore[attr-defined]
