"""A service-layer session on a test's app, closed when the ``with`` block ends."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from vp_registry.app_state import app_state


class db_session_for:  # used like a function: with db_session_for(app) as session
    def __init__(self, app: Flask) -> None:
        self.session: Session = app_state(app).session_factory()

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, *exc: object) -> None:
        self.session.close()
