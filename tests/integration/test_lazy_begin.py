"""db/lazy_begin.py on PostgreSQL: reads run outside a transaction, the first write begins
one, and from there the unit of work commits or rolls back as one (I-7); the audit chain's
one-statement append stays a chain when another append moves the head under it (issue 15,
session 10)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from psycopg.pq import TransactionStatus
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tests.support.database import POSTGRES_URL, fresh_postgres_database
from vp_registry.db import Base, make_engine, make_session_factory
from vp_registry.db.audit import AuditEntry, AuditHead, AuditPending
from vp_registry.db.lazy_begin import STANDALONE
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import new_session

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set "
                                "VP_TEST_POSTGRES_URL (CI's PostgreSQL phase runs it)")

AUDIT_KEY = "k" * 48
_THINGS = sa.Table("things", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("name", sa.String(20), nullable=False))


@pytest.fixture
def engine() -> Iterator[sa.Engine]:
    databases = fresh_postgres_database()
    url = next(databases)
    engine = make_engine(url)
    _THINGS.create(engine)
    Base.metadata.create_all(engine, tables=[
        AuditHead.__table__, AuditEntry.__table__, AuditPending.__table__])  # type: ignore[list-item]
    try:
        yield engine
    finally:
        engine.dispose()
        databases.close()


def _status(session: Session) -> TransactionStatus:
    dbapi_connection: Any = session.connection().connection.dbapi_connection
    return TransactionStatus(dbapi_connection.info.transaction_status)


def _names(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.exec_driver_sql("SELECT name FROM things ORDER BY id").scalars())


def test_a_read_opens_no_transaction_and_a_write_opens_one(engine: sa.Engine) -> None:
    """Before session 10 the read left the connection 'in transaction' (psycopg's BEGIN)."""
    with Session(engine) as session:
        session.execute(select(func.count()).select_from(sa.table("things")))
        assert _status(session) == TransactionStatus.IDLE
        session.execute(sa.text("INSERT INTO things VALUES (1, 'one')"))
        assert _status(session) == TransactionStatus.INTRANS
        session.execute(sa.text("SELECT name FROM things"))
        assert _status(session) == TransactionStatus.INTRANS
        session.commit()
        assert _status(session) == TransactionStatus.IDLE
    assert _names(engine) == ["one"]


def test_writes_after_reads_roll_back_as_one(engine: sa.Engine) -> None:
    with Session(engine) as session:
        session.execute(sa.text("SELECT 1"))
        session.execute(sa.text("INSERT INTO things VALUES (1, 'one')"))
        session.execute(sa.text("SELECT count(*) FROM things"))
        session.execute(sa.text("INSERT INTO things VALUES (2, 'two')"))
        with pytest.raises(IntegrityError):
            session.execute(sa.text("INSERT INTO things VALUES (2, 'again')"))
        session.rollback()
    assert _names(engine) == []


def test_a_locking_read_begins_the_transaction_and_holds_its_lock(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO things VALUES (1, 'one')")
    with Session(engine) as session, engine.connect() as other:
        session.execute(sa.text("SELECT name FROM things WHERE id = 1 FOR UPDATE"))
        assert _status(session) == TransactionStatus.INTRANS
        with pytest.raises(OperationalError, match="could not obtain lock"):
            other.exec_driver_sql("SELECT name FROM things WHERE id = 1 FOR UPDATE NOWAIT")
        other.rollback()
        session.rollback()


def test_a_repeatable_read_snapshot_keeps_its_transaction(engine: sa.Engine) -> None:
    """The backup's snapshot (services/infrastructure/backup.py): its reads see one state."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as snapshot, \
            snapshot.begin():
        first = snapshot.exec_driver_sql("SELECT count(*) FROM things").scalar_one()
        with engine.begin() as writer:
            writer.exec_driver_sql("INSERT INTO things VALUES (1, 'one')")
        assert snapshot.exec_driver_sql("SELECT count(*) FROM things").scalar_one() == first


def test_a_server_side_cursor_gets_its_transaction(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO things VALUES (1, 'one'), (2, 'two')")
    with engine.connect() as connection:
        streamed = connection.execution_options(stream_results=True, max_row_buffer=1)
        assert list(streamed.exec_driver_sql("SELECT name FROM things ORDER BY id").scalars()
                    ) == ["one", "two"]


def _audited_session(engine: sa.Engine) -> Session:
    return new_session(make_session_factory(engine))


def test_an_audited_read_is_stored_without_a_transaction(engine: sa.Engine) -> None:
    """The first append creates the head (under its lock); the next ones, after a read only,
    are one statement outside any transaction - stored at once, and the chain holds."""
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_rest: statements.append(statement))
    for number in range(3):
        with _audited_session(engine) as session:
            session.execute(sa.text("SELECT count(*) FROM things"))
            audit.record(session, AUDIT_KEY, Actor(1, "counsellor"), "case.view",
                         target_type="case", target_id=number)
            audit.append_deferred(session)  # as the commit does
            if number:  # stored already: no transaction waits for its COMMIT
                assert _status(session) == TransactionStatus.IDLE
            session.commit()
    later = statements[statements.index("SELECT count(*) FROM things", 1):]
    assert not any("FOR UPDATE" in statement for statement in later)
    assert sum(statement.startswith(STANDALONE) for statement in later) == 2
    with Session(engine) as session:
        assert audit.verify(session, AUDIT_KEY) == audit.VerifyResult(True, 3)


def test_an_append_whose_head_moved_meanwhile_chains_after_the_new_head(
        engine: sa.Engine) -> None:
    """Another request appends between this one's head read and its write: the write finds
    the head moved and does nothing, and the entry is chained after the new head under the
    head's lock. Without the condition the entry would take the other's place in the chain
    (the same seq: an error page for an audited read)."""
    with _audited_session(engine) as session:
        audit.record(session, AUDIT_KEY, Actor(1, "counsellor"), "case.view")
        session.commit()
    moved_once: list[bool] = []

    def append_first(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.startswith(STANDALONE) and not moved_once:
            moved_once.append(True)
            with _audited_session(other_engine) as other:
                audit.record(other, AUDIT_KEY, Actor(2, "counsellor"), "case.list")
                other.commit()

    other_engine = make_engine(engine.url.render_as_string(hide_password=False))
    event.listen(engine, "before_cursor_execute", append_first)
    try:
        with _audited_session(engine) as session:
            audit.record(session, AUDIT_KEY, Actor(1, "counsellor"), "case.view",
                         target_type="case", target_id=7)
            session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", append_first)
        other_engine.dispose()
    with Session(engine) as session:
        assert audit.verify(session, AUDIT_KEY) == audit.VerifyResult(True, 3)
        actions = session.execute(select(AuditEntry.action, AuditEntry.target_id)
                                  .order_by(AuditEntry.seq)).all()
    assert [tuple(row) for row in actions] == [
        ("case.view", None), ("case.list", None), ("case.view", "7")]


def test_an_entry_with_a_write_is_part_of_its_transaction(engine: sa.Engine) -> None:
    """A unit of work that wrote appends in its transaction: rolled back, neither stays."""
    with _audited_session(engine) as session:
        audit.record(session, AUDIT_KEY, Actor(1, "counsellor"), "case.view")
        session.commit()
    with _audited_session(engine) as session:
        session.execute(sa.text("INSERT INTO things VALUES (1, 'one')"))
        audit.record(session, AUDIT_KEY, Actor(1, "counsellor"), "case.update")
        audit.append_deferred(session)
        assert _status(session) == TransactionStatus.INTRANS
        session.rollback()
    assert _names(engine) == []
    with Session(engine) as session:
        assert audit.verify(session, AUDIT_KEY) == audit.VerifyResult(True, 1)
