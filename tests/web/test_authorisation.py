"""Deny by default (DESIGN I-6): every endpoint in the URL map, for every kind of visitor,
in every kind of organisation (issue 17).

``EXPECTED_ACCESS`` is the authorisation matrix. A new route fails this test until someone
decides who may use it and adds a row here; a row whose endpoint no longer exists fails too.

The organisation dimension: the matrix holds in the home organisation (no prefix) and in a
client organisation under ``/o/<slug>/`` (its own database, its own accounts); the practice's
pages exist in the home organisation's URL space only. A user of one organisation - home or
client - is a stranger in any other: on every route of B under ``/o/b/`` they get exactly what
an anonymous visitor gets.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.organisationwork import create_client
from tests.support.forms import AuthActions
from tests.web.organisation_visits import client_account, concrete_urls, log_in
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.web.access import PUBLIC, allowed_roles_of

ANON, COUNSELLOR, MANAGER, ADMIN = "anonymous", "counsellor", "manager", "admin"
PRACTICE_ADMIN = "practice_admin"  # issue 17: a user of the main database only
EVERYONE = {ANON, COUNSELLOR, MANAGER, ADMIN, PRACTICE_ADMIN}
SIGNED_IN = {COUNSELLOR, MANAGER, ADMIN, PRACTICE_ADMIN}
VISITORS = [ANON, COUNSELLOR, MANAGER, ADMIN, PRACTICE_ADMIN]
PRACTICE_PAGES = "practice."  # the home organisation's URL space only

EXPECTED_ACCESS: dict[str, set[str]] = {
    "static": EVERYONE,
    # home
    "home.index": EVERYONE,
    "home.start": SIGNED_IN,
    # auth
    "auth.login": EVERYONE,
    "auth.login_code": EVERYONE,
    "auth.login_new_password": EVERYONE,
    "auth.login_enrol": EVERYONE,
    "auth.logout": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "auth.set_language": EVERYONE,
    # admin
    "admin.users": {ADMIN},
    "admin.create_user": {ADMIN},
    "admin.set_user_active": {ADMIN},
    "admin.reset_password": {ADMIN},
    "admin.departments": {ADMIN},
    "admin.edit_department": {ADMIN},
    "admin.import_departments": {ADMIN},
    "admin.categories": {ADMIN},
    "admin.edit_category": {ADMIN},
    "admin.delete_category": {ADMIN},
    "admin.audit_log": {ADMIN},
    # cases (issue 3): counsellors only; managers and admins reach no case route
    "cases.index": {COUNSELLOR},
    "cases.filter_list": {COUNSELLOR},
    "cases.create": {COUNSELLOR},
    "cases.view": {COUNSELLOR},
    "cases.edit": {COUNSELLOR},
    "cases.close": {COUNSELLOR},
    "cases.reopen": {COUNSELLOR},
    "cases.erase": {COUNSELLOR},
    "cases.add_contact": {COUNSELLOR},
    "cases.edit_contact": {COUNSELLOR},
    # vault access (issue 3)
    "vault.status": {COUNSELLOR},
    "vault.unlock": {COUNSELLOR},
    "vault.colleagues": {COUNSELLOR},
    "vault.grant": {COUNSELLOR},
    # anonymous contact channel (issue 6): public pages for everyone (no login), the admin
    # edits the general text, counsellors read messages and edit their own public entry
    "contact.counsellors_page": EVERYONE,
    "contact.photo": EVERYONE,
    "contact.send": EVERYONE,
    "contact.replies": EVERYONE,
    "contact.answer": EVERYONE,
    "contact.edit_text": {ADMIN},
    "messages.index": {COUNSELLOR},
    "messages.thread": {COUNSELLOR},
    "messages.reply": {COUNSELLOR},
    "messages.delete": {COUNSELLOR},
    "messages.convert": {COUNSELLOR},
    "messages.profile": {COUNSELLOR},
    "messages.upload_photo": {COUNSELLOR},
    "messages.remove_photo": {COUNSELLOR},
    # signals (issue 4): candidates and release for counsellors; released signals for managers
    "signals.index": {COUNSELLOR},
    "signals.dismiss": {COUNSELLOR},
    "signals.restore": {COUNSELLOR},
    "signals.release": {COUNSELLOR},
    "signals.released": {COUNSELLOR},
    "signals.pulse_dismiss": {COUNSELLOR},  # issue 16: pulse candidate signals
    "signals.pulse_restore": {COUNSELLOR},
    "signals.pulse_release": {COUNSELLOR},
    "management.overview": {MANAGER},
    "management.export_csv": {MANAGER},
    "management.signal": {MANAGER},
    "management.acknowledge": {MANAGER},
    "management.follow_up": {MANAGER},
    # annual report (issue 5): drafts, finalisation, corrections and activities for
    # counsellors; finalised versions (read, download) for counsellors and managers
    "reports.index": {COUNSELLOR},
    "reports.edit": {COUNSELLOR},
    "reports.preview": {COUNSELLOR},
    "reports.finalise": {COUNSELLOR},
    "reports.correct": {COUNSELLOR},
    "reports.draft_file": {COUNSELLOR},
    "reports.published": {COUNSELLOR, MANAGER},
    "reports.view": {COUNSELLOR, MANAGER},
    "reports.download": {COUNSELLOR, MANAGER},
    "activities.index": {COUNSELLOR},
    "activities.create": {COUNSELLOR},
    "activities.edit": {COUNSELLOR},
    "activities.delete": {COUNSELLOR},
    # pulse (issue 16): counsellors and admins run rounds; only counsellors see results,
    # release them and read comments; anyone answers (no login); managers read releases
    "pulse.rounds_list": {COUNSELLOR, ADMIN},
    "pulse.create_round": {COUNSELLOR, ADMIN},
    "pulse.edit_round": {COUNSELLOR, ADMIN},
    "pulse.round_page": {COUNSELLOR, ADMIN},
    "pulse.issue_codes": {COUNSELLOR, ADMIN},
    "pulse.close_round": {COUNSELLOR, ADMIN},
    "pulse.results_page": {COUNSELLOR},
    "pulse.comments_page": {COUNSELLOR},
    "survey.answer": EVERYONE,
    "survey.thanks": EVERYONE,
    "pulse_results.released_rounds": {MANAGER},
    "pulse_results.released_round": {MANAGER},
    # the practice (issue 17): its admin creates client organisations; the overview across
    # clients is open to every visitor, because what it shows comes from the counsellor
    # sessions this browser holds in each organisation, checked one by one (a visitor
    # without one sees an empty page)
    "practice.organisations": {PRACTICE_ADMIN},
    "practice.create_organisation": {PRACTICE_ADMIN},
    "practice.clients": EVERYONE,
    "practice.client_hours": EVERYONE,
}


def declared_access(app: Flask, endpoint: str) -> set[str]:
    allowed = allowed_roles_of(app, endpoint)
    assert allowed is not None, f"{endpoint} declares no roles"
    return EVERYONE if PUBLIC in allowed else set(allowed)


def test_every_endpoint_is_in_the_matrix(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(EXPECTED_ACCESS) == set(), "add these endpoints to EXPECTED_ACCESS"
    assert set(EXPECTED_ACCESS) - endpoints == set(), "remove rows of endpoints that are gone"


def test_declarations_match_the_matrix(app: Flask) -> None:
    for endpoint, expected in EXPECTED_ACCESS.items():
        assert declared_access(app, endpoint) == expected, endpoint


def test_an_endpoint_without_declaration_is_refused(app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    response = client.get("/undeclared")
    assert response.status_code == 403
    assert b"secret" not in response.data


def _check(visitor: str, endpoint: str, method: str, url: str, response: TestResponse) -> None:
    """One answer against the matrix."""
    allowed = visitor in EXPECTED_ACCESS[endpoint]
    if allowed:
        assert response.status_code not in {401, 403}, (visitor, method, url)
        location = response.headers.get("Location", "")
        assert "/login" not in location or visitor == ANON, (visitor, method, url)
    elif visitor == ANON:
        assert response.status_code in {302, 401}, (visitor, method, url)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], (visitor, method, url)
    else:
        assert response.status_code == 403, (visitor, method, url, response.status_code)


def _check_practice_page_in_a_client(visitor: str, method: str, url: str,
                                     response: TestResponse) -> None:
    """Under a client organisation's prefix the practice's pages do not exist: 404 - after
    the role guard, which answers first for a page that needs an account (the login page for
    an anonymous visitor, 403 for a user of the client, who never has the practice's role)."""
    if visitor == ANON and response.status_code in {302, 401}:
        assert response.status_code == 401 or "/login" in response.headers["Location"]
        return
    assert response.status_code in {403, 404}, (visitor, method, url, response.status_code)


def _visitor_in(app: Flask, settings: Settings, browser: FlaskClient,
                create_user: Callable[..., User], visitor: str, where: str) -> str:
    """Log ``browser`` in as ``visitor`` of the home organisation or of a new client
    organisation; returns the URL prefix of that organisation."""
    if where == "home":
        if visitor != ANON:
            assert AuthActions(browser).login(create_user(visitor)).status_code == 302
        return ""
    client = create_client(app, settings, "klant-b", data=False)
    if visitor != ANON:
        log_in(browser, client_account(client, visitor, f"{visitor}@klant-b.example.org"))
    return f"/o/{client.slug}"


@pytest.mark.parametrize("where", ["home", "client"])
@pytest.mark.parametrize("visitor", VISITORS)
def test_every_url_answers_each_visitor_as_the_matrix_says(
    app: Flask, settings: Settings, client: FlaskClient, create_user: Callable[..., User],
    visitor: str, where: str,
) -> None:
    if where == "client" and visitor == PRACTICE_ADMIN:
        pytest.skip("a practice admin is a user of the main database only")
    prefix = _visitor_in(app, settings, client, create_user, visitor, where)
    app.config["WTF_CSRF_ENABLED"] = False  # reach the access check, not the CSRF check
    for endpoint, method, url in concrete_urls(app):
        if endpoint in {"auth.logout", "auth.set_language"}:
            continue  # they change the visitor itself; covered in test_auth
        response = client.open(prefix + url, method=method)
        if prefix and endpoint.startswith(PRACTICE_PAGES):
            _check_practice_page_in_a_client(visitor, method, prefix + url, response)
        else:
            _check(visitor, endpoint, method, prefix + url, response)


def _answer(response: TestResponse) -> tuple[int, str]:
    return response.status_code, response.headers.get("Location", "")


@pytest.mark.parametrize("where", ["home", "client"])
@pytest.mark.parametrize("visitor", VISITORS)
def test_a_user_of_one_organisation_is_a_stranger_in_another(
    app: Flask, settings: Settings, client: FlaskClient, create_user: Callable[..., User],
    visitor: str, where: str,
) -> None:
    """A user of the home organisation or of client A, on every route of client B under
    ``/o/b/``, gets what an anonymous visitor gets there (status and redirect): A's session
    cookie is no session in B. Each organisation has its own database, so the visitor's user
    id also names some user of B, or none: neither may matter."""
    if where == "client" and visitor == PRACTICE_ADMIN:
        pytest.skip("a practice admin is a user of the main database only")
    b = create_client(app, settings, "klant-b", data=False)  # with a counsellor of its own
    if where == "home":
        if visitor != ANON:
            assert AuthActions(client).login(create_user(visitor)).status_code == 302
    elif visitor != ANON:
        a = create_client(app, settings, "klant-a", data=False)
        log_in(client, client_account(a, visitor, f"{visitor}@klant-a.example.org"))
    stranger = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    for endpoint, method, url in concrete_urls(app):
        if endpoint in {"auth.logout", "auth.set_language"}:
            continue
        path = f"/o/{b.slug}{url}"
        expected = _answer(stranger.open(path, method=method))
        assert _answer(client.open(path, method=method)) == expected, (visitor, method, path)
