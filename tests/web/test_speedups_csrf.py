"""A web session's CSRF token signed once per worker, not on every page (issue 15, session 10;
web/speedups/csrf.py).

The case pages of one session carry one token, signed once; it is the token Flask-WTF
accepts (a POST with it works); two sessions never share one; a new session after logout
signs its own; a configured time limit, a page whose vault did not open and a page without
a session row sign as before. Counted with a wrapper around Flask-WTF's signer; no test here
measures time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import csrf as flask_wtf_csrf
from sqlalchemy import update

from tests.support.forms import AuthActions
from tests.support.sessions import db_session_for
from vp_registry.db.accounts import User
from vp_registry.web.speedups import session_memory

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def signed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The tokens Flask-WTF signed, in order."""
    seen: list[str] = []
    real = flask_wtf_csrf.URLSafeTimedSerializer

    class Counting(real):  # type: ignore[misc, valid-type]
        def dumps(self, obj: Any, salt: Any = None) -> Any:
            token = super().dumps(obj, salt)
            seen.append(str(token))
            return token

    monkeypatch.setattr(flask_wtf_csrf, "URLSafeTimedSerializer", Counting)
    yield seen


def _tokens(client: FlaskClient, path: str) -> set[str]:
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    found = set(CSRF.findall(answer.get_data(as_text=True)))
    assert found
    return found


def test_a_sessions_case_pages_carry_one_token_signed_once(
    client: FlaskClient, counsellor: User, signed: list[str]
) -> None:
    signed.clear()  # what the login's pages signed
    first = _tokens(client, "/cases/")
    second = _tokens(client, "/cases/")
    third = _tokens(client, "/cases/new")
    assert len(first) == 1 and first == second == third
    assert len(signed) == 1
    # the reused token is the one Flask-WTF checks: the filter's POST and the logout work
    token = next(iter(second))
    kept = client.post("/cases/filter", data={"csrf_token": token, "status": "open",
                                              "sort": "newest"})
    assert kept.status_code == 303
    assert AuthActions(client).logout().status_code == 302


def test_a_wrong_token_is_still_refused(client: FlaskClient, counsellor: User) -> None:
    token = next(iter(_tokens(client, "/cases/")))
    assert client.post("/cases/filter", data={"csrf_token": token[:-2] + "xx",
                                              "status": "open"}).status_code == 400


def test_two_sessions_never_share_a_token(
    app: Flask, client: FlaskClient, counsellor: User, signed: list[str]
) -> None:
    mine = _tokens(client, "/cases/")
    with db_session_for(app) as session:  # the same counsellor logs in a second time
        session.execute(update(User).where(User.id == counsellor.id).values(totp_last_step=0))
        session.commit()
    other = app.test_client()
    assert AuthActions(other).login(counsellor).status_code == 302
    theirs = _tokens(other, "/cases/")
    assert mine != theirs and _tokens(client, "/cases/") == mine
    assert _tokens(other, "/cases/") == theirs
    # one session's token is refused in the other
    refused = other.post("/cases/filter", data={"csrf_token": next(iter(mine)),
                                                "status": "open"})
    assert refused.status_code == 400


def test_a_new_session_after_logout_signs_its_own(
    app: Flask, client: FlaskClient, counsellor: User, signed: list[str]
) -> None:
    before = _tokens(client, "/cases/")
    assert AuthActions(client).logout().status_code == 302
    with app.app_context():
        assert session_memory.remembered_sessions() == 0
    with db_session_for(app) as session:
        session.execute(update(User).where(User.id == counsellor.id).values(totp_last_step=0))
        session.commit()
    assert AuthActions(client).login(counsellor).status_code == 302
    after = _tokens(client, "/cases/")
    assert after != before
    assert _tokens(client, "/cases/") == after


def test_a_time_limit_signs_every_page(
    app: Flask, client: FlaskClient, counsellor: User, signed: list[str]
) -> None:
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    _tokens(client, "/cases/")
    count = len(signed)
    _tokens(client, "/cases/")
    assert len(signed) == count + 1


def test_pages_without_an_open_vault_sign_as_before(
    client: FlaskClient, login_as: Callable[[str], User], signed: list[str]
) -> None:
    login_as("admin")  # no vault: the session memory is not looked up for the token
    _tokens(client, "/start")
    count = len(signed)
    _tokens(client, "/start")
    assert len(signed) == count + 1
