"""PostgreSQL connections are checked before use only when something says they may be dead
(vp_registry/db/liveness.py, issue 15 session 8): no round trip for a live, recently used
connection; a killed backend is noticed at checkout and replaced, so the request works.

Pings are counted by wrapping the dialect's ``do_ping``; no test here measures time (idle
is simulated by setting the idle limit to zero).
"""

from __future__ import annotations

import select
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.support.database import POSTGRES_URL, fresh_postgres_database
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
    pings: list[int] = []
    real = made.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return bool(real(dbapi_connection))

    monkeypatch.setattr(made.dialect, "do_ping", counted)
    try:
        yield made, pings
    finally:
        made.dispose()
        databases.close()


def _backend(connection: sa.Connection) -> int:
    return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def test_a_live_recently_used_connection_is_not_pinged(
        engine: tuple[sa.Engine, list[int]]) -> None:
    made, pings = engine
    with made.connect() as connection:
        first = _backend(connection)
    for _ in range(3):
        with made.connect() as connection:
            assert _backend(connection) == first  # the same pooled connection
    assert pings == []  # before (pool_pre_ping): one ping per checkout


def test_an_idle_connection_is_pinged(engine: tuple[sa.Engine, list[int]],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    made, pings = engine
    with made.connect() as connection:
        first = _backend(connection)
    monkeypatch.setattr(liveness, "IDLE_PING_SECONDS", 0.0)
    with made.connect() as connection:
        assert _backend(connection) == first
    assert pings == [1]


def test_a_killed_backend_is_replaced_at_checkout(engine: tuple[sa.Engine, list[int]]
                                                  ) -> None:
    """The backend of the pooled connection is terminated (as a server restart or an
    administrator would): the next checkout sees its socket readable, pings, and takes a
    new connection - the statement works."""
    made, pings = engine
    with made.connect() as connection:
        killed = _backend(connection)
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({killed})")
    finally:
        admin.dispose()
    pool = made.pool
    record = pool._pool.queue[0]  # type: ignore[attr-defined]
    poller = select.poll()
    poller.register(record.dbapi_connection.pgconn.socket, select.POLLIN)
    assert poller.poll(10_000), "the server did not close the killed backend's socket"
    with made.connect() as connection:
        assert _backend(connection) != killed
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
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as other:
            ended = other.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": database}
            ).scalar_one()
    finally:
        admin.dispose()
    assert ended >= 1
    for record in list(engine.pool._pool.queue):  # type: ignore[attr-defined]
        poller = select.poll()
        poller.register(record.dbapi_connection.pgconn.socket, select.POLLIN)
        assert poller.poll(10_000), "the server did not close a killed backend's socket"
    page = client.get("/start")
    assert page.status_code == 200
