"""``vp-registry pulse`` (issue 16): create a round, codes to a private CSV file, close,
results and a counsellor's release - the same services, one unit of work per command."""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from tests.pulsework import answers, toolbox
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.pulse import PulseCode, PulseRound
from vp_registry.services.pulse import codes, responding, rounds

TODAY = date.today()


@pytest.fixture(autouse=True)
def english(app: Flask) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = "en"


def test_a_round_from_the_command_line_to_its_release(
        app: Flask, settings: Settings, runner: FlaskCliRunner, tmp_path: Path,
        counsellor_with_vault: Callable[..., User]) -> None:
    user = counsellor_with_vault()
    with app.app_context(), db_session_for(app) as db:
        toolbox(db, settings)
        db.commit()
    result = runner.invoke(args=[
        "pulse", "create", "--title", "Pulse voorjaar", "--opens", TODAY.isoformat(),
        "--closes", (TODAY + timedelta(days=14)).isoformat(), "--toolbox", "tb1",
        "--department", "Planning", "--department", "Productie", "--department", "Inkoop"])
    assert result.exit_code == 0, result.output
    with app.app_context(), db_session_for(app) as db:
        row = db.execute(select(PulseRound)).scalar_one()
        round_id, token = row.id, row.public_token
        assert [g.label for g in rounds.groups_of(db, round_id)] == [
            "Inkoop", "Planning", "Productie"]

    output = tmp_path / "codes.csv"
    result = runner.invoke(args=["pulse", "codes", str(round_id), "--count", "12",
                                 "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(output).st_mode) == 0o600
    issued = [line["code"] for line in csv.DictReader(output.read_text().splitlines())]
    assert len(issued) == 12 and issued[0] not in result.output
    again = runner.invoke(args=["pulse", "codes", str(round_id), "--count", "1",
                                "--output", str(output)])
    assert again.exit_code == 1 and "exists already" in again.output

    with app.app_context(), db_session_for(app) as db:
        assert len(db.execute(select(PulseCode)).all()) == 12
        for code in issued[:6]:
            responding.submit_response(db, settings, token, group_key=rounds.groups_of(
                db, round_id)[1].key, answers=answers(), code=code)
        db.commit()
        assert codes.unused_codes(db, round_id) == 6

    refused = runner.invoke(args=["pulse", "release", str(round_id), "--email", user.email,
                                  "--password-stdin"],
                            input=user.test_password + "\n")  # type: ignore[attr-defined]
    assert refused.exit_code == 1 and "Close the round first" in refused.output
    assert runner.invoke(args=["pulse", "close", str(round_id)]).exit_code == 0
    released = runner.invoke(args=["pulse", "release", str(round_id), "--email", user.email,
                                   "--password-stdin"],
                             input=user.test_password + "\n")  # type: ignore[attr-defined]
    assert released.exit_code == 0, released.output
    assert "Planning\t6\t" in released.output and "Inkoop\t< 5" in released.output
    listed = runner.invoke(args=["pulse", "list"])
    assert "released" in listed.output and "Pulse voorjaar" in listed.output


def test_bad_input_exits_with_a_clear_message(app: Flask, settings: Settings,
                                              runner: FlaskCliRunner) -> None:
    with app.app_context(), db_session_for(app) as db:
        toolbox(db, settings)
        db.commit()
    result = runner.invoke(args=[
        "pulse", "create", "--title", "X", "--opens", TODAY.isoformat(),
        "--closes", (TODAY - timedelta(days=1)).isoformat()])
    assert result.exit_code == 1 and "The last day cannot be before the first day" in \
        result.output
    unknown = runner.invoke(args=[
        "pulse", "create", "--title", "X", "--opens", TODAY.isoformat(),
        "--closes", TODAY.isoformat(), "--department", "Nergens"])
    assert unknown.exit_code == 1 and "Unknown department: Nergens" in unknown.output
    missing = runner.invoke(args=["pulse", "close", "999"])
    assert missing.exit_code == 1
