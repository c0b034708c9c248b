"""``vp-registry sessions purge`` runs in one unit of work: expired session rows (with the
sealed vault keys they hold) are deleted and committed, live ones stay."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db import utcnow
from vp_registry.db.accounts import WebSession


def test_sessions_purge_deletes_expired_rows_and_commits(
    app: Flask, settings: Settings, runner: FlaskCliRunner
) -> None:
    now = utcnow()
    idle = now - timedelta(minutes=settings.session_idle_minutes + 1)
    old = now - timedelta(hours=settings.session_absolute_hours + 1)
    with app.app_context(), db_session_for(app) as session:
        session.add_all([
            WebSession(token_hash="a" * 64, created_at=now, last_seen_at=now),
            WebSession(token_hash="b" * 64, created_at=now, last_seen_at=idle),
            WebSession(token_hash="c" * 64, created_at=old, last_seen_at=now),
        ])
        session.commit()

    result = runner.invoke(args=["sessions", "purge"])

    assert result.exit_code == 0, result.output
    assert "2" in result.output
    with app.app_context(), db_session_for(app) as session:  # a new session: committed
        left = list(session.execute(select(WebSession.token_hash)).scalars())
    assert left == ["a" * 64]
