"""Ending web sessions: the rows go, with the vault keys sealed in them (issue 11)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from vp_registry.db import utcnow
from vp_registry.db.accounts import User, WebSession
from vp_registry.services.cases import shredding
from vp_registry.services.work import Work


def purge_expired_sessions(work: Work) -> int:
    """Delete session rows past their idle or absolute lifetime (also anonymous ones)."""
    session, settings = work.session, work.settings
    now = utcnow()
    idle_limit = now - timedelta(minutes=settings.session_idle_minutes)
    absolute_limit = now - timedelta(hours=settings.session_absolute_hours)
    result = session.execute(delete(WebSession).where(
        (WebSession.last_seen_at < idle_limit) | (WebSession.created_at < absolute_limit)))
    purged = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if purged:
        shredding.checkpoint_after_commit(session)  # no sealed vault key of theirs stays in the WAL
    return purged


def end_sessions(session: Session, user: User, *, except_token_hash: str | None = None) -> None:
    """Delete the user's sessions (sealed vault keys with them) and, once committed, checkpoint
    SQLite's write-ahead log so that no copy of those keys stays in it (issue 11)."""
    query = delete(WebSession).where(WebSession.user_id == user.id)
    if except_token_hash is not None:
        query = query.where(WebSession.token_hash != except_token_hash)
    session.execute(query)
    shredding.checkpoint_after_commit(session)
