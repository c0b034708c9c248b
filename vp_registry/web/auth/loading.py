"""Flask-Login user loading from the server-side session."""

from __future__ import annotations

from flask import g

from vp_registry.db.accounts import User
from vp_registry.web.database import db_session


def load_user(user_id: str) -> User | None:
    try:
        wanted = int(user_id)
    except ValueError:
        return None
    # Read with the session row in the same statement, into the request's unit of work
    # (web/sessions.py, issue 15): no other query.
    known: User | None = g.pop("web_session_user", None)
    if known is not None and known.id == wanted:
        user: User | None = known
    else:
        user = db_session().get(User, wanted)
    if user is None or not user.active or not user.totp_enrolled or user.must_change_password:
        return None
    return user
