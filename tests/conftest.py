"""The suite's root conftest: it only loads the shared fixtures and the Hypothesis profiles.

Helpers and fixtures live in tests/support/ (see its ``__init__``); test modules import from
there, never from a conftest file. Every test gets a database of its own: a copy of the run's
migrated template (SQLite by default, PostgreSQL when ``VP_TEST_POSTGRES_URL`` is set).
"""

from __future__ import annotations

pytest_plugins = ["tests.support.fixtures", "tests.support.hypothesis_profiles"]

# Temporary re-exports for test modules written before tests/support/ (issue 13): import from
# tests.support.* instead; removed once nothing imports tests.conftest any more.
from tests.support.database import POSTGRES_URL  # noqa: E402, F401
from tests.support.database import fresh_postgres_database as _fresh_postgres_database  # noqa: E402, F401
from tests.support.forms import (  # noqa: E402, F401
    CSRF_PATTERN,
    DEFAULT_PASSWORD,
    AuthActions,
    csrf_token,
    post_form,
)
from tests.support.sessions import db_session_for  # noqa: E402, F401
