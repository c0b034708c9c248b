"""The counsellor's overview across clients, the hours per client and the header (issue 17).

A counsellor of an external practice has an account in client A and in client B (two
accounts: each organisation has its own database) and logs in to both in one browser.
``/clients`` shows what each of those sessions opens, read in each organisation's own
database with its own keys, and names no organisation whose live counsellor session the
browser does not hold.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.organisationwork import PASSWORD, Client, create_client, main_work
from tests.support.forms import AuthActions, post_form
from tests.web.organisation_visits import Account, client_account, enrolled, log_in
from vp_registry.config import Settings
from vp_registry.db import utcnow
from vp_registry.db.accounts import User, WebSession
from vp_registry.db.audit import AuditEntry
from vp_registry.db.practice import Organisation
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import key_pairs
from vp_registry.services.work import Work
from vp_registry.web.practice import overviews


@pytest.fixture
def alfa(app: Flask, settings: Settings) -> Client:
    return create_client(app, settings, "alfa-installatie")


@pytest.fixture
def beta(app: Flask, settings: Settings) -> Client:
    return create_client(app, settings, "beta-metaal")


def _counsellor_of(client: Client) -> Account:
    return enrolled(client, client.counsellor_id, PASSWORD)


def _page(browser: FlaskClient, path: str = "/clients") -> str:
    response = browser.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _actions(session: Session) -> list[str]:
    return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def test_the_overview_shows_every_organisation_whose_session_the_browser_holds(
        app: Flask, settings: Settings, client: FlaskClient, alfa: Client, beta: Client) -> None:
    gamma = create_client(app, settings, "gamma-bouw")  # no session of this browser there
    log_in(client, _counsellor_of(alfa))
    log_in(client, _counsellor_of(beta))
    with alfa.factory() as session:
        before = len(_actions(session))
    page = _page(client)
    for shown in (alfa, beta):
        assert shown.organisation.name in page
        assert f'href="/o/{shown.slug}/cases/{shown.reference}"' in page
        assert shown.markers["case"] not in page  # references only: no case content
    assert gamma.organisation.name not in page and gamma.slug not in page
    assert gamma.reference not in page
    with alfa.factory() as session:  # read as a case list, in A's own log
        assert _actions(session)[before:] == ["case.list"]


def test_no_organisation_is_named_without_a_live_counsellor_session(
        app: Flask, settings: Settings, client: FlaskClient, alfa: Client, beta: Client) -> None:
    names = (alfa.organisation.name, beta.organisation.name, alfa.slug, beta.slug)
    page = _page(client)  # a browser without any session
    assert not any(name in page for name in names)
    log_in(client, client_account(alfa, "manager", "mt@alfa.example.org"))
    log_in(client, _counsellor_of(beta))
    page = _page(client)
    assert alfa.organisation.name not in page  # a manager's session has no case overview
    assert beta.organisation.name in page
    with beta.factory() as session:  # B's session has been idle too long
        session.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
        session.commit()
    assert beta.organisation.name not in _page(client)
    client.set_cookie(f"vp_session__{alfa.slug}", "x" * 43)  # a made-up token
    assert alfa.organisation.name not in _page(client)


def test_logging_out_of_one_organisation_removes_it_from_the_overview(
        client: FlaskClient, alfa: Client, beta: Client) -> None:
    log_in(client, _counsellor_of(alfa))
    log_in(client, _counsellor_of(beta))
    post_form(client, f"/o/{alfa.slug}/logout", {}, form_page=f"/o/{alfa.slug}/start")
    page = _page(client)
    assert alfa.organisation.name not in page and beta.reference in page


def test_a_session_whose_grant_was_removed_is_listed_as_locked(
        client: FlaskClient, alfa: Client, beta: Client) -> None:
    log_in(client, _counsellor_of(alfa))
    log_in(client, _counsellor_of(beta))
    with alfa.factory() as session:
        user = session.get(User, alfa.counsellor_id)
        assert user is not None
        key_pairs.remove_access(Work(session, alfa.settings, Actor.system()), user)
        session.commit()
    page = _page(client)
    assert alfa.organisation.name in page and alfa.reference not in page
    assert f"/o/{alfa.slug}/vault" in page
    assert beta.reference in page


def test_hours_per_client_as_a_page_and_as_csv(client: FlaskClient, alfa: Client,
                                               beta: Client) -> None:
    log_in(client, _counsellor_of(alfa))
    log_in(client, _counsellor_of(beta))
    page = _page(client, "/clients/hours?year=2026")
    assert alfa.organisation.name in page and beta.organisation.name in page
    response = client.get("/clients/hours?year=2026&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "no-store" in response.headers["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert len(rows) == 3
    # each client: one case opened in 2026 with one conversation of 30 minutes
    assert sorted(row[0] for row in rows[1:]) == sorted(
        [alfa.organisation.name, beta.organisation.name])
    assert all(row[1:5] == ["2026", "1", "1", "0,50"] for row in rows[1:]), rows


def test_hours_are_computed_side_by_side_on_postgresql_and_audited_per_organisation(
        app: Flask, settings: Settings, client: FlaskClient, alfa: Client, beta: Client,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As /clients' parts (issue 17, session 8): one task per organisation, side by side
    unless the databases are SQLite; each organisation's read in its own chain."""
    log_in(client, _counsellor_of(alfa))
    log_in(client, _counsellor_of(beta))
    calls: list[tuple[int, bool]] = []
    real = overviews._each

    def recorded(tasks: Any, *, side_by_side: bool) -> Any:
        calls.append((len(tasks), side_by_side))
        return real(tasks, side_by_side=side_by_side)

    monkeypatch.setattr(overviews, "_each", recorded)
    before = {}
    for organisation in (alfa, beta):
        with organisation.factory() as session:
            before[organisation.slug] = len(_actions(session))
    page = _page(client, "/clients/hours?year=2026")
    assert alfa.organisation.name in page and beta.organisation.name in page
    assert calls == [(2, not settings.database_url.startswith("sqlite"))]
    for organisation in (alfa, beta):
        with organisation.factory() as session:
            assert _actions(session)[before[organisation.slug]:] == ["case.list"]


def test_a_client_name_cannot_become_a_spreadsheet_formula(
        app: Flask, settings: Settings, client: FlaskClient) -> None:
    evil = create_client(app, settings, "formule")
    with main_work(app, settings) as work:
        work.session.execute(update(Organisation).where(Organisation.slug == evil.slug)
                             .values(name='=HYPERLINK("http://x")'))
    log_in(client, _counsellor_of(evil))
    body = client.get(f"/clients/hours?year={date.today().year}&format=csv").get_data(
        as_text=True)
    assert "HYPERLINK" in body
    assert "\n=HYPERLINK" not in body and ";=HYPERLINK" not in body


def test_practice_pages_exist_in_the_home_url_space_only(client: FlaskClient,
                                                         alfa: Client) -> None:
    log_in(client, _counsellor_of(alfa))
    for path in ("/clients", "/clients/hours"):
        assert client.get(f"/o/{alfa.slug}{path}").status_code == 404


def test_a_client_organisations_pages_name_it_and_offer_the_overview(
        client: FlaskClient, alfa: Client) -> None:
    log_in(client, _counsellor_of(alfa))
    page = _page(client, f"/o/{alfa.slug}/start")
    assert f'<span class="organisation-name">{alfa.organisation.name}</span>' in page
    assert 'href="/clients"' in page  # the switcher, in the home URL space


@pytest.mark.parametrize("role", ["counsellor", "manager", "admin"])
def test_an_installation_with_one_organisation_looks_as_before(
        client: FlaskClient, create_user: Callable[..., User], role: str,
        counsellor_with_vault: Callable[..., User]) -> None:
    """No organisation name, no switcher, no new link: the home pages as they were."""
    user = counsellor_with_vault() if role == "counsellor" else create_user(role)
    assert AuthActions(client).login(user).status_code == 302
    for path in ("/start", "/login"):
        page = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert "organisation-name" not in page and "switcher" not in page
        assert "/clients" not in page and "/o/" not in page
