"""The admin's audit log read by a person (issue 14): a Dutch description per event instead of
the raw code, the time in the organisation's time zone on one line, the raw code and the
details one click away, and a filter by kind of event and period (local days)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.web.admin import audit_labels

PACKAGE = Path(__file__).resolve().parents[2] / "vp_registry"
ACTION = re.compile(r"[a-z_]+(?:\.[a-z_]+)?")
AUDIT_CALLS = {"record", "record_dated", "_audit", "audit", "audit_case"}  # Work.audit, cases


def recorded_actions() -> set[str]:
    """Every action code the code base writes to the log: the string arguments of the audit
    calls (and of the services' ``_audit`` helpers) and the ``action = "..."`` choices passed
    to them."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name in AUDIT_CALLS:
                    values = list(node.args)
            elif isinstance(node, ast.Assign) and any(
                    isinstance(target, ast.Name) and target.id == "action"
                    for target in node.targets):
                values = [node.value]
            for value in values:
                if (isinstance(value, ast.Constant) and isinstance(value.value, str)
                        and ACTION.fullmatch(value.value)
                        and ("." in value.value or value.value == "logout")):
                    found.add(value.value)
    return found


def test_every_recorded_action_has_a_description_and_a_kind() -> None:
    actions = recorded_actions()
    assert {"login.success", "case.read", "contact.receive", "logout"} <= actions
    assert sorted(actions - set(audit_labels.ACTIONS)) == []
    assert [a for a in actions if not any(k.holds(a) for k in audit_labels.EVENT_KINDS)] == []


def _rows(page: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)]


def _cells(page: str, name: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(rf'<td class="{name}"[^>]*>(.*?)</td>', page, re.S)]


@pytest.fixture
def admin(client: FlaskClient, create_user: Callable[..., User]) -> User:
    from tests.support.forms import AuthActions

    user = create_user("admin")
    assert AuthActions(client).login(user).status_code == 302
    return user


def _record_at(app: Flask, settings: Settings, monkeypatch: pytest.MonkeyPatch, at: datetime,
               action: str, **fields: object) -> None:
    monkeypatch.setattr(audit, "utcnow", lambda: at)
    with app.app_context(), db_session_for(app) as session:
        audit.record(session, settings.audit_key, Actor.system(), action, **fields)  # type: ignore[arg-type]
        session.commit()
    monkeypatch.undo()


def test_entries_read_in_dutch_with_local_time_and_details_folded(
        app: Flask, settings: Settings, client: FlaskClient, admin: User,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # 22:30 UTC on 1 July is 00:30 on 2 July in Amsterdam (summer time)
    _record_at(app, settings, monkeypatch, datetime(2026, 7, 1, 22, 30, 5), "case.read",
               target_type="case", target_id="VP-2026-7KQ3")
    page = client.get("/admin/audit").get_data(as_text=True)
    descriptions = _cells(page, "event")
    assert "Ingelogd" in descriptions, descriptions  # the admin's own login
    assert "Melding bekeken" in descriptions
    assert not [d for d in descriptions if re.search(r"\b[a-z_]+\.[a-z_]+\b", d)], descriptions
    row = next(r for r in _rows(page) if "Melding bekeken" in r)
    assert "2 jul 2026 00:30:05" in row, row
    assert "Melding VP-2026-7KQ3" in row, row
    # the code and the details are there, folded
    assert re.search(r"<details>\s*<summary>.*?</summary>.*?<code>case\.read</code>", page, re.S)
    assert "(UTC)" not in page


def test_channel_entries_keep_their_date_only(
        app: Flask, settings: Settings, client: FlaskClient, admin: User) -> None:
    with app.app_context(), db_session_for(app) as session:
        audit.record_dated(session, Actor.anonymous(), "contact.receive")
        session.commit()
        audit.chain_waiting(session, settings.audit_key, before=date(2999, 1, 1))
        session.commit()
    page = client.get("/admin/audit").get_data(as_text=True)
    row = next(r for r in _rows(page) if "Anoniem bericht ontvangen" in r)
    assert not re.search(r"\d\d:\d\d", row), row


def test_filter_by_kind_of_event_and_local_period(
        app: Flask, settings: Settings, client: FlaskClient, admin: User,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _record_at(app, settings, monkeypatch, datetime(2026, 7, 1, 22, 30), "case.read",
               target_type="case", target_id="VP-2026-AAAA")  # 2 July, Amsterdam
    _record_at(app, settings, monkeypatch, datetime(2026, 7, 1, 21, 30), "case.update",
               target_type="case", target_id="VP-2026-BBBB")  # 1 July, 23:30 Amsterdam
    _record_at(app, settings, monkeypatch, datetime(2026, 7, 2, 9, 0), "login.failed")

    page = client.get("/admin/audit?kind=cases").get_data(as_text=True)
    assert set(_cells(page, "event")) == {"Melding bekeken", "Melding gewijzigd"}
    assert "2 meldingen" not in page  # (the count speaks of entries, not of cases)

    page = client.get("/admin/audit?kind=cases&date_from=2026-07-02&date_to=2026-07-02")
    assert _cells(page.get_data(as_text=True), "event") == ["Melding bekeken"]

    page = client.get("/admin/audit?date_from=2026-07-02&date_to=2026-07-02")
    assert _cells(page.get_data(as_text=True), "event") == ["Inloggen mislukt",
                                                            "Melding bekeken"]

    page = client.get("/admin/audit?kind=login&date_to=2026-07-01").get_data(as_text=True)
    assert _cells(page, "event") == []

    # one action, chosen by its description
    page = client.get("/admin/audit?action=case.update").get_data(as_text=True)
    assert _cells(page, "event") == ["Melding gewijzigd"]
    assert re.search(r'<option [^>]*value="case.update">Melding gewijzigd</option>', page)

    # an unknown kind is ignored, not a server error
    assert client.get("/admin/audit?kind=nonsense").status_code == 200


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", ""])
def test_an_unknown_time_zone_is_refused_at_start(settings: Settings, zone: str) -> None:
    from vp_registry.config import ConfigurationError

    with pytest.raises(ConfigurationError, match="TIME_ZONE"):
        settings.with_overrides(time_zone=zone).validated()
