"""Append to and verify the HMAC-chained audit log (docs/design.md I-5).

The log is a few chains, its lanes (session 11): each entry's MAC covers the previous MAC
of its lane and a canonical serialisation of its own fields (the lane among them, but for
lane 1, the chain from before lanes), so a modified, inserted, removed, reordered or moved
entry breaks a chain. Each lane has its head row; appends first lock it (a row lock, or
SQLite's write lock), which serialises concurrent appends: two requests cannot fork a lane.
Web requests queue their entries and append them just before the commit
(:func:`defer_appends`), so the lock is held for the length of the commit, not of the whole
request. On PostgreSQL each process appends to its own lane (:func:`lane_of`) and one entry
is first tried without the lock: one statement that inserts the entry and moves the head
only if the head is still the one this process left (read when it does not know it) - an
append by another process on the lane, or a rollback, makes it do nothing, and it tries
again from the head it saw, or under the lock as above. After a page that only read it runs
outside any transaction (db/lazy_begin.py), atomic on its own.

Events of the anonymous channel (:func:`record_dated`) carry their date only and name no
thread or case (docs/design.md I-9). They wait in ``audit_pending`` until their day is over and join
the chain at the first append of a later day, dated with their day and in random order: a
timestamp cut to the day would not be enough, because an entry's place in the chain, between
entries with a time, would still tell when it happened.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Engine, delete, event, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from vp_registry.db import utcnow
from vp_registry.db.audit import AuditEntry, AuditHead
from vp_registry.services.infrastructure.audit_statements import (
    ENTRIES,
    GENESIS_MAC,
    HEAD,
    INSERT_ENTRY,
    LOCK_AND_READ_HEAD,
    MAC_FIELDS,
    MOVE_HEAD,
    PENDING,
    RAW_ENTRY_IF_HEAD_UNMOVED,
    RAW_INSERT_ENTRY,
    RAW_MOVE_HEAD,
    RAW_ONE_ENTRY_AND_HEAD,
    READ_HEAD,
)

# Keys that may never appear in audit details (belt and braces for I-8).
FORBIDDEN_DETAIL_KEYS = {"password", "secret", "token", "key", "code", "ip", "address", "content"}


@dataclass(frozen=True)
class Actor:
    """Who did something: a user (id + role) or an anonymous/system actor."""

    user_id: int | None
    role: str | None

    @classmethod
    def system(cls) -> Actor:
        return cls(None, "system")

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(None, "anonymous")


def _canonical_fields(fields: Mapping[str, Any]) -> bytes:
    """The bytes an entry's MAC covers, from its fields (every one but the MAC itself).

    Lane 1's entries leave the lane out: they are the chain from before lanes, whose MACs
    must keep verifying. Any other lane is covered, so an entry moved to another lane breaks
    both chains."""
    payload = {name: fields[name] for name in MAC_FIELDS}
    payload["created_at"] = fields["created_at"].isoformat(timespec="microseconds")
    lane = fields.get("lane") or 1
    if lane != 1:
        payload["lane"] = lane
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def _canonical(entry: AuditEntry) -> bytes:
    return _canonical_fields({name: getattr(entry, name) for name in ("lane", *MAC_FIELDS)})


def _mac_of(audit_key: str, canonical: bytes) -> str:
    return hmac.new(audit_key.encode(), canonical, hashlib.sha256).hexdigest()


def compute_mac(audit_key: str, entry: AuditEntry) -> str:
    return _mac_of(audit_key, _canonical(entry))


_UNLOCKED_ATTEMPTS = 3
# Lanes (issue 15, session 11). The log is LANES chains, one per head row; each process
# appends to its own lane (on PostgreSQL), so it knows where its lane ends and an audited
# read costs one statement: the entry with the head's move, written only if the head is
# still the one the process knew. With one chain, the other worker had nearly always moved
# the head since, so every append first read it (session 10). Which lane a process takes is
# only a matter of speed: appends to one lane from several processes stay one chain (the
# statement refuses a head that moved, the lock path serialises), as before lanes.
LANES = 16
# Engine -> (process id, lane, last seq, last MAC, oldest waiting day) after this process's
# last append; a hint, checked by the statement that uses it.
_process_id = os.getpid  # tests stand in for several processes
_KNOWN_HEADS: weakref.WeakKeyDictionary[Engine, tuple[int, int, int, str, date | None]] = (
    weakref.WeakKeyDictionary())


def lane_of(connection: Connection) -> int:
    """This process's lane: PostgreSQL spreads processes by their id; SQLite, which lets one
    writer in at a time and locks the head anyway, keeps the one chain (lane 1)."""
    if connection.dialect.name != "postgresql":
        return 1
    return 1 + _process_id() % LANES


def _known_head(engine: Engine, lane: int) -> tuple[int, str, date | None] | None:
    known = _KNOWN_HEADS.get(engine)
    if known is None or known[0] != _process_id() or known[1] != lane:
        return None
    return known[2], known[3], known[4]


def _lock_head(session: Session, lane: int) -> tuple[int, str, date | None]:
    """Lock the lane's head row and read it, with the oldest waiting day, in one statement;
    the lane's first append creates it.

    The lock is held until the commit, so a concurrent append waits here and then reads the
    new head. ``INSERT ... ON CONFLICT DO NOTHING`` lets two first appends race safely.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    rows = LOCK_AND_READ_HEAD[dialect].rows(connection, {"lane": lane})
    if not rows:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        connection.execute(insert(HEAD).values(id=lane, last_seq=0, last_mac=GENESIS_MAC)
                           .on_conflict_do_nothing(index_elements=["id"]))
        rows = LOCK_AND_READ_HEAD[dialect].rows(connection, {"lane": lane})
    row = rows[0]
    return int(row[0]), str(row[1]), row[2]


_DEFERRED = "vp_audit_deferred"


@dataclass(frozen=True)
class _Pending:
    audit_key: str
    actor: Actor
    action: str
    target_type: str | None
    target_id: str | int | None
    details: dict[str, Any]
    at: datetime


def defer_appends(session: Session) -> None:
    """Queue this session's entries and append them right before each commit (the web
    request's unit of work uses this).

    Appending takes the lock on the single head row until the commit; taken in the middle of
    a request, it would be held while the page renders, and every audited request of every
    worker would wait for it. A rollback drops what was queued in what it rolls back: the
    whole queue for the session's transaction, the entries queued since it began for a
    savepoint (``Work.conflicts``: the change it audited did not happen; the caller's entries
    from before it stay).

    The three listeners are registered once, on the Session class, and act only on sessions
    marked here (issue 15: registering them on every request's session cost more CPU than
    the append itself).
    """
    session.info[_DEFERRED] = []
    # savepoint -> queue length when it began (weak: a savepoint ends before its rollback
    # event, and a committed one is simply forgotten)
    session.info[_MARKS] = weakref.WeakKeyDictionary()
    if not _LISTENING:
        event.listen(Session, "before_commit", _append_queued)
        event.listen(Session, "after_transaction_create", _mark)
        event.listen(Session, "after_soft_rollback", _drop)
        _LISTENING.append(True)


_MARKS = "vp_audit_savepoint_marks"
_LISTENING: list[bool] = []


def _append_queued(session: Session) -> None:
    if _DEFERRED in session.info:
        append_deferred(session)


def _mark(session: Session, transaction: Any) -> None:
    marks: weakref.WeakKeyDictionary[Any, int] | None = session.info.get(_MARKS)
    if marks is not None and transaction.nested:
        marks[transaction] = len(session.info.get(_DEFERRED) or ())


def _drop(session: Session, previous: Any) -> None:
    marks: weakref.WeakKeyDictionary[Any, int] | None = session.info.get(_MARKS)
    if marks is None:
        return
    queue: list[_Pending] = session.info.get(_DEFERRED) or []
    if previous.parent is None:  # the session's own transaction
        session.info[_DEFERRED] = []
    elif previous in marks:  # a savepoint: only what was queued inside it
        del queue[marks.pop(previous):]
    # else: a failed flush's own subtransaction; the enclosing transaction goes on


def append_deferred(session: Session) -> None:
    """Append every queued entry, in order, under one lock of the head row."""
    pending: list[_Pending] = session.info.get(_DEFERRED) or []
    session.info[_DEFERRED] = []
    if pending:
        _append(session, pending[0].audit_key, pending)


def record(
    session: Session,
    audit_key: str,
    actor: Actor,
    action: str,
    *,
    target_type: str | None = None,
    target_id: str | int | None = None,
    **details: Any,
) -> AuditEntry | None:
    """Append one entry (or queue it, see :func:`defer_appends`; then None is returned).
    ``details`` is metadata only (counts, ids, field names)."""
    _check_details(details)
    item = _Pending(audit_key, actor, action, target_type, target_id, details, utcnow())
    queue: list[_Pending] | None = session.info.get(_DEFERRED)
    if queue is not None:
        session.connection()  # begin the transaction the entry belongs to, so that its
        queue.append(item)    # rollback drops the entry (see defer_appends)
        return None
    return AuditEntry(**_append(session, audit_key, [item])[-1])


def _check_details(details: dict[str, Any]) -> None:
    bad = FORBIDDEN_DETAIL_KEYS.intersection(k.lower() for k in details)
    if bad:
        raise ValueError(f"audit details may not contain {sorted(bad)}")


def record_dated(session: Session, actor: Actor, action: str, **details: Any) -> None:
    """Record an event of the anonymous channel with its date only (docs/design.md I-9).

    No target: the entry names no thread and no case, so nothing links a sender's visits to
    each other, to a counsellor's work on the conversation or to the case it became. The
    entry waits in ``audit_pending`` (part of this transaction: a rollback drops it) and joins
    the chain at the first append of a later day (:func:`_append`). ``details`` is metadata
    only (counts).
    """
    _check_details(details)
    session.execute(insert(PENDING).values(
        id=secrets.randbits(62), day=utcnow().date(), actor_id=actor.user_id,
        actor_role=actor.role, action=action,
        details=json.dumps(details, sort_keys=True, separators=(",", ":"), default=str)))


def waiting_entries(session: Session) -> int:
    """How many entries of the anonymous channel wait for the end of their day."""
    return int(session.execute(select(func.count()).select_from(PENDING)).scalar_one())


def chain_waiting(session: Session, audit_key: str, *, before: date | None = None) -> int:
    """Move the waiting entries of the days before ``before`` (default: today, UTC) into the
    chain now; returns how many. Appends do this by themselves; tests and commands call it to
    see a day's entries in the chain without waiting for the next day."""
    return len(_append(session, audit_key, [], before=before))


_DUE_CHUNK = 500


def _take_due(session: Session, audit_key: str, before: date) -> list[_Pending]:
    """The waiting entries of days before ``before``, removed from the waiting table: by day,
    in random order within a day (their ids are random). Called with the head locked.

    Removal is by id, not by day: a request that began before midnight may still add an entry
    of the old day after this read, and it must wait for the next append, not vanish."""
    rows = session.execute(select(PENDING).where(PENDING.c.day < before)
                           .order_by(PENDING.c.day, PENDING.c.id)).all()
    ids = [row.id for row in rows]
    for start in range(0, len(ids), _DUE_CHUNK):
        session.execute(delete(PENDING).where(PENDING.c.id.in_(ids[start:start + _DUE_CHUNK])))
    return [_Pending(audit_key, Actor(row.actor_id, row.actor_role), row.action, None, None,
                     json.loads(row.details), datetime.combine(row.day, time.min))
            for row in rows]


def _append(session: Session, audit_key: str, items: list[_Pending], *,
            before: date | None = None) -> list[dict[str, Any]]:
    """Chain ``items`` after the head of this process's lane; returns the entries' columns.

    Entries of the anonymous channel whose day is over (before ``before``, default today in
    UTC) go first, so they join the chain at a moment unrelated to when they happened.
    Core statements: the entries are never changed after this, so they need no place in the
    session - nor ORM objects (issue 15: building one cost more than its MAC).
    """
    due_before = before or utcnow().date()
    connection = session.connection()
    lane = lane_of(connection)
    rows = (_append_unlocked(connection, lane, items, due_before) if len(items) == 1
            else None)
    if rows is None:
        rows = _append_locked(session, audit_key, lane, items, due_before)
    elif _due(_known_head(connection.engine, lane), due_before):
        # The statement showed entries waiting from an earlier day, unknown before it
        # (another process took them in): in the chain now, right after this entry.
        _append_locked(session, audit_key, lane, [], due_before)
    cached = session.identity_map.get(_head_key(lane))
    if cached is not None:  # a head read earlier in this session is now out of date
        session.expire(cached)
    return rows


def _due(head: tuple[int, str, date | None] | None, due_before: date) -> bool:
    return head is not None and head[2] is not None and head[2] < due_before


def _append_locked(session: Session, audit_key: str, lane: int, items: list[_Pending],
                   due_before: date) -> list[dict[str, Any]]:
    """The entries, and those of the anonymous channel that are due, under the lane head's
    lock: lock and read it, insert the entries, move it on (two statements on PostgreSQL,
    three on SQLite, however many entries)."""
    last_seq, last_mac, oldest_waiting = _lock_head(session, lane)
    if oldest_waiting is not None and oldest_waiting < due_before:
        items = [*_take_due(session, audit_key, due_before), *items]
    if not items:
        return []
    rows = _chained(items, lane, last_seq, last_mac)
    connection = session.connection()
    _insert_and_move(connection, rows, {"lane": lane, "new_seq": rows[-1]["seq"],
                                        "new_mac": rows[-1]["mac"]})
    _KNOWN_HEADS[connection.engine] = (_process_id(), lane, rows[-1]["seq"], rows[-1]["mac"],
                                       None)
    return rows


def _append_unlocked(connection: Connection, lane: int, items: list[_Pending],
                     due_before: date) -> list[dict[str, Any]] | None:
    """PostgreSQL: one entry after the lane's head as this process left it (read when it does
    not know it), written only if the head has not moved since (one statement; a few
    attempts); None when it kept moving, when entries of the anonymous channel are due or on
    the lane's first append - then the caller locks the head."""
    if connection.dialect.name != "postgresql":
        return None
    known = _known_head(connection.engine, lane)
    head = [known] if known else READ_HEAD.rows(connection, {"lane": lane})[:1]
    for _attempt in range(_UNLOCKED_ATTEMPTS):
        if not head or _due(head[0], due_before):
            return None
        last_seq, last_mac = int(head[0][0]), str(head[0][1])
        rows = _chained(items, lane, last_seq, last_mac)
        answer = RAW_ENTRY_IF_HEAD_UNMOVED.rows(connection, {
            **{f"entry_{name}": value for name, value in rows[0].items()},
            "lane": lane, "old_seq": last_seq, "old_mac": last_mac,
            "new_seq": rows[0]["seq"], "new_mac": rows[0]["mac"]})
        if answer and answer[0][0] is not None:
            _KNOWN_HEADS[connection.engine] = (_process_id(), lane, rows[0]["seq"],
                                               rows[0]["mac"], answer[0][3])
            return rows
        # Another append moved the head (another process on this lane, or a rollback of
        # this one's): try again after the head this statement saw (the same one when that
        # append was still committing - the next statement sees it).
        head = [answer[0][1:]] if answer else []
    return None


def _chained(items: list[_Pending], lane: int, last_seq: int,
             last_mac: str) -> list[dict[str, Any]]:
    """The entries' columns, each chained after the one before it (the first after the
    head given)."""
    rows: list[dict[str, Any]] = []
    for item in items:
        row: dict[str, Any] = {
            "lane": lane,
            "seq": last_seq + 1,
            "created_at": item.at,
            "actor_id": item.actor.user_id,
            "actor_role": item.actor.role,
            "action": item.action,
            "target_type": item.target_type,
            "target_id": None if item.target_id is None else str(item.target_id),
            "details": json.dumps(item.details, sort_keys=True, separators=(",", ":"),
                                  default=str),
            "prev_mac": last_mac,
        }
        row["mac"] = _mac_of(item.audit_key, _canonical_fields(row))
        rows.append(row)
        last_seq, last_mac = row["seq"], row["mac"]
    return rows


def _insert_and_move(connection: Connection, rows: list[dict[str, Any]],
                     moved: dict[str, Any]) -> None:
    """Insert the entries and move the head, as Core statements on the session's connection
    (the ORM session adds nothing to them; issue 15)."""
    postgres = connection.dialect.name == "postgresql"
    if postgres and len(rows) == 1:
        RAW_ONE_ENTRY_AND_HEAD.rows(connection, {
            **{f"entry_{name}": value for name, value in rows[0].items()}, **moved})
    elif postgres:  # one round trip for both
        added = ENTRIES.insert().values(rows).returning(ENTRIES.c.seq).cte("added")
        connection.execute(MOVE_HEAD.add_cte(added), moved)
    elif len(rows) == 1:  # SQLite has no INSERT inside WITH
        RAW_INSERT_ENTRY.rows(connection, rows[0])
        RAW_MOVE_HEAD.rows(connection, moved)
    else:
        connection.execute(INSERT_ENTRY, rows)
        connection.execute(MOVE_HEAD, moved)


@cache
def _head_key(lane: int) -> Any:
    """The identity map's key of a lane's head row (built once: it looks the mapper up)."""
    return identity_key(AuditHead, lane)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str = ""
    lane: int = 1  # the lane of first_bad_seq


def verify_entries(audit_key: str, entries: Iterable[AuditEntry],
                   heads: Mapping[int, tuple[int, str]]) -> VerifyResult:
    """Check every lane's chain, ``entries`` in (lane, seq) order, against its head
    (``heads``: lane -> last seq and MAC)."""
    count = 0
    unseen = dict(heads)
    for lane, in_lane in groupby(entries, key=lambda entry: entry.lane):
        result = _verify_lane(audit_key, lane, in_lane, unseen.pop(lane, None), count)
        if not result.ok:
            return result
        count = result.entries
    for lane, (last_seq, _last_mac) in sorted(unseen.items()):
        if last_seq != 0:  # a head with no entry left in its lane
            return VerifyResult(False, count, 1, "entries missing at the end of the log",
                                lane)
    return VerifyResult(True, count)


def _verify_lane(audit_key: str, lane: int, entries: Iterable[AuditEntry],
                 head: tuple[int, str] | None, count: int) -> VerifyResult:
    expected_prev = GENESIS_MAC
    expected_seq = 1
    for entry in entries:
        if entry.seq != expected_seq:
            return VerifyResult(False, count, expected_seq, "entry missing or out of order",
                                lane)
        if entry.prev_mac != expected_prev:
            return VerifyResult(False, count, entry.seq, "chain broken (previous MAC differs)",
                                lane)
        if not hmac.compare_digest(entry.mac, compute_mac(audit_key, entry)):
            return VerifyResult(False, count, entry.seq, "entry was changed (MAC differs)",
                                lane)
        expected_prev = entry.mac
        expected_seq += 1
        count += 1
    last_seq, last_mac = head or (0, GENESIS_MAC)
    if last_seq != expected_seq - 1 or last_mac != expected_prev:
        return VerifyResult(False, count, expected_seq, "entries missing at the end of the log",
                            lane)
    return VerifyResult(True, count)


def verify(session: Session, audit_key: str) -> VerifyResult:
    entries = session.execute(select(AuditEntry)
                              .order_by(AuditEntry.lane, AuditEntry.seq)).scalars()
    heads = {row.id: (row.last_seq, row.last_mac)
             for row in session.execute(select(HEAD.c.id, HEAD.c.last_seq, HEAD.c.last_mac))}
    return verify_entries(audit_key, entries, heads)
