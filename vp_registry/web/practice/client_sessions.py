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
commits the ones whose work succeeded (their audit entries) and closes all (:func:`finish`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from flask import request
from sqlalchemy import select

from vp_registry.app_state import AppState, organisation_state, practice_state
from vp_registry.core import crypto
from vp_registry.core.crypto import DecryptionError
from vp_registry.core.taxonomy import Role
from vp_registry.db import utcnow
from vp_registry.db.accounts import User, WebSession
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

    @property
    def client(self) -> ClientWork:
        return ClientWork(self.organisation, self.work)


def _unseal(token: str, sealed: bytes) -> bytes:
    """The session's vault key (web/sessions.py seals it so: a key derived from the token)."""
    return crypto.unwrap_key(crypto.key_from_token(token, "session-vault"), sealed,
                             purpose="session-vault", key_version=VAULT_KEY_VERSION)


def _expired(state: AppState, row: WebSession) -> bool:
    now, settings = utcnow(), state.settings
    return (row.last_seen_at + timedelta(minutes=settings.session_idle_minutes) < now
            or row.created_at + timedelta(hours=settings.session_absolute_hours) < now)


def _signed_in_user(row: WebSession, user: User) -> bool:
    """The checks of the organisation's own request: Flask-Login's user in the session data,
    and web/auth/loading.py's conditions; and only a counsellor has a case overview."""
    try:
        data = json.loads(row.data)
    except ValueError:
        return False
    return (isinstance(data, dict) and str(data.get("_user_id", "")) == str(user.id)
            and user.active and user.totp_enrolled and not user.must_change_password
            and user.role == Role.COUNSELLOR.value)


def _open(organisation: Organisation, token: str) -> ClientSession | None:
    state = organisation_state(organisation)
    session = new_session(state.session_factory)
    try:
        found = session.execute(
            select(WebSession, User).join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == crypto.hash_token(token))).first()
        if found is None or _expired(state, found.WebSession) or not _signed_in_user(
                found.WebSession, found.User):
            session.close()
            return None
        row, user = found.WebSession, found.User
        work = Work(session, state.settings, Actor(user.id, user.role))
        unlocked = False
        if row.vault_key_sealed is not None:
            try:
                key = _unseal(token, row.vault_key_sealed)
                work.with_keys(unlocking.open_keys(session, state.settings, key,
                                                   holder=user.id))
                unlocked = True
            except (NoGrant, VaultLocked, DecryptionError):
                unlocked = False
        return ClientSession(organisation, user.display_name, work, unlocked)
    except BaseException:
        session.close()
        raise


def organisations() -> list[Organisation]:
    """The active organisations, home first (from the practice registry)."""
    with new_session(practice_state().session_factory) as session:
        return registry.list_organisations(session)


def open_client_sessions() -> list[ClientSession]:
    """This browser's live counsellor sessions, one per organisation, home first."""
    found = []
    for organisation in organisations():
        token = request.cookies.get(cookie_name(organisation))
        if not token or len(token) > MAX_TOKEN:
            continue
        opened = _open(organisation, token)
        if opened is not None:
            found.append(opened)
    return found


@contextmanager
def client_sessions() -> Iterator[list[ClientSession]]:
    """The sessions for one request: committed (their audit entries) when the block ends
    normally, rolled back otherwise; closed always."""
    opened = open_client_sessions()
    try:
        yield opened
        for item in opened:
            item.work.commit()
    finally:
        for item in opened:
            item.work.close()

