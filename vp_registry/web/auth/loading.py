"""Flask-Login user loading from the server-side session."""

from __future__ import annotations

from vp_registry.db.accounts import User
from vp_registry.web.database import db_session


def load_user(user_id: str) -> User | None:
    try:
        user = db_session().get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.active or not user.totp_enrolled or user.must_change_password:
        return None
    return user
