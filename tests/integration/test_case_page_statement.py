"""The case page's statement on the driver's cursor (issue 15, session 10): it reads what
SQLAlchemy's execution of the same select reads - columns, values, types, row order - and
nothing passes through SQLAlchemy's execution any more. No test here measures time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.casework import case_input, department, unlock
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.cases import conversations, lifecycle, rows
from vp_registry.services.cases.records import ContactInput
from vp_registry.services.errors import NotFound
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work

TODAY = date(2026, 6, 1)


def _contact(held_on: date, notes: str) -> ContactInput:
    return ContactInput(held_on=held_on, minutes=30, channel="phone", notes=notes)


def test_the_case_page_statement_runs_on_the_driver_and_reads_what_sqlalchemy_reads(
    db: Session, settings: Settings, counsellor_with_vault: Callable[..., User]
) -> None:
    user = counsellor_with_vault()
    work = Work(db, settings, Actor(user.id, "counsellor"), keys=unlock(db, settings, user))
    dept = department(db, "Werkplaats", settings).id
    talked = lifecycle.create_case(work, case_input(dept, opened_on=date(2026, 3, 2)),
                                   today=TODAY)
    for held_on, notes in ((date(2026, 4, 9), "later"), (date(2026, 3, 3), "first"),
                           (date(2026, 4, 9), "later, recorded after")):
        conversations.add_contact(work, talked.reference, _contact(held_on, notes), today=TODAY)
    silent = lifecycle.create_case(work, case_input(dept, opened_on=date(2026, 3, 5)),
                                   today=TODAY)
    db.commit()
    through_sqlalchemy: list[str] = []
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, clause: Any, *_rest: Any) -> None:
        through_sqlalchemy.append(" ".join(str(clause).split()))

    def record_sent(_conn: Any, cursor: Any, statement: str, *_rest: Any) -> None:
        if "case_contacts" in statement:
            sent.append((" ".join(statement.split()), getattr(cursor, "format", None)))

    engine = db.get_bind()
    event.listen(engine, "before_execute", record)
    event.listen(engine, "before_cursor_execute", record_sent)
    try:
        case, key, contacts = rows.whole_case(db, talked.reference)
    finally:
        event.remove(engine, "before_execute", record)
        event.remove(engine, "before_cursor_execute", record_sent)
    assert not any("case_contacts" in s for s in through_sqlalchemy), through_sqlalchemy
    (sql, result_format), = sent
    # session 10: the conversations are ordered in Python, not sorted by the database with
    # every ciphertext; on PostgreSQL the key is a lateral look-up, in the binary format
    assert "ORDER BY" not in sql, sql
    on_postgresql = db.connection().dialect.name == "postgresql"
    assert ("LATERAL" in sql) is on_postgresql, sql
    if on_postgresql:
        from psycopg import pq

        assert result_format == pq.Format.BINARY
    assert (case.reference, key.vault_key_version) == (talked.reference, 1)
    assert [c.held_on for c in contacts] == [date(2026, 3, 3), date(2026, 4, 9), date(2026, 4, 9)]
    statement = rows._WHOLE_CASE_PG if on_postgresql else rows._WHOLE_CASE
    raw = rows._RAW_WHOLE_CASE_PG if on_postgresql else rows._RAW_WHOLE_CASE
    for reference in (talked.reference, silent.reference):
        wanted = {"reference": reference}
        expected = db.connection().execute(statement, wanted).all()
        found = raw.rows(db.connection(), wanted)
        assert [row._fields for row in found] == [  # type: ignore[attr-defined]
            tuple(row._fields) for row in expected]
        assert sorted([(type(value), value) for value in row] for row in found) == sorted(
            [(type(value), value) for value in row] for row in expected)
    assert rows.whole_case(db, silent.reference)[2] == []
    with pytest.raises(NotFound):
        rows.whole_case(db, "VP-2026-NONE")
    record_ = rows.decrypt_row(db, work.keys, case, key, contacts)
    assert [c.notes for c in record_.contacts] == ["first", "later", "later, recorded after"]
    db.rollback()
