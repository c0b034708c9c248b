"""Deny by default (DESIGN I-6): every endpoint in the URL map, for every kind of visitor.

``EXPECTED_ACCESS`` is the authorisation matrix. A new route fails this test until someone
decides who may use it and adds a row here; a row whose endpoint no longer exists fails too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.forms import AuthActions
from vp_registry.db.accounts import User
from vp_registry.web.access import PUBLIC, allowed_roles_of

ANON, COUNSELLOR, MANAGER, ADMIN = "anonymous", "counsellor", "manager", "admin"
EVERYONE = {ANON, COUNSELLOR, MANAGER, ADMIN}
SIGNED_IN = {COUNSELLOR, MANAGER, ADMIN}

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


def _concrete_urls(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule, with placeholder ids filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule)
        url = re.sub(r"<[a-z]+:[a-z_]+>", "x", url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            urls.append((rule.endpoint, method, url))
    return urls


@pytest.mark.parametrize("visitor", [ANON, COUNSELLOR, MANAGER, ADMIN])
def test_every_url_answers_each_visitor_as_the_matrix_says(
    app: Flask, client: FlaskClient, create_user: Callable[..., User], visitor: str
) -> None:
    if visitor != ANON:
        user = create_user(visitor)
        assert AuthActions(client).login(user).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False  # reach the access check, not the CSRF check
    for endpoint, method, url in _concrete_urls(app):
        if endpoint in {"auth.logout", "auth.set_language"}:
            continue  # they change the visitor itself; covered in test_auth
        response = client.open(url, method=method)
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
