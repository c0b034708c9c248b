"""Flask-Login user loading from the server-side session.

A logged-in request's user is read with its session row, in the same statement
(web/sessions.py), as the few columns the pages need - not as an ORM ``User`` in the request's
unit of work (issue 15: loading the object and keeping it in the session cost a case page
more than the statement itself). ``current_user`` is then a :class:`SessionUser`; the views
that change the account (password, language, unlocking the vault) take the ORM object from
:func:`orm_user`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from flask import abort, g
from flask_login import current_user
from sqlalchemy import Table, and_, bindparam, select

from vp_registry.db.accounts import User
from vp_registry.web.database import db_session

_USERS = cast(Table, User.__table__).c

# The user's columns, as the session row's statement selects them (outer join: NULL for an
# anonymous session). Whether the account may use a page is decided from these alone - the
# same conditions as before: active, two-factor enrolled, no password change pending.
USER_COLUMNS = (
    _USERS.id.label("user_id"),
    _USERS.role.label("user_role"),
    _USERS.display_name.label("user_display_name"),
    _USERS.email.label("user_email"),
    _USERS.locale.label("user_locale"),
    _USERS.active.label("user_active"),
    _USERS.must_change_password.label("user_must_change_password"),
    and_(_USERS.totp_enrolled_at.is_not(None), _USERS.totp_secret_encrypted.is_not(None))
    .label("user_totp_enrolled"),
)
_BY_ID = select(*USER_COLUMNS).where(_USERS.id == bindparam("user_id"))


@dataclass(frozen=True, slots=True)
class SessionUser:
    """The logged-in user of this request: what the pages show and the guards check.

    A copy of the row's columns read with the session row, never stored: the next request
    reads them again, so a role, name or language change is seen at once."""

    id: int
    role: str
    display_name: str
    email: str
    locale: str | None

    # Flask-Login's protocol (only usable accounts become a SessionUser)
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


def user_from_row(row: Any) -> SessionUser | None:
    """The usable user of a row holding :data:`USER_COLUMNS` (None: no user, disabled, not
    enrolled in two-factor authentication, or a password change pending)."""
    if row.user_id is None or not row.user_active or not row.user_totp_enrolled \
            or row.user_must_change_password:
        return None
    return SessionUser(int(row.user_id), str(row.user_role), str(row.user_display_name),
                       str(row.user_email), row.user_locale)


def remember_session_user(row: Any) -> None:
    """Keep the user read with the session row for :func:`load_user` (no other query)."""
    if row.user_id is not None:
        g.web_session_user = (int(row.user_id), user_from_row(row))


def load_user(user_id: str) -> SessionUser | None:
    try:
        wanted = int(user_id)
    except ValueError:
        return None
    known: tuple[int, SessionUser | None] | None = g.pop("web_session_user", None)
    if known is not None and known[0] == wanted:
        return known[1]
    row = db_session().connection().execute(_BY_ID, {"user_id": wanted}).first()
    return None if row is None else user_from_row(row)


def orm_user() -> User:
    """The logged-in user as the ORM object, for a view that changes the account (one read,
    in the request's unit of work; at login Flask-Login holds the object already)."""
    user = current_user._get_current_object()
    if isinstance(user, User):
        return user
    if not user.is_authenticated:
        abort(403)
    found = db_session().get(User, int(user.get_id()))
    if found is None:  # deleted while this request ran
        abort(403)
    return found


def no_session_identifier() -> str:
    """Flask-Login's session identifier, made of nothing (session 9).

    Flask-Login's own is the SHA-512 of the client's address (``X-Forwarded-For`` first) and
    user agent: ``login_user`` stored it in the session's data, i.e. in the web_sessions row
    - an address a database copy recovers by trying the IPv4 space against a few common
    user agents (docs/design.md I-9: no client address is written anywhere) - and
    ``_load_user`` computed it on every logged-in request (~20-30 us) only to ignore it:
    session protection is off (sessions are server-side and regenerated at login). An empty
    identifier keeps Flask-Login's session keys as they were, with nothing in them."""
    return ""
