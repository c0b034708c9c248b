"""The case list's filter and search never travel in a URL (issue 11, item 3).

The filter is POSTed (with CSRF), kept in the server-side session sealed under a key derived
from the cookie token, and the browser is sent on to the plain list URL (Post/Redirect/Get).
Paging keeps the filter; the audit entry of a list view holds no count per filter.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.casework import case_input, department, unlock
from tests.integration.test_case_secrecy import database_bytes
from tests.support.forms import AuthActions, post_form
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User, WebSession
from vp_registry.db.audit import AuditEntry
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases import listing as case_listing
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work
from vp_registry.web.i18n import LOCALE_COOKIE

TODAY = date.today()
REFERENCE = re.compile(r"VP-\d{4}-[0-9A-Z]{4}")
URL_ATTRIBUTE = re.compile(r'(?:href|action|value)="([^"]*)"')


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    client.set_cookie(LOCALE_COOKIE, "en")


def _make_cases(app: Flask, settings: Settings, user: User, count: int,
                **overrides: object) -> tuple[int, list[str]]:
    """``count`` cases, the first one with ``overrides`` (reporter_name, categories, ...)
    in its own department; the other department's id is returned with the references."""
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, user)
        first = department(session, "Magazijn en logistiek", settings).id
        other = department(session, "Werkplaats", settings).id
        references = []
        for number in range(count):
            extra = overrides if number == 0 else {}
            work = Work(session, settings, Actor(user.id, "counsellor"), keys=keys)
            record = lifecycle.create_case(work, case_input(
                first if number == 0 else other, opened_on=TODAY - timedelta(days=number),
                narrative=f"Samenvatting {number}", **extra), today=TODAY)
            references.append(record.reference)
        session.commit()
    return other, references


def _shown(response: object) -> set[str]:
    return set(REFERENCE.findall(response.get_data(as_text=True)))  # type: ignore[attr-defined]


def test_search_is_posted_and_no_url_carries_it(app: Flask, settings: Settings,
                                               client: FlaskClient, counsellor: User) -> None:
    marker = "Zoekmarker" + secrets.token_hex(4)
    _other, references = _make_cases(app, settings, counsellor, 4,
                                    reporter_name=f"Fatima {marker}")
    response = post_form(client, "/cases/filter", {"q": marker}, form_page="/cases/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/cases/"  # plain: no query at all
    listing = client.get("/cases/")
    assert _shown(listing) == {references[0]}
    page = listing.get_data(as_text=True)
    assert "1 case matches" in page
    assert f'value="{marker}"' in page  # the search box shows what was searched for
    # no link, form action or stored "next" on the page carries the search text
    for url in URL_ATTRIBUTE.findall(page):
        if url.startswith("/"):
            assert marker.lower() not in url.lower(), url
    assert 'method="get"' not in page.lower()


def test_search_text_in_the_query_string_is_not_applied(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User
) -> None:
    """An old bookmark with ?q= filters nothing and is sent on to the plain URL."""
    _make_cases(app, settings, counsellor, 3, reporter_name="Naam Zoeker")
    response = client.get("/cases/?q=Zoeker&status=open&page=1")
    assert response.status_code == 303 and response.headers["Location"] == "/cases/"
    assert len(_shown(client.get("/cases/"))) == 3


def test_the_session_row_holds_the_filter_sealed(app: Flask, settings: Settings,
                                                 client: FlaskClient, counsellor: User) -> None:
    marker = "Zoekmarker" + secrets.token_hex(4)
    _make_cases(app, settings, counsellor, 2, reporter_name=marker)
    post_form(client, "/cases/filter", {"q": marker, "category": "pesten"},
              form_page="/cases/")
    assert len(_shown(client.get("/cases/"))) == 1
    with app.app_context(), db_session_for(app) as session:
        rows = list(session.execute(select(WebSession)).scalars())
    assert rows
    for row in rows:
        assert marker.lower() not in row.data.lower()
        assert "pesten" not in row.data
    assert marker.encode() not in database_bytes(settings)


def test_the_sealed_filter_does_not_reveal_the_length_of_the_search(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User
) -> None:
    def stored_length(text: str) -> int:
        post_form(client, "/cases/filter", {"q": text}, form_page="/cases/")
        with app.app_context(), db_session_for(app) as session:
            row = session.execute(select(WebSession).where(
                WebSession.user_id == counsellor.id)).scalar_one()
        return len(json.loads(row.data)["case_filter"])

    assert stored_length("Ab") == stored_length("Annemarie van der Heijden-Oosterbeek")


def test_paging_keeps_the_filter(app: Flask, settings: Settings, client: FlaskClient,
                                 counsellor: User) -> None:
    other, _references = _make_cases(app, settings, counsellor, 30)
    response = post_form(client, "/cases/filter", {"department": str(other)},
                         form_page="/cases/")
    assert response.headers["Location"] == "/cases/"
    first = client.get("/cases/")
    assert len(_shown(first)) == 25 and "29 cases match" in first.get_data(as_text=True)
    assert 'href="/cases/?page=2"' in first.get_data(as_text=True)
    second = client.get("/cases/?page=2")
    assert len(_shown(second)) == 4 and "29 cases match" in second.get_data(as_text=True)
    assert _shown(first).isdisjoint(_shown(second))


def test_clearing_the_filter_shows_every_case(app: Flask, settings: Settings,
                                              client: FlaskClient, counsellor: User) -> None:
    _make_cases(app, settings, counsellor, 3, reporter_name="Naam Zoeker")
    post_form(client, "/cases/filter", {"q": "Zoeker"}, form_page="/cases/")
    assert len(_shown(client.get("/cases/"))) == 1
    response = post_form(client, "/cases/filter", {"clear": "1", "q": "Zoeker"},
                         form_page="/cases/")
    assert response.status_code == 303 and response.headers["Location"] == "/cases/"
    page = client.get("/cases/")
    assert len(_shown(page)) == 3 and "3 cases in total" in page.get_data(as_text=True)
    with app.app_context(), db_session_for(app) as session:
        row = session.execute(select(WebSession).where(
            WebSession.user_id == counsellor.id)).scalar_one()
    assert "case_filter" not in json.loads(row.data)


def test_an_invalid_filter_keeps_the_input_and_stores_nothing(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User
) -> None:
    _make_cases(app, settings, counsellor, 2)
    too_long = "x" * 201
    response = post_form(client, "/cases/filter", {"q": too_long}, form_page="/cases/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert too_long in page and "aria-invalid" in page
    assert len(_shown(client.get("/cases/"))) == 2  # nothing was stored


def test_the_filter_needs_a_csrf_token(client: FlaskClient, counsellor: User) -> None:
    assert client.post("/cases/filter", data={"q": "x"}).status_code == 400


def test_a_new_login_does_not_inherit_the_filter(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User,
    counsellor_with_vault: Callable[..., User],
) -> None:
    """A colleague logging in after a logout in the same browser sees the plain list."""
    _make_cases(app, settings, counsellor, 3, reporter_name="Naam Zoeker")
    post_form(client, "/cases/filter", {"q": "Zoeker"}, form_page="/cases/")
    assert len(_shown(client.get("/cases/"))) == 1
    AuthActions(client).logout()
    client.set_cookie(LOCALE_COOKIE, "en")
    assert AuthActions(client).login(counsellor_with_vault()).status_code == 302
    page = client.get("/cases/")
    assert len(_shown(page)) == 3 and 'value="Zoeker"' not in page.get_data(as_text=True)


def test_the_audit_entry_of_a_list_view_holds_no_count(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User
) -> None:
    _make_cases(app, settings, counsellor, 5, categories=("agressie",))
    client.get("/cases/")
    post_form(client, "/cases/filter", {"category": "agressie"}, form_page="/cases/")
    client.get("/cases/")
    post_form(client, "/cases/filter", {"q": "Samenvatting 3"}, form_page="/cases/")
    client.get("/cases/")
    with app.app_context(), db_session_for(app) as session:
        entries = [e for e in session.execute(select(AuditEntry)).scalars()
                   if e.action == "case.list"]
    assert len(entries) >= 3
    assert {entry.details for entry in entries} == {"{}"}  # the same, whatever was filtered


def test_list_cases_audits_the_same_entry_for_every_filter(
    app: Flask, settings: Settings, counsellor: User
) -> None:
    _make_cases(app, settings, counsellor, 4, categories=("agressie",))
    actor = Actor(counsellor.id, "counsellor")
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, counsellor)
        for criteria in (CaseFilter(), CaseFilter(category="agressie"),
                         CaseFilter(text="Samenvatting 2"), CaseFilter(status="closed")):
            case_listing.list_cases(Work(session, settings, actor, keys=keys), criteria)
        session.flush()
        details = {e.details for e in session.execute(select(AuditEntry)).scalars()
                   if e.action == "case.list"}
    assert details == {"{}"}
