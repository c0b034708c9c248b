"""The practice admin's page (issue 17): the client organisations, and creating one.

A practice admin is a user of the main database. They create a client organisation - its
database, its first admin and its vault - and see its recovery key once, in the answer to that
POST only; they read no case, no signal and no figure of any organisation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.organisationwork import Client, create_client, databases_of
from tests.support.forms import AuthActions, post_form
from tests.web.organisation_visits import account, concrete_urls, log_in
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.vault import Vault
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.settings import settings_for
from vp_registry.services.vault import grants
from vp_registry.services.work import Work

ADMIN_PASSWORD = "Tijdelijk-wachtwoord-voor-beheer-1"
FORM = {"name": "Installatietechniek Zuid B.V.", "slug": "zuid-installatie", "host": "",
        "disclosure_k": "4", "min_department_size": "", "min_organisation_size": "",
        "registry_start": "2026-01-01", "retention_months": "",
        "admin_name": "Petra Smit", "admin_email": "p.smit@zuid.example.org",
        "admin_password": ADMIN_PASSWORD}
KEY_GROUPS = re.compile(r"<code>((?:[0-9A-Z]{4}\s+){6}[0-9A-Z]{4})</code>")


@pytest.fixture
def practice_admin(client: FlaskClient, create_user: Callable[..., User]) -> User:
    user = create_user("practice_admin")
    assert AuthActions(client).login(user).status_code == 302
    return user


def _create(client: FlaskClient, **changes: str) -> tuple[int, str]:
    response = post_form(client, "/practice/organisations", {**FORM, **changes})
    return response.status_code, response.get_data(as_text=True)


def test_the_list_shows_every_organisation(app: Flask, settings: Settings,
                                           client: FlaskClient, practice_admin: User) -> None:
    alfa = create_client(app, settings, "alfa-installatie", data=False)
    page = client.get("/practice/organisations").get_data(as_text=True)
    assert alfa.organisation.name in page and f"/o/{alfa.slug}/" in page
    assert 'name="admin_password"' in page


def test_creating_an_organisation_shows_its_recovery_key_once(
        app: Flask, settings: Settings, client: FlaskClient, practice_admin: User,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    status, page = _create(client)
    assert status == 200, page[:500]
    lines = KEY_GROUPS.findall(page)
    assert len(lines) == 2, page
    recovery = "-".join(" ".join(lines).split())
    with app_state(app).session_factory() as session:
        found = registry.find_organisation(session, FORM["slug"])
    assert found is not None and found.name == FORM["name"]
    assert found.settings == {"DISCLOSURE_K": 4, "REGISTRY_START": "2026-01-01"}
    own = settings_for(settings, found)
    with databases_of(app).session_factory(found)() as session:
        admin = session.execute(select(User)).scalar_one()
        assert (admin.email, admin.role, admin.must_change_password) == (
            FORM["admin_email"], "admin", True)
        assert session.execute(select(Vault)).scalar_one().key_version == 0
        # the key shown is the vault's: it gives the first counsellor access
    counsellor = account(databases_of(app).session_factory(found), own, f"/o/{found.slug}",
                         "counsellor", "vp@zuid.example.org")
    with databases_of(app).session_factory(found)() as session:
        user = session.get(User, counsellor.id)
        assert user is not None
        assert grants.recover_access(Work(session, own, Actor.system()), recovery, user)
        session.commit()
    # never again: not on the list, not in a log, not in either database
    assert recovery not in client.get("/practice/organisations").get_data(as_text=True)
    assert not any(part in caplog.text for part in recovery.split("-")[2:5])
    for path in _database_files(app, found.slug):
        data = path.read_bytes()
        assert not any(part.encode() in data for part in lines), path


def _organisation_files(app: Flask, slug: str) -> list[Path]:
    """A client's SQLite files (none on PostgreSQL, where it is a schema)."""
    main = Path(str(app_state(app).engine.url.database))
    return list((main.parent / "organisations").glob(f"{slug}.sqlite*"))


def _database_files(app: Flask, slug: str) -> list[Path]:
    """The main database's files and the client's (SQLite; none on PostgreSQL)."""
    main = Path(str(app_state(app).engine.url.database))
    files = [main, main.with_name(main.name + "-wal"), *_organisation_files(app, slug)]
    return [path for path in files if path.exists()]


def test_the_new_organisations_admin_logs_in_under_its_prefix(
        client: FlaskClient, practice_admin: User) -> None:
    assert _create(client)[0] == 200
    browser = client.application.test_client()
    response = post_form(browser, f"/o/{FORM['slug']}/login",
                         {"email": FORM["admin_email"], "password": ADMIN_PASSWORD})
    assert response.status_code == 302  # on to two-step verification's enrolment
    assert response.headers["Location"].startswith(f"/o/{FORM['slug']}/login")


@pytest.mark.parametrize(("field", "value"), [
    ("slug", "Met Spaties"), ("slug", "clients"), ("admin_password", "kort"),
    ("admin_password", "password1234"), ("admin_email", "geen-adres"), ("disclosure_k", "2"),
    ("name", " "), ("host", "niet een host"),
])
def test_a_mistake_creates_nothing_and_keeps_what_was_typed(
        app: Flask, client: FlaskClient, practice_admin: User, field: str, value: str) -> None:
    status, page = _create(client, **{field: value})
    assert status == 200 and 'class="error"' in page, (field, page[:300])
    assert FORM["name"] in page or field == "name"
    with app_state(app).session_factory() as session:
        assert registry.find_organisation(session, FORM["slug"]) is None
    assert not _organisation_files(app, FORM["slug"])


def test_a_taken_short_name_is_refused(app: Flask, settings: Settings, client: FlaskClient,
                                       practice_admin: User) -> None:
    create_client(app, settings, FORM["slug"], data=False)
    status, page = _create(client, name="Een andere naam")
    assert status == 200 and 'class="error"' in page


def test_the_practice_admin_reads_no_case_and_no_signal(
        app: Flask, settings: Settings, client: FlaskClient, practice_admin: User) -> None:
    """Every route of the home organisation and of a client, with the ids of real rows: the
    practice admin gets a refusal or a page without anything of a case."""
    alfa: Client = create_client(app, settings, "alfa-installatie")
    app.config["WTF_CSRF_ENABLED"] = False
    ids = {"reference": alfa.reference, "thread_id": str(alfa.thread_id),
           "round_id": str(alfa.round_id)}
    for prefix in ("", f"/o/{alfa.slug}"):
        for endpoint, method, path in concrete_urls(app, ids):
            if method != "GET" or endpoint in {"auth.logout", "auth.set_language"}:
                continue
            response = client.get(prefix + path)
            # the requested path itself comes back (the language form's or login's "next")
            body = response.get_data(as_text=True).replace(path, "")
            assert not any(marker in body for marker in alfa.markers.values()), (prefix, path)
            assert alfa.reference not in body, (prefix, path)
            if prefix and response.status_code == 200:  # a client's page: public ones only
                assert endpoint.split(".")[0] in {"contact", "survey", "auth", "home"}, path


def test_a_practice_admin_of_the_main_database_is_no_user_of_a_client(
        app: Flask, settings: Settings, client: FlaskClient, create_user: Callable[..., User]
        ) -> None:
    alfa = create_client(app, settings, "alfa-installatie", data=False)
    user = create_user("practice_admin")
    response = post_form(client, f"/o/{alfa.slug}/login", {
        "email": user.email, "password": user.test_password})  # type: ignore[attr-defined]
    assert response.status_code == 200  # the same refusal as for any unknown address
    assert client.get(f"/o/{alfa.slug}/start").status_code == 302


def test_log_in_helper_reaches_a_client(app: Flask, settings: Settings,
                                        client: FlaskClient) -> None:
    alfa = create_client(app, settings, "alfa-installatie", data=False)
    log_in(client, account(alfa.factory, alfa.settings, f"/o/{alfa.slug}", "admin",
                           "beheer@alfa.example.org"))
    assert client.get(f"/o/{alfa.slug}/admin/users").status_code == 200
