"""Fixtures of the test-client tests: the counsellor with access to the case files, logged in,
and a department to file cases under."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.casework import department
from tests.support.forms import AuthActions
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User


@pytest.fixture
def counsellor(client: FlaskClient, counsellor_with_vault: Callable[..., User]) -> User:
    """A counsellor with access to the case files, logged in on ``client``."""
    user = counsellor_with_vault()
    assert AuthActions(client).login(user).status_code == 302
    return user


@pytest.fixture
def dept_id(app: Flask, settings: Settings) -> int:
    """The id of an active department (modules that need more departments define their own)."""
    with app.app_context(), db_session_for(app) as session:
        found = department(session, "Magazijn en logistiek", settings).id
        session.commit()
        return found
