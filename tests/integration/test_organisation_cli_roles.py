"""``vp-registry --organisation SLUG users create --role practice_admin`` is refused (issue 17):
a practice admin belongs to the practice's own (home) database only - in a client
organisation it would be an account of that client that can create organisations."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.integration.test_cli_organisations import count, find, run
from tests.support.forms import DEFAULT_PASSWORD
from vp_registry.app_state import practice_state
from vp_registry.cli import main
from vp_registry.db.accounts import User


def _client(runner: FlaskCliRunner) -> None:
    run(runner, "organisations", "create", "klant-a", "--name", "Klant A B.V.",
        "--admin-email", "beheer@klant-a.example", "--password-stdin",
        stdin=DEFAULT_PASSWORD + "\n")


def test_a_practice_admin_is_refused_in_a_client_organisation(app: Flask,
                                                               runner: FlaskCliRunner) -> None:
    _client(runner)
    result = runner.invoke(main, ["--organisation", "klant-a", "users", "create", "--email",
                                  "praktijk@example.org", "--name", "Praktijk",
                                  "--role", "practice_admin", "--password-stdin"],
                           input=DEFAULT_PASSWORD + "\n")
    assert result.exit_code == 1
    assert "--organisation" in result.output  # says how to do it instead
    assert count(app, find(app, "klant-a"), User) == 1  # only its first admin


def test_a_practice_admin_is_made_in_the_home_organisation(app: Flask,
                                                           runner: FlaskCliRunner) -> None:
    run(runner, "users", "create", "--email", "praktijk@example.org", "--name", "Praktijk",
        "--role", "practice_admin", "--password-stdin", stdin=DEFAULT_PASSWORD + "\n")
    with practice_state(app).session_factory() as session:
        assert session.scalar(sa.select(User.role).where(
            User.email == "praktijk@example.org")) == "practice_admin"


def test_other_roles_are_made_in_a_client_organisation(app: Flask,
                                                       runner: FlaskCliRunner) -> None:
    _client(runner)
    run(runner, "--organisation", "klant-a", "users", "create", "--email", "vp@klant-a.example",
        "--name", "VP", "--role", "counsellor", "--password-stdin",
        stdin=DEFAULT_PASSWORD + "\n")
    assert count(app, find(app, "klant-a"), User) == 2
