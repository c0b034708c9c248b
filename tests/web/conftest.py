"""Fixtures of the test-client tests: the counsellor with access to the case files, logged in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.support.forms import AuthActions
from vp_registry.db.accounts import User


@pytest.fixture
def counsellor(client: FlaskClient, counsellor_with_vault: Callable[..., User]) -> User:
    """A counsellor with access to the case files, logged in on ``client``."""
    user = counsellor_with_vault()
    assert AuthActions(client).login(user).status_code == 302
    return user
