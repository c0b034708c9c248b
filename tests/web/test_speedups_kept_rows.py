"""The case list's rows written once per web session and what they show (issue 15, session 10;
web/cases/listing.RowsMarkup, web/speedups/session_memory.KeptRows).

A list page is byte for byte the page written without keeping (Dutch and English, with
deadline notes and a second page); rows shown before are not written again; a case changed
elsewhere is written afresh (that row alone), and a department renamed elsewhere or another
language rewrites every row; logout drops them; two sessions never share them. Counted with
a wrapper around the rows' texts (``case_rows``); no test here measures time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.casework import case_input
from tests.support.forms import AuthActions
from tests.support.sessions import db_session_for
from tests.web.test_speedups_session_memory import _change, _make_cases, _second_session
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.organisation import Department
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases.queries import PAGE_SIZE
from vp_registry.services.cases.records import CaseSummary
from vp_registry.web.cases import listing
from vp_registry.web.i18n import LOCALE_COOKIE
from vp_registry.web.speedups import session_memory

CSRF = re.compile(r'name="csrf_token" value="[^"]+"')
ROWS = re.compile(r"<tbody>.*?</tbody>", re.S)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """Each call of ``case_rows`` (which also builds the page's case URL), with the references
    of the rows whose texts it worked out."""
    seen: list[list[str]] = []
    real = listing.case_rows

    def counting(items: list[CaseSummary], **kwargs: Any) -> list[listing.CaseRow]:
        seen.append([item.reference for item in items])
        return real(items, **kwargs)

    monkeypatch.setattr(listing, "case_rows", counting)
    yield seen


def _written(calls: list[list[str]]) -> list[str]:
    """The references of the rows whose texts were worked out, in order."""
    return [reference for call in calls for reference in call]


def _list(client: FlaskClient, path: str = "/cases/") -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    return CSRF.sub("", answer.get_data(as_text=True))


def _rows(page: str) -> str:
    found = ROWS.search(page)
    assert found is not None
    return found.group(0)


def _integrity_reports(app: Flask, settings: Settings, user: User) -> None:
    """Open integrity reports with deadlines: one overdue, one coming."""
    today = date.today()
    with app.app_context(), db_session_for(app) as session:
        from tests.casework import department, unlock
        from vp_registry.services.infrastructure.audit import Actor
        from vp_registry.services.work import Work

        keys = unlock(session, settings, user)
        dept = department(session, "Inkoop <&>", settings).id
        work = Work(session, settings, Actor(user.id, "counsellor"), keys=keys)
        for days in (2, 60):
            lifecycle.create_case(work, case_input(dept, opened_on=today - timedelta(days=days),
                                                   integrity_report=True), today=today)
        session.commit()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_kept_rows_are_the_written_ones(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User,
    calls: list[list[str]], monkeypatch: pytest.MonkeyPatch,
    language: str
) -> None:
    client.set_cookie(LOCALE_COOKIE, language)
    _make_cases(app, settings, counsellor, PAGE_SIZE + 3)
    _integrity_reports(app, settings, counsellor)
    first, second = _list(client), _list(client, "/cases/?page=2")
    count, made = len(_written(calls)), len(calls)
    assert count == PAGE_SIZE + 5
    again, again_second = _list(client), _list(client, "/cases/?page=2")
    assert len(_written(calls)) == count and len(calls) == made  # no row written, no URL built
    assert again == first and again_second == second
    assert "overdue" in first + second and "badge" in first + second
    monkeypatch.setattr(session_memory, "list_rows", lambda: None)  # written at each request
    assert _list(client) == first and _list(client, "/cases/?page=2") == second
    assert len(_written(calls)) == 2 * count


def test_a_case_changed_elsewhere_is_written_afresh_alone(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, calls: list[list[str]]
) -> None:
    client.set_cookie(LOCALE_COOKIE, "en")
    references = _make_cases(app, settings, counsellor, 3)
    before = _rows(_list(client))
    assert len(_written(calls)) == 3 and "2025" not in before
    def move(work: Any, record: Any) -> None:
        lifecycle.update_case(work, record.reference, record.version,
                              replace(case_input(record.department_id),
                                      opened_on=date(2025, 1, 31)))

    _change(app, settings, counsellor, references[1], move)
    page = _list(client)
    assert _written(calls)[3:] == [references[1]]
    assert "Jan 31, 2025" in _rows(page) or "31 Jan 2025" in _rows(page)


def test_a_department_renamed_elsewhere_rewrites_the_rows(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, calls: list[list[str]]
) -> None:
    client.set_cookie(LOCALE_COOKIE, "en")
    _make_cases(app, settings, counsellor, 2)
    assert "Werkplaats" in _rows(_list(client))
    with db_session_for(app) as session:  # another request renames it
        found = session.query(Department).filter_by(name="Werkplaats").one()
        found.name = "Montagehal"
        session.commit()
    rows = _rows(_list(client))
    assert "Montagehal" in rows and "Werkplaats" not in rows
    assert len(_written(calls)) == 4


def test_another_language_rewrites_the_rows(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, calls: list[list[str]]
) -> None:
    client.set_cookie(LOCALE_COOKIE, "en")
    _make_cases(app, settings, counsellor, 2)
    english = _rows(_list(client))
    client.set_cookie(LOCALE_COOKIE, "nl")
    dutch = _rows(_list(client))
    assert 'data-label="Opened">' in english and 'data-label="Geopend">' in dutch
    assert len(_written(calls)) == 4


def test_logout_drops_and_sessions_never_share_the_rows(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, calls: list[list[str]]
) -> None:
    client.set_cookie(LOCALE_COOKIE, "en")
    _make_cases(app, settings, counsellor, 2)
    _list(client)
    other = _second_session(app, counsellor)
    _list(other)
    assert len(_written(calls)) == 4  # the other session wrote its own
    _list(other)
    assert len(_written(calls)) == 4
    assert AuthActions(client).logout().status_code == 302
    with app.app_context():
        assert session_memory.remembered_sessions() == 1
    _list(other)
    assert len(_written(calls)) == 4


def test_a_page_that_fills_the_kept_rows_starts_afresh_midway(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the limit the kept rows start afresh within a page: a row found kept before is
    still written (a KeyError answered 500 before this was fixed)."""
    client.set_cookie(LOCALE_COOKIE, "en")
    monkeypatch.setattr(session_memory.KeptRows, "LIMIT", 4)
    _make_cases(app, settings, counsellor, 10)
    first = _list(client)
    assert _list(client) == first and _list(client) == first
    monkeypatch.setattr(session_memory, "list_rows", lambda: None)
    assert _list(client) == first
