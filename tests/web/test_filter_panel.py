"""The case list's unfiltered filter panel kept per web session (issue 15, session 8;
web/cases/filter_panel.py).

Byte for byte the panel the template writes (Dutch and English), with this request's CSRF
token; a department renamed or added elsewhere shows at once; a kept filter is never served
from it; logout drops it. Counted with a wrapper around the filter form; no test here
measures time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.casework import department
from tests.support.forms import AuthActions, post_form
from tests.support.sessions import db_session_for
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.organisation import Department
from vp_registry.web.cases import views as case_views
from vp_registry.web.i18n import LOCALE_COOKIE
from vp_registry.web.speedups import session_memory

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PANEL = re.compile(r'<form method="post" action="/cases/filter".*?</form>', re.S)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """One entry per filter form built."""
    seen: list[int] = []
    real = case_views._filter_form

    def counting(**kwargs: object) -> case_views.FilterForm:
        seen.append(1)
        return real(**kwargs)

    monkeypatch.setattr(case_views, "_filter_form", counting)
    yield seen


def _panel(client: FlaskClient) -> str:
    answer = client.get("/cases/")
    assert answer.status_code == 200
    found = PANEL.search(answer.get_data(as_text=True))
    assert found is not None
    return found.group(0)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_kept_panel_is_the_rendered_one(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User,
    built: list[int], monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    client.set_cookie(LOCALE_COOKIE, language)
    with app.app_context(), db_session_for(app) as session:
        department(session, "Werkplaats", settings)
        session.commit()
    first = _panel(client)
    second = _panel(client)
    assert built == [1]  # the second list built no form
    # the same panel; its CSRF token is signed with the second, so not compared (a list in the
    # next second has another: session 9 - the test failed when the GETs straddled a second)
    assert CSRF.sub("", second) == CSRF.sub("", first)
    with app.app_context():  # the short cache reads the same choices again (its 5 s ran out)
        app_state().directory._cached = None
    assert CSRF.sub("", _panel(client)) == CSRF.sub("", second) and built == [1]
    assert ("Werkplaats" in second) and (("Alle" if language == "nl" else "All") in second)
    monkeypatch.setattr(case_views.filter_panel, "kept", lambda: None)
    plain = _panel(client)
    assert CSRF.sub("", plain) == CSRF.sub("", second)
    token = CSRF.search(second)
    assert token is not None  # the kept panel's token is this request's: the form works
    kept = client.post("/cases/filter", data={"csrf_token": token.group(1), "status": "open",
                                              "sort": "newest"})
    assert kept.status_code == 303


def test_the_list_without_a_form_asks_for_what_the_default_form_asks(
    app: Flask, client: FlaskClient, counsellor: User
) -> None:
    with app.test_request_context("/cases/"):
        form = case_views._filter_form(formdata=None, data={})
        assert case_views._criteria(form) == case_views.NO_FILTER


def test_a_department_changed_elsewhere_shows_at_once(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, built: list[int]
) -> None:
    client.set_cookie(LOCALE_COOKIE, "en")
    with app.app_context(), db_session_for(app) as session:
        dept = department(session, "Werkplaats", settings).id
        session.commit()
    assert "Werkplaats" in _panel(client)
    with db_session_for(app) as session:  # another request renames it
        found = session.get(Department, dept)
        assert found is not None
        found.name = "Montagehal"
        session.commit()
    panel = _panel(client)
    assert "Montagehal" in panel and "Werkplaats" not in panel
    assert len(built) == 2


def test_a_kept_filter_is_never_taken_from_the_kept_panel(
    client: FlaskClient, counsellor: User, built: list[int]
) -> None:
    client.set_cookie(LOCALE_COOKIE, "en")
    _panel(client)
    assert post_form(client, "/cases/filter", {"status": "closed", "sort": "oldest"},
                     form_page="/cases/").status_code == 303
    panel = _panel(client)
    assert '<option selected value="closed">' in panel
    assert "Clear filter" in panel
    assert post_form(client, "/cases/filter", {"clear": "1"},
                     form_page="/cases/").status_code == 303
    before = len(built)
    panel = _panel(client)
    assert '<option selected value="">' in panel and "Clear filter" not in panel
    assert len(built) == before  # the unfiltered panel again, as kept


def test_logout_drops_the_kept_panel(app: Flask, client: FlaskClient, counsellor: User
                                     ) -> None:
    _panel(client)
    with app.app_context():
        assert session_memory.remembered_sessions() == 1
    assert AuthActions(client).logout().status_code == 302
    with app.app_context():
        assert session_memory.remembered_sessions() == 0
