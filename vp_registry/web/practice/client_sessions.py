"""This browser's counsellor sessions in the client organisations (issue 17).

``/clients`` is in the main database's URL space, but what it shows comes from the other
organisations' sessions this browser holds: one cookie per organisation
(``web.organisation.cookie_name``), each a token whose hash keys a row of *that*
organisation's ``web_sessions``. For every organisation this module reads that row (never
writes it: the organisation's own pages keep its idle timeout), checks it exactly as the
organisation's own request would (not expired, a user who is active, enrolled, not due to
change the password - web/auth/loading.py - and a counsellor), unseals the vault key with the
cookie's token and opens the vault keys in that organisation's database, which checks the
user's live grant there (I-10). An organisation whose cookie is absent, unknown or expired
is not named at all; one whose session holds no usable key is listed as locked.

Each :class:`ClientSession` owns a database session of its own organisation; the caller
commits its work (its audit entry) when it succeeded and closes it (web/practice/overviews.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from flask import g, request
from sqlalchemy import Select, Table, and_, bindparam, select

from vp_registry.app_state import AppState, practice_state
from vp_registry.core import crypto
from vp_registry.core.crypto import DecryptionError
from vp_registry.core.taxonomy import Role
from vp_registry.db import utcnow
from vp_registry.db.accounts import User, WebSession
from vp_registry.services.cases import listing_cache
from vp_registry.services.cases import overview as cases_overview
from vp_registry.services.cases.listing_cache import IndexRead
from vp_registry.services.errors import NoGrant, VaultLocked
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.registry import Organisation
from vp_registry.services.practice import ClientWork
from vp_registry.services.vault import unlocking
from vp_registry.services.work import Work, new_session
from vp_registry.web.organisation import cookie_name
from vp_registry.web.sessions import VAULT_KEY_VERSION

MAX_TOKEN = 100  # as web/sessions.py: a longer cookie is not ours


@dataclass
class ClientSession:
    """A live counsellor session of this browser in one organisation."""

    organisation: Organisation
    user_name: str
    work: Work
    unlocked: bool
    index_read: IndexRead | None = None  # the vault's listing index, read with the session
    open_rows: list[Any] | None = None  # the open cases, likewise (PostgreSQL)

    @property
    def client(self) -> ClientWork:
        return ClientWork(self.organisation, self.work, self.index_read, self.open_rows)


def _unseal(token: str, sealed: bytes) -> bytes:
    """The session's vault key (web/sessions.py seals it so: a key derived from the token)."""
    return crypto.unwrap_key(crypto.key_from_token(token, "session-vault"), sealed,
                             purpose="session-vault", key_version=VAULT_KEY_VERSION)


def _expired(state: AppState, row: Any) -> bool:
    now, settings = utcnow(), state.settings
    return bool(row.last_seen_at + timedelta(minutes=settings.session_idle_minutes) < now
                or row.created_at + timedelta(hours=settings.session_absolute_hours) < now)


def _signed_in_user(row: Any) -> bool:
    """The checks of the organisation's own request: Flask-Login's user in the session data,
    and web/auth/loading.py's conditions; and only a counsellor has a case overview."""
    try:
        data = json.loads(row.data)
    except ValueError:
        return False
    return bool(isinstance(data, dict) and str(data.get("_user_id", "")) == str(row.user_id)
                and row.active and row.totp_enrolled and not row.must_change_password
                and row.role == Role.COUNSELLOR.value)


# The session row, its user's columns, the vault-and-grant columns (services/vault/unlocking)
# and the vault's listing index in one statement, built once, over the tables' columns (no
# ORM objects: this runs once per organisation on every /clients; issue 17, session 8: one
# statement and round trip per organisation instead of three).
_SESSIONS, _USERS = (cast(Table, model.__table__) for model in (WebSession, User))


def _session_statement(*, with_index: bool, with_open: bool) -> Select[Any]:
    """The statement of :func:`open_in` (``with_index``: also the vault's listing index,
    tens of KB, which only a part made afresh needs; ``with_open``: also the open cases, as
    arrays - PostgreSQL only)."""
    joined = unlocking.with_vault_and_grant(
        _SESSIONS.join(_USERS, _USERS.c.id == _SESSIONS.c.user_id), _SESSIONS.c.user_id)
    joined = listing_cache.with_listing_index(joined) if with_index else joined
    joined = cases_overview.with_open_cases(joined) if with_open else joined
    index = listing_cache.INDEX_READ_COLUMNS if with_index else ()
    open_cases = cases_overview.OPEN_CASES_COLUMNS if with_open else ()
    return (select(_SESSIONS.c.data, _SESSIONS.c.created_at, _SESSIONS.c.last_seen_at,
                   _SESSIONS.c.vault_key_sealed, _USERS.c.id.label("user_id"),
                   _USERS.c.role, _USERS.c.display_name, _USERS.c.active,
                   and_(_USERS.c.totp_enrolled_at.is_not(None),
                        _USERS.c.totp_secret_encrypted.is_not(None)).label("totp_enrolled"),
                   _USERS.c.must_change_password, *unlocking.VAULT_READ_COLUMNS, *index,
                   *open_cases)
            .select_from(joined)
            .where(_SESSIONS.c.token_hash == bindparam("token_hash")))


# (with_index, with_open) -> the statement, each built once
_STATEMENTS = {(index, open_cases): _session_statement(with_index=index, with_open=open_cases)
               for index in (False, True) for open_cases in (False, True)}


def open_in(organisation: Organisation, state: AppState, token: str, *,
            with_index: bool = False, with_open: bool = False) -> ClientSession | None:
    """This browser's counsellor session in ``organisation`` (its ``state``), checked as that
    organisation's own request checks it; None if there is none. Uses no request context (the
    overview runs it in a thread per organisation); the caller closes ``work``.
    ``with_index``: read the vault's listing index with it (``index_read``); ``with_open``:
    on PostgreSQL, also the open cases (``open_rows``; issue 17, session 9)."""
    session = new_session(state.session_factory)
    try:
        connection = session.connection()
        with_open = with_open and connection.dialect.name == "postgresql"
        row = connection.execute(_STATEMENTS[with_index, with_open],
                                 {"token_hash": crypto.hash_token(token)}).first()
        if row is None or _expired(state, row) or not _signed_in_user(row):
            session.close()
            return None
        work = Work(session, state.settings, Actor(row.user_id, row.role))
        unlocked = False
        if row.vault_key_sealed is not None:
            try:
                key = _unseal(token, row.vault_key_sealed)
                # read with the session's row: nothing in this unit of work wrote before
                work.with_keys(unlocking.open_keys(
                    session, state.settings, key, holder=row.user_id,
                    read=unlocking.VaultRead.of_row(row, row.user_id)))
                unlocked = True
            except (NoGrant, VaultLocked, DecryptionError):
                unlocked = False
        return ClientSession(organisation, row.display_name, work, unlocked,
                             listing_cache.IndexRead.of_row(row)
                             if unlocked and with_index else None,
                             cases_overview.open_cases_of(row)
                             if unlocked and with_open else None)
    except BaseException:
        session.close()
        raise


def host_organisations() -> bool:
    """Whether an organisation is served on a host name of its own: its cookie is set for that
    host only (never shared across hosts), so /clients here cannot see its session."""
    return any(organisation.host for organisation in organisations())


def browser_tokens() -> list[tuple[Organisation, str]]:
    """The organisations whose session cookie this browser sends, with its token, home
    first (whether each session is live is for :func:`open_in` to check)."""
    found = []
    for organisation in organisations():
        token = request.cookies.get(cookie_name(organisation))
        if token and len(token) <= MAX_TOKEN:
            found.append((organisation, token))
    return found


def organisations() -> list[Organisation]:
    """The active organisations, home first (from the practice registry; read once a
    request)."""
    found: list[Organisation] | None = g.get("practice_organisations")
    if found is None:
        with new_session(practice_state().session_factory) as session:
            found = registry.list_organisations(session)
        g.practice_organisations = found
    return found
