"""The audit chain detects a modified, inserted, removed and reordered entry (DESIGN I-5)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.compiler import SQLCompiler

from tests.support.sessions import db_session_for
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.db.audit import AuditEntry
from vp_registry.services.errors import Conflict
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.infrastructure.audit_search import AuditFilter, search
from vp_registry.services.work import begin


@pytest.fixture
def chain(db: Session, settings: Settings) -> Session:
    for number in range(5):
        audit.record(db, settings.audit_key, Actor(number, "admin"), "test.action",
                     target_type="thing", target_id=number, count=number)
    db.commit()
    return db


def test_intact_chain_verifies(chain: Session, settings: Settings) -> None:
    result = audit.verify(chain, settings.audit_key)
    assert result.ok and result.entries == 5


def test_modified_entry_is_detected(chain: Session, settings: Settings) -> None:
    chain.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(action="other"))
    result = audit.verify(chain, settings.audit_key)
    assert not result.ok and result.first_bad_seq == 3


def test_removed_entry_is_detected(chain: Session, settings: Settings) -> None:
    chain.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    result = audit.verify(chain, settings.audit_key)
    assert not result.ok and result.first_bad_seq == 2


def test_removed_last_entry_is_detected(chain: Session, settings: Settings) -> None:
    chain.execute(delete(AuditEntry).where(AuditEntry.seq == 5))
    assert not audit.verify(chain, settings.audit_key).ok


def test_inserted_entry_is_detected(chain: Session, settings: Settings) -> None:
    # Shift entries 3..5 up and forge a new entry 3 without the key.
    for seq in (5, 4, 3):
        chain.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(seq=seq + 1))
    second = chain.execute(select(AuditEntry).where(AuditEntry.seq == 2)).scalar_one()
    chain.add(AuditEntry(lane=second.lane, seq=3, created_at=second.created_at,
                         action="forged", details="{}", prev_mac=second.mac, mac="0" * 64))
    result = audit.verify(chain, settings.audit_key)
    assert not result.ok and result.first_bad_seq == 3


def test_reordered_entries_are_detected(chain: Session, settings: Settings) -> None:
    chain.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(seq=99))
    chain.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(seq=2))
    chain.execute(update(AuditEntry).where(AuditEntry.seq == 99).values(seq=3))
    result = audit.verify(chain, settings.audit_key)
    assert not result.ok and result.first_bad_seq == 2


def test_wrong_key_fails_verification(chain: Session) -> None:
    assert not audit.verify(chain, "another-key").ok


def test_details_refuse_secret_looking_keys(db: Session, settings: Settings) -> None:
    with pytest.raises(ValueError):
        audit.record(db, settings.audit_key, Actor.system(), "x", password="nope")


def test_cli_verify_reports_ok_and_first_bad_entry(
    chain: Session, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "OK: 5 entries" in result.output
    chain.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(target_id="9"))
    chain.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "entry 4" in result.output


def test_concurrent_appends_do_not_fork_the_chain(app: Flask, settings: Settings) -> None:
    errors: list[BaseException] = []

    def append_many(worker: int) -> None:
        try:
            for number in range(10):
                with db_session_for(app) as session:
                    audit.record(session, settings.audit_key, Actor(worker, "admin"),
                                 "concurrent", count=number)
                    session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=append_many, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with db_session_for(app) as session:
        result = audit.verify(session, settings.audit_key)
    assert result.ok and result.entries == 40


def _actions(app: Flask) -> list[str]:
    with db_session_for(app) as session:
        return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq))
                    .scalars())


def test_deferred_entries_are_appended_at_each_commit_and_dropped_by_a_rollback(
    app: Flask, settings: Settings
) -> None:
    """How a web request audits: queued, then chained just before the commit."""
    with db_session_for(app) as session:
        audit.defer_appends(session)
        audit.record(session, settings.audit_key, Actor.system(), "first.kept")
        assert _actions(app) == []  # nothing written (and no lock taken) before the commit
        session.commit()
        audit.record(session, settings.audit_key, Actor.system(), "rolled.back")
        session.rollback()
        audit.record(session, settings.audit_key, Actor.system(), "second.kept")
        audit.record(session, settings.audit_key, Actor.system(), "third.kept")
        session.commit()
    assert _actions(app) == ["first.kept", "second.kept", "third.kept"]
    with db_session_for(app) as session:
        assert audit.verify(session, settings.audit_key).ok


def test_dated_entries_join_the_chain_on_a_later_day_dated_and_verifiable(
    db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch, runner: FlaskCliRunner
) -> None:
    """Issue 11, item 2: an event of the anonymous channel is kept with its date only and
    waits until its day is over; the first append of a later day puts it in the chain (before
    that append's own entry), dated with its day, and the chain still verifies. A rollback
    drops a waiting entry with the rest of its transaction."""
    day = datetime(2026, 12, 3, 14, 7, 31, 123456)
    monkeypatch.setattr(audit, "utcnow", lambda: day)
    audit.record(db, settings.audit_key, Actor(1, "counsellor"), "login.success")
    audit.record_dated(db, Actor.anonymous(), "contact.receive")
    audit.record_dated(db, Actor(1, "counsellor"), "contact.list", shown=2)
    audit.record(db, settings.audit_key, Actor(1, "counsellor"), "case.read",
                 target_type="case", target_id="VP-2026-AAAA")
    db.commit()
    audit.record_dated(db, Actor.anonymous(), "contact.sender_read")
    db.rollback()
    with pytest.raises(ValueError, match="address"):
        audit.record_dated(db, Actor.anonymous(), "contact.receive", address="203.0.113.7")
    chained = [e.action for e in db.execute(select(AuditEntry).order_by(AuditEntry.seq))
               .scalars()]
    assert chained == ["login.success", "case.read"], "the day is not over"
    assert audit.waiting_entries(db) == 2
    output = runner.invoke(args=["audit", "verify"]).output
    assert "OK: 2 entries (+2 of the anonymous channel" in output, output

    monkeypatch.setattr(audit, "utcnow", lambda: day + timedelta(days=1, hours=-5))
    audit.record(db, settings.audit_key, Actor(2, "admin"), "login.success")
    db.commit()
    entries = list(db.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
    assert [e.action for e in entries][:2] == ["login.success", "case.read"]
    assert sorted(e.action for e in entries[2:4]) == ["contact.list", "contact.receive"]
    assert entries[4].action == "login.success" and not entries[4].date_only
    for entry in entries[2:4]:
        assert entry.created_at == datetime(2026, 12, 3) and entry.date_only
        assert entry.target_type is None and entry.target_id is None
    assert audit.waiting_entries(db) == 0
    result = audit.verify(db, settings.audit_key)
    assert result.ok and result.entries == 5


def test_a_conflict_drops_the_entries_queued_inside_its_savepoint_only(
    app: Flask, settings: Settings
) -> None:
    """Work.conflicts rolls back a savepoint on a concurrent change: what was audited inside
    it did not happen and must not be appended; what the caller audited before (a read) and
    after (the conflict page) is appended at the commit, like a committed savepoint's."""
    with app.app_context():
        work = begin(app_state(app).session_factory, settings, Actor(1, "counsellor"))
        try:
            work.audit("case.read", target_type="case", target_id="VP-1")
            with work.conflicts(lambda: Conflict()):
                work.audit("case.saved-in-savepoint")
            with pytest.raises(Conflict), work.conflicts(lambda: Conflict()):
                work.audit("case.update", target_type="case", target_id="VP-1")
                raise StaleDataError("another revision")  # the version check's failure
            work.audit("case.conflict-shown")
            work.commit()
        finally:
            work.close()
        assert _actions(app) == ["case.read", "case.saved-in-savepoint", "case.conflict-shown"]
        with db_session_for(app) as session:
            assert audit.verify(session, settings.audit_key).ok


def test_the_mac_covers_the_same_bytes_as_before() -> None:
    """Known answers computed with the MAC code before issue 15 built entries without ORM
    objects: an existing chain keeps verifying."""
    key = "k" * 48
    read = AuditEntry(seq=7, created_at=datetime(2026, 12, 4, 19, 50, 1, 234567), actor_id=3,
                      actor_role="counsellor", action="case.read", target_type="case",
                      target_id="VP-2026-AB12", details='{"n":1}', prev_mac="a" * 64, mac="")
    dated = AuditEntry(seq=1, created_at=datetime(2026, 1, 1), actor_id=None,
                       actor_role="anonymous", action="contact.post", target_type=None,
                       target_id=None, details="{}", prev_mac="0" * 64, mac="")
    assert audit.compute_mac(key, read) == (
        "f09590c76f7945a3429ac2c99b99284ebe07a099b8f940cc8e06b5e9946a26e8")
    assert audit.compute_mac(key, dated) == (
        "0b193632f818e2dc16546b1f3382954a7066e5801f694664e82071fa42a6d76f")


def test_an_entry_appended_at_once_is_returned_with_its_mac(db: Session,
                                                            settings: Settings) -> None:
    entry = audit.record(db, settings.audit_key, Actor(1, "admin"), "test.action",
                         target_type="thing", target_id=5, count=2)
    assert entry is not None and entry.seq == 1 and entry.target_id == "5"
    assert entry.mac == audit.compute_mac(settings.audit_key, entry)
    db.commit()
    stored = db.execute(select(AuditEntry)).scalar_one()
    assert (stored.mac, stored.details) == (entry.mac, '{"count":2}')
    assert audit.verify(db, settings.audit_key).ok


def test_a_single_entry_is_appended_by_a_statement_compiled_once(
        db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every audited request appends one entry: on PostgreSQL its statement (the entry and
    the head move in one round trip) was compiled anew each time, being built from literal
    row values that SQLAlchemy cannot cache (issue 15)."""
    compiled: list[str] = []
    original = SQLCompiler.visit_insert

    def counted(self: SQLCompiler, insert: Any, *args: Any, **kwargs: Any) -> str:
        if insert.table.name == "audit_entries":
            compiled.append(self.dialect.name)
        return original(self, insert, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "visit_insert", counted)
    for number in range(5):
        if number == 1:
            compiled.clear()  # the first append compiles it (and creates the head)
        audit.record(db, settings.audit_key, Actor(1, "admin"), "test.action",
                     target_type="thing", target_id=number)
        db.commit()
    assert compiled == []
    assert [entry.target_id for entry in db.execute(select(AuditEntry)).scalars()] == [
        "0", "1", "2", "3", "4"]
    assert audit.verify(db, settings.audit_key).ok


# ----------------------------------------------------------------------- lanes (issue 15)

@pytest.fixture
def lanes(db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Session:
    """Entries of three processes, each on its own lane (lane 1: the chain from before lanes),
    appended in turns: 1, 3, 5, 1, 3, 5, 1."""
    for number in range(7):
        monkeypatch.setattr(audit, "lane_of", lambda _connection, n=number: 1 + 2 * (n % 3))
        audit.record(db, settings.audit_key, Actor(number, "counsellor"), "case.read",
                     target_type="case", target_id=number)
        db.commit()
    return db


def _lane_entries(session: Session) -> list[tuple[int, int, str | None]]:
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        select(AuditEntry.lane, AuditEntry.seq, AuditEntry.target_id)
        .order_by(AuditEntry.lane, AuditEntry.seq))]


def test_each_lane_is_a_chain_of_its_own(lanes: Session, settings: Settings) -> None:
    assert _lane_entries(lanes) == [(1, 1, "0"), (1, 2, "3"), (1, 3, "6"), (3, 1, "1"),
                                    (3, 2, "4"), (5, 1, "2"), (5, 2, "5")]
    assert audit.verify(lanes, settings.audit_key) == audit.VerifyResult(True, 7)


def test_an_entry_moved_to_another_lane_is_detected(lanes: Session,
                                                    settings: Settings) -> None:
    """The MAC of an entry outside lane 1 covers its lane: moved in place of another lane's
    next entry, with that lane's previous MAC, it still breaks."""
    lanes.execute(update(AuditEntry).where(AuditEntry.lane == 5, AuditEntry.seq == 2)
                  .values(lane=3, seq=3))
    third = lanes.execute(select(AuditEntry).where(AuditEntry.lane == 3, AuditEntry.seq == 3)
                          ).scalar_one()
    third.prev_mac = lanes.execute(select(AuditEntry.mac).where(
        AuditEntry.lane == 3, AuditEntry.seq == 2)).scalar_one()
    lanes.flush()
    result = audit.verify(lanes, settings.audit_key)
    assert (result.ok, result.lane, result.first_bad_seq) == (False, 3, 3)
    assert result.reason == "entry was changed (MAC differs)"


def test_the_last_entry_of_one_lane_removed_is_detected(lanes: Session,
                                                        settings: Settings) -> None:
    lanes.execute(delete(AuditEntry).where(AuditEntry.lane == 3, AuditEntry.seq == 2))
    result = audit.verify(lanes, settings.audit_key)
    assert (result.ok, result.lane, result.first_bad_seq) == (False, 3, 2)


def test_a_lane_emptied_under_its_head_is_detected(lanes: Session, settings: Settings,
                                                   runner: FlaskCliRunner) -> None:
    lanes.execute(delete(AuditEntry).where(AuditEntry.lane == 5))
    lanes.commit()
    result = audit.verify(lanes, settings.audit_key)
    assert (result.ok, result.lane, result.reason) == (
        False, 5, "entries missing at the end of the log")
    output = runner.invoke(args=["audit", "verify"]).output
    assert "FAILED: entry 1 of lane 5: entries missing at the end of the log" in output


def test_the_log_view_shows_every_lane_newest_first(lanes: Session) -> None:
    """seq counts within a lane: the administrator's view orders by time."""
    found, total = search(lanes, AuditFilter())
    assert total == 7
    assert [entry.target_id for entry in found] == ["6", "5", "4", "3", "2", "1", "0"]
