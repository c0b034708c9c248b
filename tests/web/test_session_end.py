"""A session ends completely, and a vault key never outlives its owner's session (issue 11,
items 1 and 5a).

* Logout deletes the server-side row (a flash message goes into a fresh anonymous session with a
  new cookie); neither the row nor its sealed vault key survives in the table, the SQLite file
  or its write-ahead log.
* A login never inherits a key from an earlier session in the same browser: counsellor B
  without a grant, logging in after counsellor A logged out (or abandoned a login), opens
  nothing.
* Every request that uses the vault key checks that the user holds a grant at that moment.
* Password change, admin disable and admin reset still end sessions, keys included.
* The TOTP secret of a pending enrolment is not in the session data nor in the database files.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.casework import case_input, department, grant, unlock
from tests.integration.test_case_secrecy import database_bytes
from tests.support.forms import AuthActions, post_form
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.db.accounts import User, WebSession
from vp_registry.services.cases import lifecycle
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import key_pairs
from vp_registry.services.work import Work
from vp_registry.web.sessions import COOKIE_NAME

REPORTER = "Anna Visser"
CONTACT = "06-12345678"
NARRATIVE = "Wordt al weken buitengesloten"
NEW_PASSWORD = "Een-heel-nieuw-wachtwoord-9"


def _cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(COOKIE_NAME)
    return cookie.value if cookie else None


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _rows(app: Flask) -> list[WebSession]:
    with db_session_for(app) as session:
        rows = list(session.execute(select(WebSession)).scalars())
        session.expunge_all()
        return rows


def _row_of(app: Flask, token: str) -> WebSession | None:
    with db_session_for(app) as session:
        row = session.get(WebSession, crypto.hash_token(token))
        if row is not None:
            session.expunge(row)
        return row


@pytest.fixture
def reference(app: Flask, settings: Settings, counsellor_with_vault: Callable[..., User]) -> str:
    """A case with a name and contact details, created by a counsellor holding a grant."""
    owner = counsellor_with_vault()
    with app.app_context(), db_session_for(app) as session:
        dept = department(session, "Magazijn en logistiek", settings)
        keys = unlock(session, settings, owner)
        work = Work(session, settings, Actor(owner.id, "counsellor"), keys=keys)
        record = lifecycle.create_case(work, case_input(dept.id))
        session.commit()
    return record.reference


def _assert_case_closed_to(client: FlaskClient, reference: str) -> None:
    for url in ("/cases/", f"/cases/{reference}"):
        response = client.get(url)
        page = _text(response)
        assert response.status_code == 200, url
        assert REPORTER not in page and CONTACT not in page and NARRATIVE not in page, url
        assert 'action="/vault/unlock"' in page, url  # the explanation instead


# --------------------------------------------------------------------------- logout


def test_logout_deletes_the_row_and_gives_the_browser_a_new_cookie(
    app: Flask, client: FlaskClient, counsellor: User
) -> None:
    token = _cookie(client)
    assert token is not None
    row = _row_of(app, token)
    assert row is not None and row.vault_key_sealed is not None
    response = AuthActions(client).logout()
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert _row_of(app, token) is None
    after = _cookie(client)
    assert after != token
    for left in _rows(app):  # at most the anonymous session that carries the flash message
        assert left.user_id is None and left.vault_key_sealed is None
    assert "Je bent uitgelogd." in _text(client.get("/login"))  # the flash, in a new session


def test_after_logout_a_database_copy_and_the_old_cookie_open_nothing(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, reference: str
) -> None:
    token = _cookie(client)
    assert token is not None
    assert REPORTER in _text(client.get(f"/cases/{reference}"))
    row = _row_of(app, token)
    assert row is not None and row.vault_key_sealed is not None
    sealed = bytes(row.vault_key_sealed)
    AuthActions(client).logout()

    copy = database_bytes(settings)  # the SQLite file and its WAL (or a pg_dump)
    assert sealed not in copy
    assert crypto.hash_token(token).encode() not in copy
    for left in _rows(app):
        if left.vault_key_sealed is not None:
            with pytest.raises(crypto.DecryptionError):
                crypto.unwrap_key(crypto.key_from_token(token, "session-vault"),
                                  left.vault_key_sealed, purpose="session-vault",
                                  key_version=1)
    thief = app.test_client()
    thief.set_cookie(COOKIE_NAME, token)
    response = thief.get(f"/cases/{reference}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ------------------------------------------------------------- two accounts, one browser


def test_a_counsellor_without_grant_inherits_nothing_from_the_previous_user_of_the_browser(
    app: Flask, client: FlaskClient, counsellor: User, create_user: Callable[..., User],
    reference: str,
) -> None:
    """Counsellor A logs out; counsellor B (no grant) logs in in the same browser."""
    page = _text(client.get(f"/cases/{reference}"))
    assert REPORTER in page and CONTACT in page
    AuthActions(client).logout()
    newcomer = create_user("counsellor")
    assert AuthActions(client).login(newcomer).status_code == 302
    _assert_case_closed_to(client, reference)
    for row in _rows(app):
        assert row.vault_key_sealed is None  # A's key is nowhere, B's session holds none


def test_an_abandoned_login_leaves_no_key_to_the_next_login_in_the_browser(
    app: Flask, client: FlaskClient, counsellor_with_vault: Callable[..., User],
    create_user: Callable[..., User], reference: str,
) -> None:
    """A types the password (which opens the vault for the session to come) and walks away
    before the code; B (no grant) logs in completely in the same browser."""
    holder = counsellor_with_vault()
    response = post_form(client, "/login", {"email": holder.email,
                                            "password": holder.test_password})  # type: ignore[attr-defined]
    assert response.headers["Location"].endswith("/login/code")
    newcomer = create_user("counsellor")
    assert AuthActions(client).login(newcomer).status_code == 302
    _assert_case_closed_to(client, reference)


def test_the_vault_still_opens_after_each_way_of_logging_in(
    app: Flask, client: FlaskClient, counsellor_with_vault: Callable[..., User], reference: str
) -> None:
    """The key is set explicitly by the login that unlocked it: with a code, and at the first
    login with enrolment."""
    holder = counsellor_with_vault()
    assert AuthActions(client).login(holder).status_code == 302
    assert REPORTER in _text(client.get(f"/cases/{reference}"))
    AuthActions(client).logout()

    newcomer = counsellor_with_vault(enrolled=False)
    response = post_form(client, "/login", {"email": newcomer.email,
                                            "password": newcomer.test_password})  # type: ignore[attr-defined]
    assert response.headers["Location"].endswith("/login/enrol")
    page = _text(client.get("/login/enrol"))
    found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert found
    secret = found.group(1).replace(" ", "")
    response = post_form(client, "/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"].endswith("/start")
    assert REPORTER in _text(client.get(f"/cases/{reference}"))


# ------------------------------------------------------------------ a live grant


def test_a_grant_revoked_during_a_session_stops_access_on_the_next_request(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, reference: str
) -> None:
    assert REPORTER in _text(client.get(f"/cases/{reference}"))
    with app.app_context(), db_session_for(app) as session:
        fresh = session.get(User, counsellor.id)
        assert fresh is not None
        key_pairs.remove_access(Work(session, settings, Actor.system()), fresh)
        session.commit()
    _assert_case_closed_to(client, reference)
    token = _cookie(client)
    assert token is not None
    row = _row_of(app, token)
    assert row is not None and row.vault_key_sealed is None  # the session forgot the key


def test_a_grant_given_again_needs_the_password_again(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, reference: str
) -> None:
    """After a revocation and a new grant the session does not silently reopen: the
    counsellor unlocks with the password (the key it held was dropped)."""
    with app.app_context(), db_session_for(app) as session:
        fresh = session.get(User, counsellor.id)
        assert fresh is not None
        key_pairs.remove_access(Work(session, settings, Actor.system()), fresh)
        session.commit()
    _assert_case_closed_to(client, reference)
    grant(app, settings, counsellor, counsellor.recovery_key)  # type: ignore[attr-defined]
    assert REPORTER not in _text(client.get(f"/cases/{reference}"))
    response = post_form(client, "/vault/unlock",
                         {"password": counsellor.test_password,  # type: ignore[attr-defined]
                          "next": f"/cases/{reference}"}, form_page="/vault")
    assert response.status_code == 302
    assert REPORTER in _text(client.get(f"/cases/{reference}"))


# ------------------------------------------------- the other ways a session ends


@pytest.mark.parametrize("event", ["password change", "disable", "reset"])
def test_password_change_disable_and_reset_still_end_sessions_with_their_keys(
    app: Flask, settings: Settings, counsellor_with_vault: Callable[..., User],
    create_user: Callable[..., User], event: str,
) -> None:
    victim = counsellor_with_vault()
    ended = app.test_client()
    assert AuthActions(ended).login(victim).status_code == 302
    token = _cookie(ended)
    assert token is not None
    row = _row_of(app, token)
    assert row is not None and row.vault_key_sealed is not None
    sealed = bytes(row.vault_key_sealed)
    actor = app.test_client()
    if event == "password change":
        with db_session_for(app) as session:
            fresh = session.get(User, victim.id)
            assert fresh is not None
            fresh.totp_last_step = 0  # a second login within the same 30 seconds
            session.commit()
        assert AuthActions(actor).login(victim).status_code == 302
        response = post_form(actor, "/account/password", {
            "current": victim.test_password, "password": NEW_PASSWORD,  # type: ignore[attr-defined]
            "confirm": NEW_PASSWORD})
    else:
        admin = create_user("admin")
        assert AuthActions(actor).login(admin).status_code == 302
        if event == "disable":
            response = post_form(actor, f"/admin/users/{victim.id}/active",
                                 {"active": "0", "confirmed": "1"},
                                 form_page="/admin/users")
        else:
            response = post_form(actor, f"/admin/users/{victim.id}/reset",
                                 {"password": "Tijdelijk-wachtwoord-2099"})
    assert response.status_code == 302
    assert _row_of(app, token) is None
    assert sealed not in database_bytes(settings)
    response = ended.get("/start")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    if event == "password change":
        assert actor.get("/start").status_code == 200  # the session that changed it stays


# --------------------------------------------------------- pending TOTP enrolment (5a)


def test_the_secret_of_a_pending_enrolment_is_neither_in_the_session_nor_in_the_files(
    app: Flask, settings: Settings, client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = create_user("manager", enrolled=False)
    post_form(client, "/login", {"email": user.email,
                                 "password": user.test_password})  # type: ignore[attr-defined]
    page = _text(client.get("/login/enrol"))
    found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert found
    secret = found.group(1).replace(" ", "")
    assert re.search(r'id="totp-secret">([A-Z2-7 ]+)<', _text(client.get("/login/enrol")))\
        .group(1).replace(" ", "") == secret  # type: ignore[union-attr] # stable while pending
    for row in _rows(app):
        assert secret not in row.data
    assert secret.encode() not in database_bytes(settings)
    response = post_form(client, "/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"].endswith("/start")
