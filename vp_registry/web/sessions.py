"""Server-side sessions (docs/design.md section 3).

The cookie holds only a random 256-bit token; the database row is keyed by its SHA-256, so a
copy of the database cannot be turned into a cookie. Sessions expire after 30 idle minutes and
8 hours in all, are regenerated at login, and are deleted at logout, password change, 2FA reset
and account disable. The vault key is kept in the row encrypted under a key derived from the
cookie token (docs/design.md I-2): neither the row nor the cookie alone yields it.

A new token never inherits the vault key of the row it replaces (issue 11): whoever unlocked
the vault in this request stores the key explicitly. Logout (:func:`end_session`) deletes the
row; a flash message after it goes into a fresh anonymous row with a new cookie. Deleting a
row that held a sealed key checkpoints SQLite's write-ahead log, so no copy of it stays in
``-wal``. Each request that uses the key also checks the user's grant (web/cases/common.py).

Session rows are written through their own database session, so the request's unit of work
(which may roll back) never decides whether a login or logout is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask, Request, Response, g
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import CursorResult, Engine, Table, bindparam, delete, select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import CallbackDict

from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.db import utcnow
from vp_registry.db.accounts import User, WebSession
from vp_registry.db.raw import RawStatement
from vp_registry.services.cases.shredding import checkpoint as checkpoint_engine
from vp_registry.services.vault import unlocking
from vp_registry.web.auth.loading import USER_COLUMNS, remember_session_user
from vp_registry.web.database import db_session
from vp_registry.web.organisation import HOME_COOKIE, cookie_name

COOKIE_NAME = HOME_COOKIE  # the home organisation's; others: cookie_name() (issue 17)
VAULT_KEY_VERSION = 1
LAST_SEEN_RESOLUTION = timedelta(seconds=30)


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, initial: dict[str, Any] | None = None, token: str | None = None) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.modified = False
        self.regenerate_requested = False
        self.vault_key_to_store: bytes | None = None
        self.vault_key_cached: bytes | None = None
        self.vault_key_dropped = False
        self.detached = False

    def regenerate(self) -> None:
        """Issue a new token (at login): a token known before login is worthless after it.
        The new row holds a vault key only if this request stores one."""
        self.regenerate_requested = True
        self.modified = True

    def end(self) -> None:
        """Logout: the row goes, with everything in it; data set after this (a flash message)
        goes into a new anonymous session with a new token."""
        self.clear()
        self.vault_key_to_store = None
        self.vault_key_cached = None
        self.regenerate()

    def store_vault_key(self, vault_key: bytes) -> None:
        self.vault_key_to_store = vault_key
        self.vault_key_cached = vault_key
        self.vault_key_dropped = False
        self.modified = True

    def drop_vault_key(self) -> None:
        """Forget the vault key (the user no longer holds a grant)."""
        self.vault_key_to_store = None
        self.vault_key_cached = None
        self.vault_key_dropped = True
        self.modified = True


def _detached() -> ServerSession:
    """The session of a static file request (issue 15): empty, never looked up, never saved.

    A static file is the same for everybody, so its request neither reads the cookie's row
    (no user, no key: nothing of the session is usable) nor writes it: the cookie stays as it
    is and a static request does not count as activity for the idle timeout. Whatever a
    response to it puts into the session (a CSRF token on the 404 page) is dropped.
    """
    session = ServerSession()
    session.detached = True
    return session


def _store() -> Session:
    store: Session = app_state().session_factory()
    return store


def checkpoint(store: Session) -> None:
    """After deleting a sealed vault key: no copy of it stays in SQLite's write-ahead log."""
    bind = store.get_bind()
    checkpoint_engine(bind if isinstance(bind, Engine) else bind.engine)


def _seal(token: str, vault_key: bytes) -> bytes:
    return crypto.wrap_key(crypto.key_from_token(token, "session-vault"), vault_key,
                           purpose="session-vault", key_version=VAULT_KEY_VERSION)


def _unseal(token: str, sealed: bytes) -> bytes:
    return crypto.unwrap_key(crypto.key_from_token(token, "session-vault"), sealed,
                             purpose="session-vault", key_version=VAULT_KEY_VERSION)


@dataclass(frozen=True, slots=True)
class LoadedSession:
    """What a request keeps of its session row: a copy of four columns, not the ORM row (the
    row is written, when at all, through a separate database session: save_session)."""

    token_hash: str
    created_at: datetime
    last_seen_at: datetime
    vault_key_sealed: bytes | None


# Built once: constructing the statement cost more CPU than running it (issue 15). Columns of
# the session row and of its user (web/auth/loading.py), over the tables: no ORM entity, run
# on the request's connection (an ORM object for the user and the ORM's statement handling
# cost more than the statement itself).
_SESSIONS, _USERS = cast(Table, WebSession.__table__), cast(Table, User.__table__)
# Session 8: with the vault, an unfinished rotation and the user's grant (the columns
# unlocking.open_keys checks), so a page that decrypts runs one statement less - a round trip
# on PostgreSQL. web/cases/common.current_keys uses them on a GET only (below).
_ROW_AND_USER = (select(_SESSIONS.c.token_hash, _SESSIONS.c.data, _SESSIONS.c.created_at,
                        _SESSIONS.c.last_seen_at, _SESSIONS.c.vault_key_sealed, *USER_COLUMNS,
                        *unlocking.VAULT_READ_COLUMNS)
                 .select_from(unlocking.with_vault_and_grant(
                     _SESSIONS.outerjoin(_USERS, _USERS.c.id == _SESSIONS.c.user_id),
                     _SESSIONS.c.user_id))
                 .where(_SESSIONS.c.token_hash == bindparam("token_hash")))
# Session 9: on the driver's cursor (db/raw.py; ~15 us of SQLAlchemy's Python per logged-in
# request on SQLite, more on PostgreSQL: no result metadata built for its 19 columns).
_RAW_ROW_AND_USER = RawStatement(_ROW_AND_USER, named=True, binary=True)  # sealed keys as bytes


class DatabaseSessionInterface(SessionInterface):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _expired(self, row: LoadedSession) -> bool:
        now = utcnow()
        return (row.last_seen_at + timedelta(minutes=self.settings.session_idle_minutes) < now
                or row.created_at + timedelta(hours=self.settings.session_absolute_hours) < now)

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if app.static_url_path and request.path.startswith(app.static_url_path + "/"):
            return _detached()
        token = request.cookies.get(cookie_name())
        if not token or len(token) > 100:
            return ServerSession()
        # The row and its user in one statement, read through the request's unit of work
        # (issue 15): no database session of its own to open and close, and the user is
        # already where web/auth/loading.py needs it. Writes still go through their own.
        rows = _RAW_ROW_AND_USER.rows(db_session().connection(),
                                      {"token_hash": crypto.hash_token(token)})
        if not rows:
            return ServerSession()
        found: Any = rows[0]
        row = LoadedSession(found.token_hash, found.created_at, found.last_seen_at,
                            found.vault_key_sealed)
        if self._expired(row):
            _delete_expired(row)
            return ServerSession()
        try:
            data = json.loads(found.data)
        except ValueError:
            data = {}
        session = ServerSession(data if isinstance(data, dict) else {}, token=token)
        if session.get("_id"):  # Flask-Login's hash of the address, stored before session 9
            session["_id"] = ""  # (I-9; web/auth/loading.no_session_identifier): rewritten now
        g.web_session_row = row
        remember_session_user(found)
        if found.user_id is not None and found.vault_key_sealed is not None:
            g.web_session_vault = unlocking.VaultRead.of_row(found, int(found.user_id))
        return session

    def _touch(self, loaded: LoadedSession, response: Response) -> None:
        """Record activity for the idle timeout, at most every ``LAST_SEEN_RESOLUTION``.

        Most requests change nothing in the session: writing its row on each of them (static
        files included) would cost every request a database write. A session therefore
        expires up to that resolution early, never late.
        """
        now = utcnow()
        if response.status_code >= 400 or now - loaded.last_seen_at < LAST_SEEN_RESOLUTION:
            return
        with _store() as store:
            touched = cast(CursorResult[Any], store.execute(
                update(WebSession).where(WebSession.token_hash == loaded.token_hash)
                .values(last_seen_at=now)))
            store.commit()
        if touched.rowcount == 0:  # revoked while this request ran
            response.delete_cookie(cookie_name(), path="/")

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            raise TypeError("DatabaseSessionInterface saves only its own sessions")
        if session.detached:  # a static file: the cookie's session is left as it is
            return
        loaded: LoadedSession | None = g.pop("web_session_row", None)
        if loaded is not None and session and not session.modified:
            self._touch(loaded, response)
            return
        store = _store()
        try:
            row = store.get(WebSession, loaded.token_hash) if loaded is not None else None
            if loaded is not None and row is None:  # revoked while this request ran
                response.delete_cookie(cookie_name(), path="/")
            elif not session:
                _end(store, row, session, response)
            else:
                self._write(store, row, session, response)
        finally:
            store.close()

    def _write(self, store: Session, row: WebSession | None, session: ServerSession,
               response: Response) -> None:
        """Store the session; a new row and cookie for a new session or at login."""
        held_key = row is not None and row.vault_key_sealed is not None
        new_cookie = row is None or session.regenerate_requested
        if new_cookie:
            row = _new_row(store, row, session)
        if row is None or session.token is None:
            raise RuntimeError("session row and token must exist here")
        _fill_row(row, session, session.token)
        store.commit()
        if held_key and (new_cookie or session.vault_key_dropped):
            checkpoint(store)
        if new_cookie:
            response.set_cookie(
                cookie_name(), session.token, httponly=True, samesite="Strict", path="/",
                secure=self.settings.session_cookie_secure,
            )


def _delete_expired(row: LoadedSession) -> None:
    """An expired session's row goes (a sealed key with it), whatever the request does."""
    with _store() as store:
        store.execute(delete(WebSession).where(WebSession.token_hash == row.token_hash))
        store.commit()
        if row.vault_key_sealed is not None:
            checkpoint(store)


def _end(store: Session, row: WebSession | None, session: ServerSession,
         response: Response) -> None:
    """An emptied session (logout): its row is deleted (a sealed key with it) and the cookie
    goes."""
    if row is not None:
        held_key = row.vault_key_sealed is not None
        store.delete(row)
        store.commit()
        if held_key:
            checkpoint(store)
    if session.token:
        response.delete_cookie(cookie_name(), path="/")


def _new_row(store: Session, row: WebSession | None, session: ServerSession) -> WebSession:
    """A row under a new token; nothing of the old row passes to it, least of all a key."""
    if row is not None:
        store.delete(row)
        store.flush()
    session.token = crypto.new_token()
    fresh = WebSession(token_hash=crypto.hash_token(session.token), created_at=utcnow())
    store.add(fresh)
    return fresh


def _fill_row(row: WebSession, session: ServerSession, token: str) -> None:
    """The session's data, its vault key sealed under the token (or dropped), who and when."""
    if session.vault_key_to_store is not None:
        row.vault_key_sealed = _seal(token, session.vault_key_to_store)
    elif session.vault_key_dropped:
        row.vault_key_sealed = None
    row.data = json.dumps(dict(session), separators=(",", ":"))
    row.last_seen_at = utcnow()
    user_id = session.get("_user_id")
    row.user_id = int(user_id) if user_id else None


def regenerate(session: SessionMixin) -> None:
    """Give the current session a new token at the end of this request (used at login)."""
    if not isinstance(session, ServerSession):
        raise TypeError("expected a server-side session")
    session.regenerate()


def end_session(session: SessionMixin) -> None:
    """End the session at the end of this request (logout): its row is deleted."""
    if not isinstance(session, ServerSession):
        raise TypeError("expected a server-side session")
    session.end()


def drop_vault_key(session: SessionMixin) -> None:
    if isinstance(session, ServerSession):
        session.drop_vault_key()


def session_vault_key(session: SessionMixin) -> bytes | None:
    """The vault key for this request, or None when this session holds none."""
    if not isinstance(session, ServerSession) or session.token is None:
        return None
    if session.vault_key_cached is not None:
        return session.vault_key_cached
    row: LoadedSession | None = g.get("web_session_row")
    if row is None or row.vault_key_sealed is None:
        return None
    session.vault_key_cached = _unseal(session.token, row.vault_key_sealed)
    return session.vault_key_cached


def token_key(session: SessionMixin, purpose: str) -> bytes:
    """A key only the holder of this session's cookie can derive (the database has only the
    token's hash). Raises when the session has no token yet."""
    if not isinstance(session, ServerSession) or not session.token:
        raise RuntimeError("this session has no token yet")
    return crypto.key_from_token(session.token, purpose)


def current_token_hash(session: SessionMixin) -> str | None:
    if isinstance(session, ServerSession) and session.token:
        return crypto.hash_token(session.token)
    return None
