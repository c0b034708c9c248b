"""Login with mandatory TOTP, sessions, and the security headers (DESIGN section 3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from tests.support.forms import AuthActions, csrf_token, post_form
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db import utcnow
from vp_registry.db.accounts import User, WebSession
from vp_registry.db.audit import AuditEntry
from vp_registry.web.sessions import COOKIE_NAME


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(COOKIE_NAME)
    return cookie.value if cookie else None


def test_first_login_enrols_totp_with_inline_svg_and_text_secret(
    client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = create_user("manager", enrolled=False)
    response = post_form(client, "/login", {"email": user.email,
                                            "password": user.test_password})  # type: ignore[attr-defined]
    assert response.headers["Location"].endswith("/login/enrol")
    page = client.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in page
    found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert found
    secret = found.group(1).replace(" ", "")
    wrong = post_form(client, "/login/enrol", {"code": "000000"})
    assert wrong.status_code == 200 and "/start" not in wrong.headers.get("Location", "")
    response = post_form(client, "/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"].endswith("/start")
    assert client.get("/start").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_page(
    client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = create_user("admin")
    wrong = post_form(client, "/login", {"email": user.email, "password": "Wrong-password-123"})
    unknown = post_form(client, "/login", {"email": "ghost@example.org",
                                           "password": "Wrong-password-123"})
    strip = re.compile(r'value="[^"]*"')
    assert wrong.status_code == unknown.status_code == 200
    assert strip.sub("", wrong.get_data(as_text=True)).replace(user.email, "") == \
        strip.sub("", unknown.get_data(as_text=True)).replace("ghost@example.org", "")


def test_wrong_code_is_refused_and_a_used_code_never_works_again(
    app: Flask, client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = create_user("counsellor")
    auth = AuthActions(client)
    post_form(client, "/login", {"email": user.email, "password": user.test_password})  # type: ignore[attr-defined]
    assert post_form(client, "/login/code", {"code": "123456"}).status_code == 200
    code = pyotp.TOTP(user.test_totp_secret).now()  # type: ignore[attr-defined]
    assert post_form(client, "/login/code", {"code": code}).headers["Location"].endswith("/start")
    auth.logout()
    post_form(client, "/login", {"email": user.email, "password": user.test_password})  # type: ignore[attr-defined]
    replay = post_form(client, "/login/code", {"code": code})
    assert replay.status_code == 200 and client.get("/start").status_code == 302


def test_a_throttled_login_step_answers_429_on_its_own_page(
    client: FlaskClient, settings: Settings, create_user: Callable[..., User]
) -> None:
    """Every login step answers a refusal with its page and the reason; once the attempts are
    throttled, with status 429 (web/auth/views._refused)."""
    user = create_user("counsellor")
    post_form(client, "/login", {"email": user.email, "password": user.test_password})  # type: ignore[attr-defined]
    statuses = [post_form(client, "/login/code", {"code": "000000"}).status_code
                for _ in range(settings.throttle_free_attempts + 1)]
    assert statuses[0] == 200 and statuses[-1] == 429
    throttled = post_form(client, "/login/code", {"code": "000000"})
    assert throttled.status_code == 429 and 'name="code"' in throttled.get_data(as_text=True)
    for _ in range(settings.throttle_free_attempts + 1):
        wrong = post_form(client, "/login", {"email": "ghost@example.org",
                                             "password": "Wrong-password-123"})
    assert wrong.status_code == 429 and 'name="password"' in wrong.get_data(as_text=True)


def test_session_is_regenerated_at_login_and_deleted_at_logout(
    app: Flask, client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = create_user("admin")
    csrf_token(client, "/login")
    before = session_cookie(client)
    AuthActions(client).login(user)
    after = session_cookie(client)
    assert before and after and before != after
    AuthActions(client).logout()
    client.set_cookie(COOKIE_NAME, after)
    response = client.get("/start")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_cookie_attributes(client: FlaskClient, create_user: Callable[..., User]) -> None:
    user = create_user("admin")
    response = post_form(client, "/login", {"email": user.email,
                                            "password": user.test_password})  # type: ignore[attr-defined]
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header


def test_secure_cookie_outside_development(settings: object) -> None:
    from vp_registry.config import Settings

    assert isinstance(settings, Settings)
    production = settings.with_overrides(environment="production", testing=False)
    assert production.session_cookie_secure


def test_idle_session_expires(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as("admin")
    with db_session_for(app) as session:
        for row in session.execute(select(WebSession)).scalars():
            row.last_seen_at -= timedelta(minutes=31)
        session.commit()
    assert client.get("/start").status_code == 302


def _last_seen(app: Flask) -> list[datetime]:
    with db_session_for(app) as session:
        return [row.last_seen_at for row in session.execute(select(WebSession)).scalars()]


def test_activity_keeps_a_session_alive(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as("admin")
    with db_session_for(app) as session:
        for row in session.execute(select(WebSession)).scalars():
            row.last_seen_at -= timedelta(minutes=29)
        session.commit()
    assert client.get("/start").status_code == 200
    (seen,) = _last_seen(app)
    assert utcnow() - seen < timedelta(seconds=5)  # the request counted as activity


def test_requests_close_together_do_not_rewrite_the_session_row(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """Only every LAST_SEEN_RESOLUTION: a write on every request (static files too) would
    cost each request a database write, for a timeout measured in minutes."""
    login_as("admin")
    before = _last_seen(app)
    assert client.get("/start").status_code == 200
    with client.get("/static/style.css") as static:
        assert static.status_code == 200
    assert _last_seen(app) == before


def test_absolute_session_lifetime(app: Flask, client: FlaskClient,
                                   login_as: Callable[..., User]) -> None:
    login_as("admin")
    with db_session_for(app) as session:
        for row in session.execute(select(WebSession)).scalars():
            row.created_at -= timedelta(hours=8, minutes=1)
        session.commit()
    assert client.get("/start").status_code == 302


def test_password_change_ends_other_sessions(
    app: Flask, create_user: Callable[..., User]
) -> None:
    user = create_user("manager")
    first, second = app.test_client(), app.test_client()
    AuthActions(first).login(user)
    with db_session_for(app) as session:
        session.execute(update(User).where(User.id == user.id).values(totp_last_step=0))
        session.commit()
    AuthActions(second).login(user)
    response = post_form(first, "/account/password", {
        "current": user.test_password, "password": "Een-heel-nieuw-wachtwoord-9",  # type: ignore[attr-defined]
        "confirm": "Een-heel-nieuw-wachtwoord-9"})
    assert response.status_code == 302
    assert first.get("/start").status_code == 200
    assert second.get("/start").status_code == 302


def test_admin_reset_forces_password_change_then_enrolment(
    client: FlaskClient, create_user: Callable[..., User], login_as: Callable[..., User]
) -> None:
    target = create_user("manager")
    login_as("admin")
    response = post_form(client, f"/admin/users/{target.id}/reset",
                         {"password": "Tijdelijk-wachtwoord-2026"})
    assert response.status_code == 302
    AuthActions(client).logout()
    response = post_form(client, "/login", {"email": target.email,
                                            "password": "Tijdelijk-wachtwoord-2026"})
    assert response.headers["Location"].endswith("/login/new-password")
    response = post_form(client, "/login/new-password", {
        "password": "Mijn-eigen-wachtwoord-77", "confirm": "Mijn-eigen-wachtwoord-77"})
    assert response.headers["Location"].endswith("/login/enrol")


def test_security_headers_on_every_page(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as("admin")
    for path in ("/login", "/start", "/admin/users", "/does-not-exist"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"


def test_missing_csrf_token_is_refused(
    client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = create_user("admin")
    response = client.post("/login", data={"email": user.email,
                                           "password": user.test_password})  # type: ignore[attr-defined]
    assert response.status_code == 400


def test_oversized_request_gets_friendly_413(client: FlaskClient, settings: object) -> None:
    response = client.post("/login", data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)


def test_language_is_dutch_by_default_and_english_is_remembered(client: FlaskClient) -> None:
    assert 'lang="nl"' in client.get("/login").get_data(as_text=True)
    post_form(client, "/language", {"language": "en", "next": "/login"}, form_page="/login")
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)


def test_login_events_are_audited_without_secrets(
    app: Flask, client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = create_user("admin")
    post_form(client, "/login", {"email": user.email, "password": "Wrong-password-123"})
    AuthActions(client).login(user)
    with db_session_for(app) as session:
        entries = session.execute(select(AuditEntry)).scalars().all()
    actions = [entry.action for entry in entries]
    assert "login.failed" in actions and "login.success" in actions
    dump = " ".join(f"{e.details} {e.target_id}" for e in entries)
    assert user.test_password not in dump and "Wrong-password" not in dump  # type: ignore[attr-defined]


def test_wtforms_own_messages_are_dutch(client: FlaskClient) -> None:
    """WTForms' built-in messages come from its Dutch catalogue (read once per process)."""
    for _ in range(2):  # the second request uses the cached catalogue
        page = post_form(client, "/login", {"email": "", "password": ""}).get_data(as_text=True)
        assert "Dit veld is vereist." in page and "This field is required." not in page
