"""The ``users`` commands run in the CLI's unit of work (cli.command_work): create, list,
disable and enable answer alike - an unknown address or a refusal is a message and exit 1,
and nothing of a refused command is stored."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from tests.support.sessions import db_session_for
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry

PASSWORD = "Correct-horse-battery-staple-42"


def _account(app: Flask, email: str) -> tuple[str, bool] | None:
    with app.app_context(), db_session_for(app) as session:
        user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        return None if user is None else (user.role, user.active)


def _actions(app: Flask) -> list[str]:
    with app.app_context(), db_session_for(app) as session:
        return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def test_create_list_disable_and_enable(app: Flask, runner: FlaskCliRunner) -> None:
    for email, role in (("beheer@example.org", "admin"), ("vp@example.org", "counsellor")):
        created = runner.invoke(args=["users", "create", "--email", email, "--name", "Iemand",
                                      "--role", role, "--password-stdin"],
                                input=f"{PASSWORD}\n")
        assert created.exit_code == 0, created.output
    listed = runner.invoke(args=["users", "list"])
    assert "beheer@example.org" in listed.output and "vp@example.org" in listed.output

    assert runner.invoke(args=["users", "disable", "vp@example.org"]).exit_code == 0
    assert _account(app, "vp@example.org") == ("counsellor", False)
    assert runner.invoke(args=["users", "enable", "vp@example.org"]).exit_code == 0
    assert _account(app, "vp@example.org") == ("counsellor", True)
    assert _actions(app)[-4:] == ["account.create", "account.create", "account.disable",
                                  "account.enable"]


def test_unknown_address_and_refusals_are_messages_with_exit_1(
    app: Flask, runner: FlaskCliRunner
) -> None:
    for command in ("disable", "enable"):
        unknown = runner.invoke(args=["users", command, "nobody@example.org"])
        assert unknown.exit_code == 1 and "nobody@example.org" in unknown.output
        assert unknown.exception is None or isinstance(unknown.exception, SystemExit)
    runner.invoke(args=["users", "create", "--email", "beheer@example.org", "--name", "Beheer",
                        "--role", "admin", "--password-stdin"], input=f"{PASSWORD}\n")
    before = _actions(app)
    last_admin = runner.invoke(args=["users", "disable", "beheer@example.org"])
    assert last_admin.exit_code == 1
    assert _account(app, "beheer@example.org") == ("admin", True)
    assert _actions(app) == before  # nothing of the refused command is stored
    weak = runner.invoke(args=["users", "create", "--email", "zwak@example.org", "--name", "Z",
                               "--role", "manager", "--password-stdin"], input="kort\n")
    assert weak.exit_code == 1 and _account(app, "zwak@example.org") is None
