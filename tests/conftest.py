"""The suite's root conftest: it only loads the shared fixtures and the Hypothesis profiles.

Helpers and fixtures live in tests/support/ (see its ``__init__``); test modules import from
there, never from a conftest file. Every test gets a database of its own: a copy of the run's
migrated template (SQLite by default, PostgreSQL when ``VP_TEST_POSTGRES_URL`` is set).
Each test's CPU time is recorded too (``--cpu-durations=N`` prints the most expensive).
"""

from __future__ import annotations

pytest_plugins = [
    "tests.support.fixtures", "tests.support.hypothesis_profiles", "tests.support.cpu_time",
]
