"""``vp-registry organisations export|import|delete`` (issue 17) through click's runner: the
messages (in the default locale, Dutch), the exit codes, the typed confirmation and the
recovery key from a file or stdin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import Result
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from tests.organisationwork import create_client, databases_of, key_material, main_work
from vp_registry import cli_organisation_data
from vp_registry.config import Settings
from vp_registry.db.vault import Vault
from vp_registry.services.infrastructure import backup
from vp_registry.services.organisations import registry


@pytest.fixture(autouse=True)
def _close_client_databases(app: Flask) -> Iterator[None]:
    yield
    databases_of(app).dispose_all()


def _run(app: Flask, runner: FlaskCliRunner, command: click.Command, *args: str,
         input: str | None = None) -> Result:
    with app.app_context():
        return runner.invoke(command, list(args), input=input)


def test_export_import_and_delete_from_the_command_line(
    app: Flask, settings: Settings, runner: FlaskCliRunner,
    tmp_path_factory: pytest.TempPathFactory
) -> None:
    acme = create_client(app, settings, "acme")
    folder = tmp_path_factory.mktemp("exports")
    path = folder / "acme.vpexport"
    result = _run(app, runner, cli_organisation_data.export_command, "acme", "--output",
                  str(path))
    assert result.exit_code == 0, result.output
    assert "Alleen de herstelsleutel van de organisatie opent hem" in result.output
    assert acme.recovery_key not in result.output and path.exists()

    key_file = folder / "key.txt"
    key_file.write_text(acme.recovery_key + "\n")
    result = _run(app, runner, cli_organisation_data.import_command, str(path), "--slug",
                  "acme-terug", "--recovery-key-file", str(key_file))
    assert result.exit_code == 0, result.output
    assert "teruggezet" in result.output and "Auditlog: in orde" in result.output
    result = _run(app, runner, cli_organisation_data.import_command, str(path), "--slug",
                  "acme-twee", "--recovery-key-stdin", input="AAAA-BBBB\n")
    assert result.exit_code == 1 and "herstelsleutel is niet geldig" in result.output

    result = _run(app, runner, cli_organisation_data.delete_command, "acme", input="acm\n")
    assert result.exit_code == 1 and "Niet bevestigd" in result.output
    assert databases_of(app).exists(acme.organisation)
    result = _run(app, runner, cli_organisation_data.delete_command, "acme", input="acme\n")
    assert result.exit_code == 0, result.output
    assert "sleutels overschreven" in result.output
    assert not databases_of(app).exists(acme.organisation)
    with main_work(app, settings) as work:
        assert registry.find_organisation(work.session, "acme") is None
        assert registry.find_organisation(work.session, "acme-terug") is not None


def test_delete_without_a_recent_export_is_refused_with_the_way_out(
    app: Flask, settings: Settings, runner: FlaskCliRunner
) -> None:
    acme = create_client(app, settings, "acme", data=False)
    result = _run(app, runner, cli_organisation_data.delete_command, "acme", input="acme\n")
    assert result.exit_code == 1 and "--without-export" in result.output
    assert databases_of(app).exists(acme.organisation)
    result = _run(app, runner, cli_organisation_data.delete_command, "acme",
                  "--without-export", input="acme\n")
    assert result.exit_code == 0, result.output
    assert not databases_of(app).exists(acme.organisation)


def test_unknown_or_home_organisations_are_refused(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    for slug in ("onbekend", "home"):
        result = _run(app, runner, cli_organisation_data.export_command, slug, "--output",
                      str(tmp_path / "x.vpexport"))
        assert result.exit_code == 1, result.output
        result = _run(app, runner, cli_organisation_data.delete_command, slug,
                      "--without-export", input=f"{slug}\n")
        assert result.exit_code == 1, result.output
    assert not (tmp_path / "x.vpexport").exists()


def _as(app: Flask, slug: str) -> ScriptInfo:
    """``vp-registry --organisation SLUG``: what the option leaves for the command."""
    info = ScriptInfo(create_app=lambda: app)
    info.data["organisation"] = slug
    return info


def test_keys_rotate_retention_and_backup_act_on_the_chosen_organisation_only(
    app: Flask, settings: Settings, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    acme = create_client(app, settings, "acme")
    bolt = create_client(app, settings, "bolt")
    bolt_keys = key_material(bolt)
    result = runner.invoke(args=["keys", "rotate", "--recovery-key-stdin"],
                           input=acme.recovery_key + "\n", obj=_as(app, "acme"))
    assert result.exit_code == 0, result.output
    with acme.factory() as session:
        assert session.scalar(select(Vault.key_version)) == 2
    with bolt.factory() as session:
        assert session.scalar(select(Vault.key_version)) == 1
    assert key_material(bolt) == bolt_keys
    # bolt's recovery key does not rotate acme
    result = runner.invoke(args=["keys", "rotate", "--recovery-key-stdin"],
                           input=bolt.recovery_key + "\n", obj=_as(app, "acme"))
    assert result.exit_code == 1

    result = runner.invoke(args=["retention", "purge", "--dry-run"], obj=_as(app, "bolt"))
    assert result.exit_code == 0, result.output
    path = tmp_path / "bolt.vpbackup"
    result = runner.invoke(args=["backup", "create", "--output", str(path)],
                           obj=_as(app, "bolt"))
    assert result.exit_code == 0, result.output
    _, tables = backup.read_backup(path, settings.backup_key)
    assert [row["email"] for row in tables["users"]] == ["vp@bolt.example.org"]
    result = runner.invoke(args=["audit", "verify"], obj=_as(app, "acme"))
    assert result.exit_code == 0 and "OK" in result.output
    result = runner.invoke(args=["keys", "rotate", "--recovery-key-stdin"],
                           input=acme.recovery_key + "\n", obj=_as(app, "onbekend"))
    assert result.exit_code == 1


def test_the_commands_are_in_the_organisations_group(
    app: Flask, settings: Settings, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    create_client(app, settings, "acme", data=False)
    path = tmp_path / "acme.vpexport"
    result = runner.invoke(args=["organisations", "export", "acme", "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert path.exists()
    result = runner.invoke(args=["organisations", "delete", "acme"], input="acme\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["organisations", "delete", "acme"], input="acme\n",
                           obj=_as(app, "acme"))  # the group acts on the installation
    assert result.exit_code == 1
