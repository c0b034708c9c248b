"""The logged-in user read with the session row as columns, not as an ORM object (issue 15).

``current_user`` is a :class:`SessionUser` copied from the session row's statement; nothing
of it is kept between requests, so a change made by another request or worker (name, role,
language, a disabled account, a password change pending) is seen by the very next request.
No test here measures time (figures: benchmarks/bench_lean.py, docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask import Flask, g
from flask.testing import FlaskClient
from flask_login import current_user
from sqlalchemy import update

from tests.casework import case_input, department, unlock
from tests.support.forms import post_form
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.cases import conversations, lifecycle
from vp_registry.services.cases.records import ContactInput
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work
from vp_registry.web.auth.loading import SessionUser

TODAY = date.today()


def _seen_per_request(app: Flask) -> list[tuple[Any, list[Any]]]:
    """For each request from here on: its current_user and the ORM objects in its unit of
    work at the end of the view."""
    seen: list[tuple[Any, list[Any]]] = []

    def note(response: Any) -> Any:
        session = g.get("db_session")
        objects = list(session.identity_map.values()) if session is not None else []
        seen.append((current_user._get_current_object(), objects))
        return response

    app.after_request_funcs.setdefault(None, []).insert(0, note)
    return seen


def _set(app: Flask, user_id: int, **values: Any) -> None:
    """Another unit of work (another request or worker) changes the account."""
    with db_session_for(app) as session:
        session.execute(update(User).where(User.id == user_id).values(**values))
        session.commit()


def test_a_logged_in_page_loads_no_orm_user(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """The page's user is a copy of the columns it needs; no User object is loaded into the
    request's unit of work (it was, on every logged-in page)."""
    user = login_as("counsellor")
    seen = _seen_per_request(app)
    page = client.get("/start")
    assert page.status_code == 200
    (who, objects), = seen
    assert who == SessionUser(user.id, "counsellor", user.display_name, user.email,
                              user.locale)
    assert who.is_authenticated and who.get_id() == str(user.id)
    assert not [obj for obj in objects if isinstance(obj, User)]
    assert user.display_name in page.get_data(as_text=True)


def test_a_change_by_another_request_is_seen_by_the_next(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """Nothing of the user is kept between requests: name and role changed elsewhere show on
    the next page, and a disabled account or a pending password change ends the access."""
    user = login_as("counsellor")
    assert client.get("/start").status_code == 200
    _set(app, user.id, display_name="Renamed Elsewhere")
    assert "Renamed Elsewhere" in client.get("/start").get_data(as_text=True)
    _set(app, user.id, role="manager")
    assert client.get("/cases/").status_code == 403  # the guard sees the new role at once
    _set(app, user.id, role="counsellor", must_change_password=True)
    assert client.get("/start").status_code == 302  # to the login page
    _set(app, user.id, must_change_password=False, totp_enrolled_at=None)
    assert client.get("/start").status_code == 302
    _set(app, user.id, totp_enrolled_at=user.totp_enrolled_at)
    assert client.get("/start").status_code == 200


def test_the_language_choice_is_stored_on_the_account(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """Choosing a language changes the account (through the ORM user, orm_user()) and the
    next page is in it; the page's user is a SessionUser again."""
    user = login_as("counsellor")
    seen = _seen_per_request(app)
    assert post_form(client, "/language", {"language": "en", "next": "/start"},
                     form_page="/start").status_code == 302
    with db_session_for(app) as session:
        stored = session.get(User, user.id)
        assert stored is not None and stored.locale == "en"
    english = client.get("/start").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert isinstance(seen[-1][0], SessionUser) and seen[-1][0].locale == "en"
    assert post_form(client, "/language", {"language": "nl", "next": "/start"},
                     form_page="/start").status_code == 302
    assert '<html lang="nl">' in client.get("/start").get_data(as_text=True)


def test_a_case_page_loads_no_orm_objects(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User
) -> None:
    """The case page reads the session and user, the vault with the grant, and the case with
    its key and conversations as columns (issue 15, session 7): the unit of work holds no ORM
    object at the end of the view - they were a User, a Case, a CaseKey and each CaseContact."""
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, counsellor)
        work = Work(session, settings, Actor(counsellor.id, "counsellor"), keys=keys)
        dept = department(session, "Werkplaats", settings).id
        record = lifecycle.create_case(work, case_input(dept, opened_on=TODAY - timedelta(days=5)),
                                       today=TODAY)
        for day, notes in ((1, "Eerste gesprek"), (2, "Tweede gesprek")):
            conversations.add_contact(work, record.reference, ContactInput(
                held_on=TODAY - timedelta(days=day), minutes=10, channel="phone",
                notes=notes), today=TODAY)
        session.commit()
    seen = _seen_per_request(app)
    page = client.get(f"/cases/{record.reference}")
    assert page.status_code == 200
    (who, objects), = seen
    assert isinstance(who, SessionUser)
    assert objects == []
    text = page.get_data(as_text=True)
    assert record.reference in text
    # the conversations in their order (oldest first), as before
    assert text.index("Tweede gesprek") < text.index("Eerste gesprek")
