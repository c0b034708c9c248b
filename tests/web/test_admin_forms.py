"""The administrator's department and category forms (one flow, web/admin/views._saved): a
valid form is saved, audited and goes back to the list; a refusal is shown at its field and
stores nothing."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.support.forms import post_form
from tests.support.sessions import db_session_for
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.db.organisation import Category, Department


def _rows(app: Flask, kind: type[Department] | type[Category]) -> list[tuple[object, ...]]:
    with app.app_context(), db_session_for(app) as session:
        if kind is Department:
            return [(d.id, d.name, d.headcount, d.active)
                    for d in session.execute(select(Department)).scalars()]
        return [(c.id, c.code, c.label_nl, c.active)
                for c in session.execute(select(Category).order_by(Category.id)).scalars()]


def _actions(app: Flask) -> list[str]:
    with app.app_context(), db_session_for(app) as session:
        return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def test_a_department_is_created_and_edited_and_a_refusal_shows_at_the_name(
    app: Flask, client: FlaskClient, login_as: Callable[[str], User]
) -> None:
    login_as("admin")
    created = post_form(client, "/admin/departments/new",
                        {"name": "Magazijn", "headcount": "27", "parent_id": "0", "active": "y"})
    assert created.status_code == 302 and created.headers["Location"].endswith(
        "/admin/departments")
    [(department_id, name, headcount, active)] = _rows(app, Department)
    assert (name, headcount, active) == ("Magazijn", 27, True)

    twin = post_form(client, "/admin/departments/new",
                     {"name": "magazijn", "headcount": "3", "parent_id": "0"})
    assert twin.status_code == 200
    assert "Er bestaat al een afdeling met de naam magazijn." in twin.get_data(as_text=True)
    assert len(_rows(app, Department)) == 1

    edited = post_form(client, f"/admin/departments/{department_id}",
                       {"name": "Magazijn Noord", "headcount": "30", "parent_id": "0"})
    assert edited.status_code == 302
    assert _rows(app, Department) == [(department_id, "Magazijn Noord", 30, False)]
    assert _actions(app)[-2:] == ["department.create", "department.update"]


def test_a_category_is_created_and_retired_and_a_bad_code_is_refused(
    app: Flask, client: FlaskClient, login_as: Callable[[str], User]
) -> None:
    login_as("admin")
    before = _rows(app, Category)
    bad = post_form(client, "/admin/categories/new",
                    {"code": "Not A Code", "label_nl": "Iets", "label_en": "Something"})
    assert bad.status_code == 200
    assert "De code moet bestaan uit 2 tot 40 kleine letters" in bad.get_data(as_text=True)
    assert _rows(app, Category) == before

    created = post_form(client, "/admin/categories/new",
                        {"code": "roddel", "label_nl": "Roddelen", "label_en": "Gossip",
                         "active": "y"})
    assert created.status_code == 302 and created.headers["Location"].endswith(
        "/admin/categories")
    category_id, code, label_nl, active = _rows(app, Category)[-1]
    assert (code, label_nl, active) == ("roddel", "Roddelen", True)

    retired = post_form(client, f"/admin/categories/{category_id}",
                        {"label_nl": "Roddel", "label_en": "Gossip"})
    assert retired.status_code == 302
    assert _rows(app, Category)[-1] == (category_id, "roddel", "Roddel", False)
    assert _actions(app)[-2:] == ["category.create", "category.retire"]
