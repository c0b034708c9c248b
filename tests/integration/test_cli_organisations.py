"""``vp-registry organisations create|list``, ``--organisation`` and ``db upgrade`` (issue 17).

Through click's runner on the real ``vp-registry`` group, on SQLite by default and on
PostgreSQL when VP_TEST_POSTGRES_URL is set (a client organisation is then a schema).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.support.forms import DEFAULT_PASSWORD
from vp_registry.app_state import organisation_state, practice_state
from vp_registry.cli import main
from vp_registry.db.accounts import User
from vp_registry.db.vault import Vault
from vp_registry.services.infrastructure import schema
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.registry import Organisation

RECOVERY_KEY = re.compile(r"^\s{4}(\S{4}(\s\s\S{4}){6})$", re.MULTILINE)


def run(runner: FlaskCliRunner, *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(main, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return str(result.output)


def find(app: Flask, slug: str) -> Organisation:
    with practice_state(app).session_factory() as session:
        found = registry.find_organisation(session, slug)
    assert found is not None
    return found


def count(app: Flask, organisation: Organisation, model: type) -> int:
    with organisation_state(organisation, app).session_factory() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_create_makes_the_database_the_admin_and_the_vault(app: Flask,
                                                           runner: FlaskCliRunner) -> None:
    output = run(runner, "organisations", "create", "acme", "--name", "Acme Techniek B.V.",
                 "--admin-email", "beheer@acme.example", "--password-stdin",
                 "--min-cell-count", "5", "--setting", "RETENTION_MONTHS=24",
                 stdin=DEFAULT_PASSWORD + "\n")
    assert len(RECOVERY_KEY.findall(output)) == 2  # shown once, on two lines
    acme = find(app, "acme")
    assert acme.settings == {"DISCLOSURE_K": 5, "RETENTION_MONTHS": 24}
    assert organisation_state(acme, app).settings.disclosure_k == 5
    assert count(app, acme, User) == 1 and count(app, acme, Vault) == 1
    home = find_home(app)
    assert count(app, home, User) == 0 and count(app, home, Vault) == 0
    listed = run(runner, "organisations", "list")
    assert "acme" in listed and "/o/acme/" in listed and "Acme Techniek B.V." in listed


def find_home(app: Flask) -> Organisation:
    with practice_state(app).session_factory() as session:
        return registry.home_organisation(session)


@pytest.mark.parametrize(("args", "message"), [
    (["--min-cell-count", "2"], "DISCLOSURE_K"),
    (["--setting", "SECRET_KEY=x"], "SECRET_KEY"),
    (["--setting", "nonsense"], "DISCLOSURE_K=5"),
])
def test_create_refuses_invalid_settings(app: Flask, runner: FlaskCliRunner, args: list[str],
                                         message: str) -> None:
    result = runner.invoke(main, ["organisations", "create", "acme", "--name", "Acme", *args])
    assert result.exit_code == 1 and message in result.output
    with practice_state(app).session_factory() as session:
        assert registry.find_organisation(session, "acme") is None


def test_a_weak_admin_password_creates_nothing(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(main, ["organisations", "create", "acme", "--name", "Acme",
                                  "--admin-email", "beheer@acme.example", "--password-stdin"],
                           input="kort\n")
    assert result.exit_code == 1
    with practice_state(app).session_factory() as session:
        assert registry.find_organisation(session, "acme") is None


def test_every_data_command_acts_on_the_chosen_organisation(
        app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    run(runner, "organisations", "create", "acme", "--name", "Acme")
    acme = find(app, "acme")
    run(runner, "--organisation", "acme", "users", "create", "--email", "vp@acme.example",
        "--name", "VP", "--role", "counsellor", "--password-stdin",
        stdin=DEFAULT_PASSWORD + "\n")
    assert count(app, acme, User) == 1 and count(app, find_home(app), User) == 0
    assert "vp@acme.example" in run(runner, "--organisation", "acme", "users", "list")
    assert "vp@acme.example" not in run(runner, "users", "list")
    monkeypatch.setenv("VP_REGISTRY_ORGANISATION", "acme")
    assert "vp@acme.example" in run(runner, "users", "list")
    assert "OK" in run(runner, "audit", "verify")
    monkeypatch.delenv("VP_REGISTRY_ORGANISATION")
    # init for a client organisation: its first admin, in its database only
    run(runner, "--organisation", "acme", "init", "--admin-email", "beheer@acme.example",
        "--password-stdin", stdin=DEFAULT_PASSWORD + "\n")
    assert count(app, acme, User) == 2 and count(app, find_home(app), User) == 0
    with organisation_state(acme, app).engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM organisations")).scalar() == 0


def test_an_unknown_organisation_ends_the_command(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(main, ["--organisation", "nergens", "users", "list"])
    assert result.exit_code == 1 and "nergens" in result.output
    result = runner.invoke(main, ["--organisation", "home", "organisations", "list"])
    assert result.exit_code == 1


@pytest.mark.usefixtures("one_audit_chain")
def test_db_upgrade_upgrades_every_organisation(app: Flask, runner: FlaskCliRunner) -> None:
    run(runner, "organisations", "create", "acme", "--name", "Acme")
    acme = find(app, "acme")
    engine = organisation_state(acme, app).engine
    schema.downgrade(engine, "0014")
    assert "organisations" not in sa.inspect(engine).get_table_names()
    assert "(2 " in run(runner, "db", "upgrade")
    assert "organisations" in sa.inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM organisations")).scalar() == 0


def test_a_host_without_host_routing_is_pointed_out(app: Flask, runner: FlaskCliRunner) -> None:
    output = run(runner, "organisations", "create", "acme", "--name", "Acme",
                 "--host", "vp.acme.example")
    assert "ORGANISATION_HOSTS" in output
    assert find(app, "acme").host == "vp.acme.example"
