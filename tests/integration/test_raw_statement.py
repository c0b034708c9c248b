"""db/raw.py: a hot statement on the driver's cursor writes and reads what SQLAlchemy would,
raises what SQLAlchemy would, and is seen by the engine's cursor listeners (issue 15)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import (
    Connection,
    Date,
    Integer,
    LargeBinary,
    String,
    bindparam,
    event,
    literal,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tests.support.database import POSTGRES_URL
from tests.support.pg_backends import backend_of, terminate
from vp_registry.config import Settings
from vp_registry.db.audit import AuditEntry
from vp_registry.db.raw import RawStatement
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor

_TABLE = AuditEntry.__table__
_INSERT = RawStatement(_TABLE.insert().values(  # type: ignore[attr-defined]
    {name: bindparam(name, type_=_TABLE.c[name].type)  # type: ignore[attr-defined]
     for name in ("seq", "created_at", "action", "details", "prev_mac", "mac")}))


def _entry(seq: int, at: datetime) -> dict[str, Any]:
    return {"lane": 1, "seq": seq, "created_at": at, "action": "test.raw", "details": "{}",
            "prev_mac": "0" * 64, "mac": "1" * 64}


def test_values_are_stored_and_read_as_sqlalchemy_does(db: Session) -> None:
    """A time on a whole second is stored as SQLAlchemy stores it (SQLite: text with six
    digits of microseconds - the driver's own adapter would drop them, and the text would
    sort before the same second's other times); literal values of the statement are bound;
    the result's dates come back as dates."""
    connection = db.connection()
    whole, later = datetime(2026, 3, 4, 5, 6, 7), datetime(2026, 3, 4, 5, 6, 7, 89)
    _INSERT.rows(connection, _entry(901, whole))
    connection.execute(_TABLE.insert(), [_entry(902, later)])  # type: ignore[attr-defined]
    stored = connection.execute(text(
        "SELECT CAST(created_at AS VARCHAR) FROM audit_entries WHERE seq IN (901, 902) "
        "ORDER BY seq")).scalars().all()
    if connection.dialect.name == "sqlite":
        assert stored == ["2026-03-04 05:06:07.000000", "2026-03-04 05:06:07.000089"]
    assert connection.execute(select(AuditEntry.created_at).where(AuditEntry.seq == 901)
                              ).scalar_one() == whole
    picked = RawStatement(
        select(AuditEntry.seq, AuditEntry.action, _day(connection))
        .where(AuditEntry.seq == 901), (Integer(), String(), Date()))
    assert picked.rows(connection) == [(901, "test.raw", whole.date())]
    db.rollback()


def test_binary_results_and_named_rows_hold_what_sqlalchemy_reads(db: Session) -> None:
    """``binary=True`` (psycopg's binary result format; ignored on SQLite) and the rows taken
    as the driver gives them: the same values, named as SQLAlchemy names them."""
    statement = select(literal(b"\x00cipher\xff", LargeBinary).label("blob"),
                       literal(date(2026, 5, 4), Date).label("day"),
                       literal("tekst", String).label("words"),
                       literal(7, Integer).label("number"))
    connection = db.connection()
    expected = tuple(connection.execute(statement).one())
    assert expected == (b"\x00cipher\xff", date(2026, 5, 4), "tekst", 7)
    for binary in (False, True):
        rows = RawStatement(statement, named=True, binary=binary).rows(connection)
        assert [tuple(row) for row in rows] == [expected]
        assert rows[0].blob == b"\x00cipher\xff" and rows[0].day == date(2026, 5, 4)  # type: ignore[attr-defined]
    db.rollback()


def _day(connection: Connection) -> Any:
    from sqlalchemy import cast, func

    if connection.dialect.name == "sqlite":
        return func.substr(AuditEntry.created_at, 1, 10)
    return cast(AuditEntry.created_at, Date)


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(db: Session) -> None:
    connection = db.connection()
    _INSERT.rows(connection, _entry(903, datetime(2026, 1, 1)))
    with pytest.raises(IntegrityError):
        _INSERT.rows(connection, _entry(903, datetime(2026, 1, 2)))
    db.rollback()


def test_the_cursor_listeners_see_each_statement(db: Session) -> None:
    """Tests count statements and tests/reliability/killpoint.py stops a process between two
    of them with ``before_cursor_execute``: the raw statements are steps as before."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement.split()[0])

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        _INSERT.rows(db.connection(), _entry(904, datetime(2026, 1, 1)))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen == ["INSERT"]
    db.rollback()


def test_an_audited_commit_runs_its_hot_statements_on_the_driver(
        db: Session, settings: Settings) -> None:
    """The usual append - the head's lock and read, one entry, the head moved - sends no
    statement through SQLAlchemy's execution (``before_execute``): ~10-15 us of its Python per
    statement on every audited request (fails before session 9); the chain still verifies."""
    audit.record(db, settings.audit_key, Actor(1, "admin"), "test.first")
    db.commit()  # the first append ever creates the head through SQLAlchemy
    through_sqlalchemy: list[str] = []

    def record(_conn: Any, clause: Any, *_rest: Any) -> None:
        through_sqlalchemy.append(str(clause).split()[0])

    engine = db.get_bind()
    event.listen(engine, "before_execute", record)
    try:
        for number in range(3):
            audit.record(db, settings.audit_key, Actor(1, "admin"), "test.action",
                         target_type="thing", target_id=number)
            db.commit()
    finally:
        event.remove(engine, "before_execute", record)
    assert through_sqlalchemy == []
    assert audit.verify(db, settings.audit_key).ok
    assert audit.verify(db, settings.audit_key).entries == 4


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set VP_TEST_POSTGRES_URL")
def test_a_lost_connection_is_invalidated_as_sqlalchemy_does(db: Session) -> None:
    """The backend ended under a raw statement: SQLAlchemy's OperationalError, marked as a
    lost connection, and the connection invalidated - the pool does not hand it out again."""
    connection = db.connection()
    backend = backend_of(connection)
    assert terminate("SELECT pg_terminate_backend(:pid)", {"pid": backend}) == 1
    with pytest.raises(OperationalError) as raised:
        _INSERT.rows(connection, _entry(905, datetime(2026, 1, 1)))
    assert raised.value.connection_invalidated
    assert connection.invalidated
    db.rollback()
    db.close()
