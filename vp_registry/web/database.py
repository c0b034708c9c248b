"""One database session per request: the unit of work commits once, after the view.

Services only flush. ``after_request`` commits unless an exception escaped the view or the
answer is a server error (then it rolls back), so a response never claims success for work
that was not stored, and the 500 page's "Nothing was saved" is true. (The catch-all error
handler turns every exception into a 500 page, and Flask signals ``got_request_exception``
only for exceptions that no handler took: the status is what tells.)
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, got_request_exception
from flask_login import current_user
from sqlalchemy.orm import Session

from vp_registry.app_state import app_state
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work, new_session


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = new_session(app_state().session_factory)  # as a CLI command's
    session: Session = g.db_session
    return session


def current_work() -> Work:
    """This request's unit of work: its session, the settings, who acts, and the vault keys
    (opened lazily, at most once). Committed or rolled back after the view, below."""
    if "work" not in g:
        from vp_registry.web.cases.common import current_keys  # here: an import cycle otherwise

        settings = app_state().settings
        user = current_user._get_current_object()  # one proxy look-up, not four
        actor = (Actor(user.id, user.role) if user is not None and user.is_authenticated
                 else Actor.anonymous())
        g.work = Work(db_session(), settings, actor, open_keys=current_keys)
    work: Work = g.work
    return work


def _mark_failed(_sender: Any, **_extra: Any) -> None:
    g.unit_of_work_failed = True


def _commit(response: Response) -> Response:
    session: Session | None = g.get("db_session")
    if session is not None:
        if g.get("unit_of_work_failed") or response.status_code >= 500:
            session.rollback()
        else:
            session.commit()
    return response


def _close(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def init_app(app: Flask) -> None:
    got_request_exception.connect(_mark_failed, app)
    app.after_request(_commit)
    app.teardown_appcontext(_close)
