"""PostgreSQL backends for the pool liveness tests (issue 15 and 17, session 8): count an
engine's pings and end a pooled connection's backend as a server restart would."""

from __future__ import annotations

import select
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.database import POSTGRES_URL


def counted_pings(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that gains an item at every ping of ``engine``'s dialect (no time measured)."""
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return bool(real(dbapi_connection))

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def backend_of(connection: sa.Connection) -> int:
    return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def terminate(sql: str, parameters: dict[str, Any] | None = None) -> int:
    """Run a ``pg_terminate_backend`` statement from another connection; its scalar."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as other:
            return int(other.execute(sa.text(sql), parameters or {}).scalar_one())
    finally:
        admin.dispose()


def wait_until_closed(record: Any) -> None:
    """Until the server has closed the killed backend of the pooled ``record``'s socket."""
    poller = select.poll()
    poller.register(record.dbapi_connection.pgconn.socket, select.POLLIN)
    assert poller.poll(10_000), "the server did not close the killed backend's socket"


def kill_the_pooled_backend(engine: sa.Engine) -> int:
    """End the backend of ``engine``'s one pooled connection; its process id."""
    with engine.connect() as connection:
        killed = backend_of(connection)
    terminate(f"SELECT count(pg_terminate_backend({killed}))")
    wait_until_closed(engine.pool._pool.queue[0])  # type: ignore[attr-defined]
    return killed
