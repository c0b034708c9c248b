"""PostgreSQL connections are checked before use only when something says they may be dead
(vp_registry/db/liveness.py, issue 15 session 8): no round trip for a live, recently used
connection; a killed backend is noticed at checkout and replaced, so the request works.

Pings are counted by wrapping the dialect's ``do_ping``; no test here measures time (idle
is simulated by setting the idle limit to zero).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.support.database import POSTGRES_URL, fresh_postgres_database
from tests.support.pg_backends import (
    backend_of,
    counted_pings,
    kill_the_pooled_backend,
    terminate,
    wait_until_closed,
)
from vp_registry.app_state import app_state
from vp_registry.db import liveness, make_engine
from vp_registry.db.accounts import User

pytestmark = pytest.mark.skipif(not POSTGRES_URL,
                                reason="needs PostgreSQL: set VP_TEST_POSTGRES_URL")


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[sa.Engine, list[int]]]:
    databases = fresh_postgres_database()
    url = next(databases)
    made = make_engine(url)
    pings = counted_pings(made, monkeypatch)
    try:
        yield made, pings
    finally:
        made.dispose()
        databases.close()


def test_a_live_recently_used_connection_is_not_pinged(
        engine: tuple[sa.Engine, list[int]]) -> None:
    made, pings = engine
    with made.connect() as connection:
        first = backend_of(connection)
    for _ in range(3):
        with made.connect() as connection:
            assert backend_of(connection) == first  # the same pooled connection
    assert pings == []  # before (pool_pre_ping): one ping per checkout


def test_an_idle_connection_is_pinged(engine: tuple[sa.Engine, list[int]],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    made, pings = engine
    with made.connect() as connection:
        first = backend_of(connection)
    monkeypatch.setattr(liveness, "IDLE_PING_SECONDS", 0.0)
    with made.connect() as connection:
        assert backend_of(connection) == first
    assert pings == [1]


def test_a_killed_backend_is_replaced_at_checkout(engine: tuple[sa.Engine, list[int]]
                                                  ) -> None:
    """The backend of the pooled connection is terminated (as a server restart or an
    administrator would): the next checkout sees its socket readable, pings, and takes a
    new connection - the statement works."""
    made, pings = engine
    killed = kill_the_pooled_backend(made)
    with made.connect() as connection:
        assert backend_of(connection) != killed
        assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1
    assert pings == [1]


def test_a_page_after_the_servers_backends_ended(app: Flask, client: FlaskClient,
                                                login_as: Callable[[str], User]) -> None:
    """As after a server restart: every backend of the application's pooled connections is
    terminated between two requests; the next page is served (the pool notices at checkout)."""
    login_as("admin")
    assert client.get("/start").status_code == 200
    engine = app_state(app).engine
    database = engine.url.database
    ended = terminate("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                      "WHERE datname = :name AND pid <> pg_backend_pid()", {"name": database})
    assert ended >= 1
    for record in list(engine.pool._pool.queue):  # type: ignore[attr-defined]
        wait_until_closed(record)
    page = client.get("/start")
    assert page.status_code == 200
