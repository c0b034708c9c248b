"""db/raw_psycopg.py: on PostgreSQL a raw statement runs as libpq's prepared statement,
outside psycopg's cursor, and reads, writes and fails as the cursor would (issue 15,
session 11)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Integer, String, bindparam, literal, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.support.database import POSTGRES_URL
from tests.support.pg_backends import backend_of, terminate
from vp_registry.db import raw_psycopg
from vp_registry.db.audit import AuditEntry
from vp_registry.db.lazy_begin import STANDALONE
from vp_registry.db.raw import RawStatement

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set "
                                "VP_TEST_POSTGRES_URL (CI's PostgreSQL phase runs it)")

_COUNT = RawStatement(select(literal(1, Integer)).where(
    bindparam("wanted", type_=Integer) == literal(1, Integer)), (Integer(),))
_ECHO = RawStatement(select(bindparam("text", type_=String)), (String(),))


def _prepared(connection: Connection) -> list[str]:
    return list(connection.exec_driver_sql(
        "SELECT name FROM pg_prepared_statements WHERE name LIKE 'vp_raw_%%' ORDER BY name"
    ).scalars())


def _cursor_executes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    executed: list[str] = []
    real = psycopg.Cursor.execute

    def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        executed.append(str(query))
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    return executed


def test_a_read_outside_a_transaction_is_prepared_once_and_skips_the_cursor(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    connection = db.connection()
    executed = _cursor_executes(monkeypatch)
    for _ in range(3):
        assert _COUNT.rows(connection, {"wanted": 1}) == [(1,)]
    assert executed == []
    assert connection.connection.dbapi_connection.info.transaction_status == (  # type: ignore[union-attr]
        TransactionStatus.IDLE)
    assert len(_prepared(connection)) == 1


def test_statements_in_a_transaction_go_through_the_cursor(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """psycopg sends BEGIN before a transaction's first statement, and deallocates every
    prepared statement after a rollback to a savepoint: in a transaction the cursor runs
    them, as before."""
    insert = RawStatement(AuditEntry.__table__.insert().values(  # type: ignore[attr-defined]
        {name: bindparam(name) for name in ("lane", "seq", "created_at", "action", "details",
                                            "prev_mac", "mac")}))
    connection = db.connection()
    executed = _cursor_executes(monkeypatch)
    for seq in (951, 952):
        insert.rows(connection, {"lane": 9, "seq": seq, "created_at": datetime(2026, 1, 1),
                                 "action": "test.raw", "details": "{}", "prev_mac": "0" * 64,
                                 "mac": "1" * 64})
    assert _COUNT.rows(connection, {"wanted": 1}) == [(1,)]
    assert [statement.split()[0] for statement in executed] == ["INSERT", "INSERT", "SELECT"]
    assert connection.connection.dbapi_connection.info.transaction_status == (  # type: ignore[union-attr]
        TransactionStatus.INTRANS)
    db.rollback()
    assert db.execute(select(AuditEntry).where(AuditEntry.lane == 9)).all() == []


def test_a_rollback_to_a_savepoint_does_not_lose_the_next_read(db: Session) -> None:
    """psycopg answers a ROLLBACK TO SAVEPOINT by deallocating all prepared statements of
    the connection, ours too (found by the PostgreSQL suite: an audited conflict page)."""
    connection = db.connection()
    assert _COUNT.rows(connection, {"wanted": 1}) == [(1,)]
    for _ in range(6):  # psycopg prepares a statement of its own from the fifth time on
        db.execute(select(literal(3)))
    savepoint = db.begin_nested()
    db.execute(select(literal(1)))
    savepoint.rollback()
    db.execute(select(literal(2)))  # psycopg deallocates before its next statement
    assert _COUNT.rows(db.connection(), {"wanted": 1}) == [(1,)]  # in the transaction
    db.commit()
    assert _COUNT.rows(db.connection(), {"wanted": 1}) == [(1,)]  # outside it, again


def test_a_none_and_a_value_are_prepared_apart_and_both_read_back(db: Session) -> None:
    connection = db.connection()
    assert _ECHO.rows(connection, {"text": None}) == [(None,)]
    assert _ECHO.rows(connection, {"text": "woord 100%"}) == [("woord 100%",)]


def test_statements_deallocated_behind_its_back_are_prepared_again(db: Session) -> None:
    connection = db.connection()
    assert _COUNT.rows(connection, {"wanted": 1}) == [(1,)]
    connection.exec_driver_sql(STANDALONE + "DEALLOCATE ALL")
    assert _COUNT.rows(connection, {"wanted": 1}) == [(1,)]


def test_a_connection_keeps_a_bounded_number_of_prepared_statements(
        db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raw_psycopg, "KEPT_STATEMENTS", 3)
    connection = db.connection()
    for number in range(6):
        statement = RawStatement(select(literal(number, Integer)), (Integer(),))
        assert statement.rows(connection) == [(number,)]
    assert len(_prepared(connection)) == 3


def test_a_lost_connection_under_a_prepared_read_is_invalidated(db: Session) -> None:
    connection = db.connection()
    assert _COUNT.rows(connection, {"wanted": 1}) == [(1,)]
    assert terminate("SELECT pg_terminate_backend(:pid)", {"pid": backend_of(connection)}) == 1
    with pytest.raises(OperationalError) as raised:
        _COUNT.rows(connection, {"wanted": 1})
    assert raised.value.connection_invalidated
    assert connection.invalidated
    db.rollback()
    db.close()
