"""No client address in a web session's row (docs/design.md I-9), in any form (session 9).

Flask-Login's ``login_user`` stored ``_id``, the SHA-512 of the client's address
(``X-Forwarded-For`` first) and user agent, in the session's data - the web_sessions row -
where a database copy recovers the address by trying the IPv4 space against a few common
user agents. Two logins from two addresses must store the same session data apart from what
is the user's own (their id, the CSRF secret)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.support.forms import AuthActions
from tests.support.sessions import db_session_for
from vp_registry.db.accounts import User, WebSession

_OWN = {"_user_id", "csrf_token"}


def _login_from(app: Flask, user: User, address: str) -> dict[str, Any]:
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, "HTTP_X_FORWARDED_FOR": address,
                                "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64)"})
    assert AuthActions(client).login(user).status_code == 302
    assert client.get("/start").status_code == 200
    with app.app_context(), db_session_for(app) as session:
        rows = session.execute(select(WebSession.data).where(WebSession.user_id == user.id))
        (data,) = [json.loads(row) for row in rows.scalars()]
    return data


def test_a_login_stores_nothing_derived_from_the_client_address(
    app: Flask, create_user: Callable[..., User]
) -> None:
    first = _login_from(app, create_user("counsellor"), "203.0.113.7")
    second = _login_from(app, create_user("counsellor"), "198.51.100.23")
    assert "203.0.113.7" not in json.dumps(first)
    shared = {name: value for name, value in first.items() if name not in _OWN}
    assert shared == {name: value for name, value in second.items() if name not in _OWN}
    assert shared  # Flask-Login's own keys (_fresh, ...) are still there: compared above


def test_a_session_stored_with_an_address_hash_loses_it_at_its_next_request(
    app: Flask, create_user: Callable[..., User]
) -> None:
    """A session logged in before the fix holds the hash until its next request, which
    rewrites its row without it (fails before: the hash stays)."""
    user = create_user("counsellor")
    client = app.test_client()
    assert AuthActions(client).login(user).status_code == 302
    with app.app_context(), db_session_for(app) as session:
        row = session.execute(select(WebSession).where(WebSession.user_id == user.id)).scalar_one()
        data = json.loads(row.data)
        row.data = json.dumps({**data, "_id": "9f" * 64})
        session.commit()
    assert client.get("/start").status_code == 200
    with app.app_context(), db_session_for(app) as session:
        stored = session.execute(select(WebSession.data).where(WebSession.user_id == user.id))
        after = json.loads(stored.scalar_one())
    assert after == {**data, "_id": ""}
