"""Fixtures of the web-level reliability tests: one demo world per module, a copy per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.world import ErrorLog, Visit, World, build_world, make_settings
from tests.support.database import POSTGRES_URL, cloned, fresh_postgres_database
from vp_registry import create_app
from vp_registry.app_state import app_state


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("world")
    databases = fresh_postgres_database() if POSTGRES_URL else iter(
        [f"sqlite:///{tmp / 'world.sqlite3'}"])
    url = next(databases)
    settings = make_settings(tmp, url)
    app = create_app(settings)
    try:
        ids, people, code = build_world(app, settings)
    finally:
        # the demo's client organisations (issue 17) hold connections of their own: a database
        # anyone is connected to cannot be the template of the copies below (PostgreSQL)
        app_state(app).databases.dispose_all()
        app_state(app).engine.dispose()
    yield World(settings, url, ids, people, code)
    for _ in databases:  # drops the PostgreSQL database
        pass


@pytest.fixture
def visit(world: World, tmp_path: Path) -> Iterator[Visit]:
    with cloned(world.url, tmp_path) as url:
        app = create_app(world.settings.with_overrides(database_url=url))
        errors = ErrorLog()
        app.logger.addHandler(errors)
        try:
            yield Visit(app, app.test_client(), errors, world)
        finally:
            app_state(app).databases.dispose_all()
            app_state(app).engine.dispose()
