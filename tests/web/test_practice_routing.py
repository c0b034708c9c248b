"""Routing, state and sessions per organisation (issue 17, orgs-core).

The home organisation is today's application, unchanged. A client organisation is served under
``/o/<slug>/`` (or its own host name) with its own settings, database and session cookie: a
browser can be logged in to several at once, and a cookie of one is a session nowhere else.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests.support.forms import CSRF_PATTERN, DEFAULT_PASSWORD, post_form
from vp_registry import create_app
from vp_registry.app_state import (
    app_state,
    cache_namespace,
    organisation_state,
    practice_state,
)
from vp_registry.config import Settings
from vp_registry.core.disclosure import cache as disclosure_cache
from vp_registry.db.accounts import User, WebSession
from vp_registry.services.accounts import authentication, users
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.registry import Organisation
from vp_registry.services.vault import store
from vp_registry.services.work import Work
from vp_registry.web.organisation import cookie_name
from vp_registry.web.request_log import is_anonymous_path


@dataclass(frozen=True)
class Login:
    prefix: str
    email: str
    secret: str


def make_client_organisation(app: Flask, installation: Settings, slug: str,
                             **fields: object) -> Organisation:
    state = practice_state(app)
    with state.session_factory() as session:
        organisation = registry.create_organisation(
            Work(session, installation, Actor.system()), state.databases, slug=slug,
            name=f"Klant {slug}", **fields)  # type: ignore[arg-type]
        session.commit()
    return organisation


def make_account(app: Flask, organisation: Organisation, role: str = "admin",
                 email: str = "persoon@example.org") -> Login:
    state = organisation_state(organisation, app)
    with state.session_factory() as session:
        work = Work(session, state.settings, Actor.system())
        user = users.create_user(work, email=email, display_name="Persoon", role=role,
                                 password=DEFAULT_PASSWORD, must_change_password=False)
        secret = pyotp.random_base32(32)
        authentication.complete_enrolment(work, user, secret, pyotp.TOTP(secret).now(), None)
        user.totp_last_step = 0
        session.commit()
    prefix = "" if organisation.is_home else f"/o/{organisation.slug}"
    return Login(prefix, email, secret)


def log_in(client: FlaskClient, login: Login) -> None:
    response = post_form(client, f"{login.prefix}/login",
                         {"email": login.email, "password": DEFAULT_PASSWORD})
    assert response.headers["Location"].endswith(f"{login.prefix}/login/code")
    response = post_form(client, f"{login.prefix}/login/code",
                         {"code": pyotp.TOTP(login.secret).now()})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert response.headers["Location"].startswith(f"{login.prefix}/")


def sessions_in(app: Flask, organisation: Organisation) -> int:
    with organisation_state(organisation, app).session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(WebSession)
                                  .where(WebSession.user_id.is_not(None))) or 0)


@pytest.fixture
def home(app: Flask) -> Organisation:
    with practice_state(app).session_factory() as session:
        return registry.home_organisation(session)


@pytest.fixture
def client_b(app: Flask, settings: Settings) -> Organisation:
    return make_client_organisation(app, settings, "bouw-b", settings={"DISCLOSURE_K": 5})


def test_each_organisation_has_its_own_state(app: Flask, client_b: Organisation,
                                             home: Organisation) -> None:
    state = organisation_state(client_b, app)
    assert state is organisation_state(client_b, app)  # made once
    assert state.settings.disclosure_k == 5 and state.settings.organisation_name == "Klant bouw-b"
    assert state.engine is not practice_state(app).engine
    assert state.contact_throttles is not practice_state(app).contact_throttles
    assert organisation_state(home, app) is practice_state(app)
    with app.test_request_context("/o/bouw-b/start",
                                  environ_base={"vp_registry.organisation": client_b}):
        assert app_state() is state
    with app.test_request_context("/start"):
        assert app_state() is practice_state(app)
    assert disclosure_cache._namespace is cache_namespace  # the auditor's cache per organisation


def test_a_browser_logged_in_to_two_organisations(app: Flask, client: FlaskClient,
                                                  home: Organisation,
                                                  client_b: Organisation) -> None:
    at_home, at_b = make_account(app, home), make_account(app, client_b)
    log_in(client, at_home)
    log_in(client, at_b)
    home_cookie, b_cookie = client.get_cookie("vp_session"), client.get_cookie("vp_session__bouw-b")
    assert home_cookie is not None and b_cookie is not None
    assert home_cookie.value != b_cookie.value and b_cookie.path == "/"
    assert sessions_in(app, home) == 1 and sessions_in(app, client_b) == 1
    # both are live: each organisation's start page, each with its own prefix in the links
    assert client.get("/start").status_code == 200
    page = client.get("/o/bouw-b/start")
    assert page.status_code == 200 and 'action="/o/bouw-b/logout"' in page.get_data(True)
    # logging out of the home organisation keeps B
    response = post_form(client, "/logout", {}, form_page="/start")
    assert response.status_code == 302
    assert client.get("/start").status_code == 302  # to the login page
    assert client.get("/o/bouw-b/start").status_code == 200
    assert sessions_in(app, home) == 0 and sessions_in(app, client_b) == 1
    assert client.get_cookie("vp_session__bouw-b").value == b_cookie.value  # type: ignore[union-attr]


def test_a_cookie_of_one_organisation_is_no_session_in_another(
        app: Flask, client: FlaskClient, home: Organisation, client_b: Organisation) -> None:
    log_in(client, make_account(app, home))
    token = client.get_cookie("vp_session").value  # type: ignore[union-attr]
    thief = app.test_client()
    thief.set_cookie("vp_session__bouw-b", token)
    answer = thief.get("/o/bouw-b/start")
    assert answer.status_code == 302 and "/o/bouw-b/login" in answer.headers["Location"]
    # and the other way round: B's cookie under the home cookie's name is nothing at home
    log_in(client, make_account(app, client_b, email="b@example.org"))
    other = app.test_client()
    other.set_cookie("vp_session", client.get_cookie("vp_session__bouw-b").value)  # type: ignore[union-attr]
    assert other.get("/start").status_code == 302


def test_unknown_deleted_and_home_slugs_are_plain_404s(app: Flask, client: FlaskClient,
                                                       settings: Settings) -> None:
    gone = make_client_organisation(app, settings, "weg")
    state = practice_state(app)
    state.databases.drop_database(gone)
    with state.session_factory() as session:
        registry.mark_deleted(Work(session, settings, Actor.system()), gone)
        session.commit()
    def page(answer: TestResponse, path: str) -> str:  # the page repeats the path asked for
        return CSRF_PATTERN.sub("", answer.get_data(as_text=True)).replace(path, "PATH")

    unknown = client.get("/nergens/login")
    assert unknown.status_code == 404
    for path in ("/o/weg/login", "/o/home/login", "/o/niet-bestaand/login", "/o/Weg/login",
                 "/o/weg/static/style.css"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert page(answer, path) == page(unknown, "/nergens/login"), path
        assert "weg" not in page(answer, path).lower()


def test_static_files_under_a_prefix_keep_their_headers(client: FlaskClient,
                                                        client_b: Organisation) -> None:
    with client.get("/static/style.css") as plain, \
            client.get("/o/bouw-b/static/style.css") as prefixed:
        assert prefixed.status_code == plain.status_code == 200
        assert prefixed.get_data() == plain.get_data()
        for header in ("Content-Type", "Cache-Control", "Content-Security-Policy", "ETag",
                       "X-Content-Type-Options", "Referrer-Policy"):
            assert prefixed.headers.get(header) == plain.headers.get(header), header
    # a session cookie of any organisation makes the answer no-store, as on Flask's pages
    client.set_cookie("vp_session__bouw-b", "x" * 43)
    with client.get("/o/bouw-b/static/style.css") as cookied:
        assert cookied.headers["Cache-Control"] == "no-store"


def test_a_host_name_selects_its_organisation_and_only_that(
        app: Flask, settings: Settings) -> None:
    hosted = make_client_organisation(app, settings, "gastheer", host="klant.example.org")
    make_client_organisation(app, settings, "ander")
    login = make_account(app, hosted)
    on_host = {"Host": "klant.example.org"}
    # off by default: the host name selects nothing (and costs no look-up)
    assert "gastheer" not in app.test_client().get("/login", headers=on_host).get_data(True)
    with_hosts = create_app(settings.with_overrides(organisation_hosts=True))
    try:
        client = with_hosts.test_client()
        assert client.get("/o/ander/login", headers=on_host).status_code == 404
        assert client.get("/o/ander/login").status_code == 200
        token = CSRF_PATTERN.search(client.get("/login", headers=on_host).get_data(True))
        assert token is not None
        response = client.post("/login", headers=on_host, data={
            "csrf_token": token.group(1), "email": login.email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302 and response.headers["Location"] == "/login/code"
        assert client.get_cookie("vp_session__gastheer", domain="klant.example.org")
        # the account is gastheer's: the home organisation's login refuses it
        refused = post_form(client, "/login", {"email": login.email,
                                               "password": DEFAULT_PASSWORD})
        assert refused.status_code == 200
    finally:
        practice_state(with_hosts).databases.dispose_all()
        practice_state(with_hosts).engine.dispose()


def test_cookie_names(app: Flask, home: Organisation, client_b: Organisation) -> None:
    assert cookie_name(home) == "vp_session"
    assert cookie_name(client_b) == "vp_session__bouw-b"
    with app.test_request_context("/"):
        assert cookie_name() == "vp_session"


def test_the_vault_key_of_one_organisation_opens_only_that_one(
        app: Flask, client: FlaskClient, client_b: Organisation,
        create_user: Callable[..., User]) -> None:
    """A counsellor unlocked in B: B's session row holds a sealed key; the home organisation's
    database has no session of that browser at all."""
    state = organisation_state(client_b, app)
    with state.session_factory() as session:
        assert store.create_vault(Work(session, state.settings, Actor.system())) is not None
        session.commit()
    log_in(client, make_account(app, client_b, role="counsellor", email="vp@example.org"))
    with state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) >= 1
    with practice_state(app).session_factory() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0


def test_after_login_the_next_page_is_the_organisations(app: Flask, client: FlaskClient,
                                                        client_b: Organisation) -> None:
    login = make_account(app, client_b, role="counsellor", email="vp@example.org")
    asked = client.get("/o/bouw-b/activities")
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/o/bouw-b/login?next=/activities"
    post_form(client, "/o/bouw-b/login?next=/activities",
              {"email": login.email, "password": DEFAULT_PASSWORD})
    done = post_form(client, "/o/bouw-b/login/code", {"code": pyotp.TOTP(login.secret).now()})
    assert done.headers["Location"] == "/o/bouw-b/activities"


def test_a_worker_forgets_an_organisation_another_worker_deleted(
        app: Flask, client: FlaskClient, settings: Settings) -> None:
    """Deleted in another process (here: without telling this app), the organisation is a
    404 at its next request, and this worker closes the connections it still held to it."""
    gone = make_client_organisation(app, settings, "elders")
    assert client.get("/o/elders/login").status_code == 200
    state = practice_state(app)
    assert state.databases.has_engine("elders") and "elders" in state.clients
    with state.session_factory() as session:  # the other worker's delete, registry part
        registry.mark_deleted(Work(session, settings, Actor.system()), gone)
        session.commit()
    assert client.get("/o/elders/login").status_code == 404
    assert not state.databases.has_engine("elders") and "elders" not in state.clients


@pytest.mark.parametrize(("path", "anonymous"), [
    ("/o/acme/contact", True), ("/o/acme/contact/replies", True), ("/o/acme/counsellors", True),
    ("/o/nergens/survey/x", True), ("//o//acme//contact", True), ("/o/acme/login", False),
    ("/o/acme", False), ("/o/contact", False), ("/o/acme/contactform", False),
])
def test_the_anonymous_pages_of_any_organisation_are_never_logged(path: str,
                                                                  anonymous: bool) -> None:
    """I-9 under a prefix: the request log leaves out an organisation's anonymous pages,
    also of a slug that is unknown or was deleted (its path is then not rewritten)."""
    assert is_anonymous_path(path) is anonymous


def test_werkzeug_logs_no_line_of_an_organisations_anonymous_pages(
        app: Flask, settings: Settings, real_server: str,
        caplog: pytest.LogCaptureFixture) -> None:
    make_client_organisation(app, settings, "acme")
    caplog.set_level(logging.DEBUG)
    for path in ("/o/acme/contact", "/o/weg/contact", "/o/acme/login"):
        try:
            urllib.request.urlopen(real_server + path, timeout=10).close()  # noqa: S310
        except urllib.error.HTTPError as error:  # the unknown organisation: 404
            error.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/o/acme/login" in line for line in lines), lines  # logging works
    assert not any("contact" in line for line in lines), lines
