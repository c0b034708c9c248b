"""Test support: helpers and shared fixtures, out of the conftest files.

- ``database``: the test databases (SQLite file or PostgreSQL), the migrated template that is
  built once per run and copied for each test, and ``cloned`` copies of a database.
- ``sessions``: ``db_session_for``, a service-layer session on a test's app.
- ``forms``: CSRF tokens, ``post_form`` and ``AuthActions`` (logging a test client in).
- ``fixtures``: the shared pytest fixtures (settings, app, client, runner, factories, login);
  loaded for the whole suite by ``pytest_plugins`` in tests/conftest.py.
- ``hypothesis_profiles``: the ``ci`` and ``dev`` profiles (also loaded there).
- ``browser``: the Playwright helpers of tests/browser (login, screenshots, axe-core).

Test modules import from here, never from a conftest file.
"""
