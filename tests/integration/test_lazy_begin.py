"""db/lazy_begin.py on PostgreSQL: reads run outside a transaction, the first write begins
one, and from there the unit of work commits or rolls back as one (I-7); the audit chain's
one-statement append stays a chain when another append moves the head under it (issue 15,
session 10)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from psycopg.pq import TransactionStatus
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tests.support.database import POSTGRES_URL, fresh_postgres_database
from tests.support.statements import sent_statements
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


def _appended_with_others_between(engine: sa.Engine, others: int) -> list[str]:
    """Append one entry while another request appends just before each of this one's first
    ``others`` one-statement attempts; the statements this append sent."""
    other_engine = make_engine(engine.url.render_as_string(hide_password=False))
    sent: list[str] = []

    def another_first(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(statement)
        if statement.startswith(STANDALONE) and sum(
                line.startswith(STANDALONE) for line in sent) <= others:
            with _audited_session(other_engine) as other:
                audit.record(other, AUDIT_KEY, Actor(2, "counsellor"), "case.list")
                other.commit()

    with _audited_session(engine) as session:
        audit.record(session, AUDIT_KEY, Actor(1, "counsellor"), "case.view")
        session.commit()
    event.listen(engine, "before_cursor_execute", another_first)
    try:
        with _audited_session(engine) as session:
            audit.record(session, AUDIT_KEY, Actor(1, "counsellor"), "case.view",
                         target_type="case", target_id=7)
            session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", another_first)
        other_engine.dispose()
    with Session(engine) as session:
        assert audit.verify(session, AUDIT_KEY) == audit.VerifyResult(True, others + 2)
        actions = session.execute(select(AuditEntry.action, AuditEntry.target_id)
                                  .order_by(AuditEntry.seq)).all()
    assert [tuple(row) for row in actions] == [
        ("case.view", None), *[("case.list", None)] * others, ("case.view", "7")]
    return sent


def test_an_append_whose_head_moved_meanwhile_chains_after_the_new_head(
        engine: sa.Engine) -> None:
    """Another request appends between this one's head read and its write: the write finds
    the head moved and does nothing, and the next attempt chains the entry after the head
    that statement saw - without a lock. Without the condition the entry would take the
    other's place in the chain (the same seq: an error page for an audited read)."""
    sent = _appended_with_others_between(engine, 1)
    assert sum(statement.startswith(STANDALONE) for statement in sent) == 2
    assert not any("FOR UPDATE" in statement for statement in sent)


def test_an_append_whose_head_keeps_moving_takes_the_lock(engine: sa.Engine) -> None:
    sent = _appended_with_others_between(engine, 3)
    assert sum(statement.startswith(STANDALONE) for statement in sent) == 3
    assert sum("FOR UPDATE" in statement for statement in sent) == 1


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


# ---------------------------------------------------- lanes: the head a process left (session 11)

def _append_one(engine: sa.Engine, target: int) -> None:
    with _audited_session(engine) as session:
        session.execute(sa.text("SELECT count(*) FROM things"))
        audit.record(session, AUDIT_KEY, Actor(1, "counsellor"), "case.view",
                     target_type="case", target_id=target)
        session.commit()


def test_a_process_appends_after_the_head_it_left_without_reading_it(
        engine: sa.Engine) -> None:
    """Its lane's head is where this process left it: an audited read is one statement, the
    entry with the head's move (session 10: the head's read first, then that statement)."""
    _append_one(engine, 0)
    with sent_statements(engine, lambda statement, _parameters: statement) as sent:
        for number in range(1, 4):
            _append_one(engine, number)
    assert sent == ["SELECT count(*) FROM things", sent[1]] * 3
    assert sent[1].startswith(STANDALONE)
    with Session(engine) as session:
        assert audit.verify(session, AUDIT_KEY) == audit.VerifyResult(True, 4)
        lanes = set(session.execute(select(AuditEntry.lane)).scalars())
    assert lanes == {audit.lane_of(engine.connect())}


def test_two_processes_append_to_two_lanes_without_retries(
        engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers taking turns: with one chain each append found the head moved by the
    other; each on its lane, every append after a lane's first is one statement."""
    other = make_engine(engine.url.render_as_string(hide_password=False))
    process = {engine: 4000, other: 4001}
    current = [engine]
    monkeypatch.setattr(audit, "_process_id", lambda: process[current[0]])
    try:
        with sent_statements(engine, lambda statement, _p: statement) as first, \
                sent_statements(other, lambda statement, _p: statement) as second:
            for number in range(10):
                current[0] = (engine, other)[number % 2]
                _append_one(current[0], number)
    finally:
        other.dispose()
    for sent in (first, second):
        assert sum(statement.startswith(STANDALONE) for statement in sent) == 4  # 2nd-5th
        # the lane's first: the head's lock and read, its creation, the lock and read again
        assert sum("FOR UPDATE" in statement for statement in sent) == 2
    with Session(engine) as session:
        assert audit.verify(session, AUDIT_KEY) == audit.VerifyResult(True, 10)
        lanes = session.execute(select(AuditEntry.lane, func.count()).group_by(AuditEntry.lane)
                                .order_by(AuditEntry.lane)).all()
    assert [tuple(row) for row in lanes] == [(1 + 4000 % audit.LANES, 5),
                                             (1 + 4001 % audit.LANES, 5)]


def test_a_head_left_by_a_rolled_back_append_is_put_right_by_the_next(
        engine: sa.Engine) -> None:
    """A unit of work that wrote and rolled back leaves this process's known head ahead of
    the lane's: the next append finds it moved and chains after the real one."""
    _append_one(engine, 0)
    with _audited_session(engine) as session:
        session.execute(sa.text("INSERT INTO things VALUES (1, 'one')"))
        audit.record(session, AUDIT_KEY, Actor(1, "counsellor"), "case.update")
        audit.append_deferred(session)
        session.rollback()
    _append_one(engine, 2)
    with Session(engine) as session:
        assert audit.verify(session, AUDIT_KEY) == audit.VerifyResult(True, 2)


def test_entries_another_process_left_waiting_join_at_this_ones_next_day_append(
        engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The anonymous channel's entries of an earlier day, recorded by another process after
    this one's last append, are chained right after this process's first append of a later
    day, once its statement shows them waiting."""
    day = datetime(2026, 12, 3, 14, 7, 31)
    monkeypatch.setattr(audit, "utcnow", lambda: day)
    _append_one(engine, 0)
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with _audited_session(other) as session:
            audit.record_dated(session, Actor.anonymous(), "contact.receive")
            session.commit()
    finally:
        other.dispose()
    monkeypatch.setattr(audit, "utcnow", lambda: day + timedelta(days=1))
    _append_one(engine, 1)
    with Session(engine) as session:
        assert audit.waiting_entries(session) == 0
        assert audit.verify(session, AUDIT_KEY) == audit.VerifyResult(True, 3)
        assert list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq))
                    .scalars()) == ["case.view", "case.view", "contact.receive"]
