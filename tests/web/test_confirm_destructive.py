"""Destructive actions always confirm (issue 14, forms): deleting an activity and disabling an
account first show a page that says what will happen, with a confirm button and a way back;
only the confirmed form acts. An admin is not offered to disable their own account.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.support.forms import AuthActions, post_form
from tests.support.sessions import db_session_for
from vp_registry.db.accounts import User
from vp_registry.db.reports import Activity


def _activity_count(app: Flask) -> int:
    with app.app_context(), db_session_for(app) as session:
        return int(session.execute(select(func.count()).select_from(Activity)).scalar_one())


def _is_active(app: Flask, user_id: int) -> bool:
    with app.app_context(), db_session_for(app) as session:
        return bool(session.get(User, user_id).active)  # type: ignore[union-attr]


def test_deleting_an_activity_asks_first(app: Flask, client: FlaskClient, counsellor: User
                                         ) -> None:
    assert post_form(client, "/activities/new", {
        "held_on": "2026-03-12", "activity_type": "training", "hours": "2",
        "description": "Training omstandersgedrag"}).status_code == 302
    page = client.get("/activities?year=2026").get_data(as_text=True)
    activity_id = re.search(r"/activities/(\d+)/edit", page).group(1)  # type: ignore[union-attr]
    revision = re.search(r'name="revision" value="(\d+)"', page).group(1)  # type: ignore[union-attr]

    asked = post_form(client, f"/activities/{activity_id}/delete", {"revision": revision},
                      form_page="/activities?year=2026")
    assert asked.status_code == 200
    text = asked.get_data(as_text=True)
    assert "Training omstandersgedrag" in text  # says what would be deleted
    assert 'name="confirmed" value="1"' in text and "/activities?year=2026" in text  # back
    assert _activity_count(app) == 1

    done = post_form(client, f"/activities/{activity_id}/delete",
                     {"revision": revision, "confirmed": "1"}, form_page="/activities?year=2026")
    assert done.status_code == 302
    assert _activity_count(app) == 0


def test_disabling_an_account_asks_first_enabling_does_not(
    app: Flask, client: FlaskClient, auth: AuthActions, create_user: Callable[..., User],
) -> None:
    admin = create_user("admin")
    colleague = create_user("counsellor", display_name="Piet Pieters")
    assert auth.login(admin).status_code == 302

    asked = post_form(client, f"/admin/users/{colleague.id}/active", {"active": "0"},
                      form_page="/admin/users")
    assert asked.status_code == 200
    text = asked.get_data(as_text=True)
    assert "Piet Pieters" in text and 'name="confirmed" value="1"' in text
    assert _is_active(app, colleague.id)

    done = post_form(client, f"/admin/users/{colleague.id}/active",
                     {"active": "0", "confirmed": "1"}, form_page="/admin/users")
    assert done.status_code == 302 and not _is_active(app, colleague.id)

    enabled = post_form(client, f"/admin/users/{colleague.id}/active", {"active": "1"},
                        form_page="/admin/users")
    assert enabled.status_code == 302 and _is_active(app, colleague.id)


def test_an_admin_is_not_offered_to_disable_their_own_account(
    client: FlaskClient, auth: AuthActions, create_user: Callable[..., User],
) -> None:
    admin = create_user("admin")
    other = create_user("manager")
    assert auth.login(admin).status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    forms = re.findall(r'action="/admin/users/(\d+)/active"', page)
    assert str(other.id) in forms
    assert str(admin.id) not in forms
