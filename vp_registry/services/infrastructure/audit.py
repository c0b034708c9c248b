"""Append to and verify the HMAC-chained audit log (docs/design.md I-5).

Each entry's MAC covers the previous entry's MAC and a canonical serialisation of its own
fields, so a modified, inserted, removed or reordered entry breaks the chain. Appends first
lock the single ``audit_head`` row (a row lock, or SQLite's write lock), which serialises
concurrent appends: two requests cannot fork the chain. Web requests queue their entries and
append them just before the commit (:func:`defer_appends`), so the lock is held for the
length of the commit, not of the whole request. On PostgreSQL one entry is first tried
without the lock (session 10): the head read, then one statement that inserts the entry and
moves the head only if the head is still the one read - a concurrent append makes it do
nothing, and the entry is then chained under the lock as above. After a page that only read
it runs outside any transaction (db/lazy_begin.py), atomic on its own.

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
import secrets
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from vp_registry.db import utcnow
from vp_registry.db.audit import AuditEntry, AuditHead, AuditPending
from vp_registry.db.lazy_begin import STANDALONE
from vp_registry.db.raw import RawStatement

GENESIS_MAC = "0" * 64

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


_MAC_FIELDS = ("seq", "created_at", "actor_id", "actor_role", "action", "target_type",
               "target_id", "details", "prev_mac")


def _canonical_fields(fields: dict[str, Any]) -> bytes:
    """The bytes an entry's MAC covers, from its fields (every one but the MAC itself)."""
    payload = {name: fields[name] for name in _MAC_FIELDS}
    payload["created_at"] = fields["created_at"].isoformat(timespec="microseconds")
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def _canonical(entry: AuditEntry) -> bytes:
    return _canonical_fields({name: getattr(entry, name) for name in _MAC_FIELDS})


def _mac_of(audit_key: str, canonical: bytes) -> str:
    return hmac.new(audit_key.encode(), canonical, hashlib.sha256).hexdigest()


def compute_mac(audit_key: str, entry: AuditEntry) -> str:
    return _mac_of(audit_key, _canonical(entry))


_HEAD = cast(Table, AuditHead.__table__)
_ENTRIES = cast(Table, AuditEntry.__table__)
_PENDING = cast(Table, AuditPending.__table__)
# PostgreSQL locks the row for reading it (no new row version); SQLite takes its database
# write lock only by writing, so there the lock is a no-op UPDATE.
# Both also return the oldest day with entries waiting in audit_pending (None: none wait), so
# the waiting table is read only when an entry may be due (issue 15: one statement less on
# every audited request).
_OLDEST_WAITING = select(func.min(_PENDING.c.day)).scalar_subquery()
_LOCK_AND_READ_HEAD = {
    "postgresql": select(_HEAD.c.last_seq, _HEAD.c.last_mac, _OLDEST_WAITING)
    .where(_HEAD.c.id == 1).with_for_update(of=_HEAD),
    "sqlite": update(_HEAD).where(_HEAD.c.id == 1).values(last_seq=_HEAD.c.last_seq)
    .returning(_HEAD.c.last_seq, _HEAD.c.last_mac, _OLDEST_WAITING),
}
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(
    last_seq=bindparam("new_seq"), last_mac=bindparam("new_mac"))
_ENTRY_COLUMNS = (*_MAC_FIELDS, "mac")
_INSERT_ENTRY = _ENTRIES.insert()
# PostgreSQL, the usual single entry: the entry and the head move in one round trip, built
# once with bind parameters. The same statement built from literal row values cannot be
# cached (SQLAlchemy's cache key is None), so it was compiled on every audited request
# (~0.2-0.4 ms CPU; issue 15).
_ONE_ENTRY_AND_HEAD = _MOVE_HEAD.add_cte(
    _ENTRIES.insert().values({name: bindparam(f"entry_{name}", type_=_ENTRIES.c[name].type)
                              for name in _ENTRY_COLUMNS})
    .returning(_ENTRIES.c.seq).cte("added"))
# The hot path of every audited request - the head's lock and read, one entry with the head's
# move - on the driver's cursor (db/raw.py: the same SQL, ~10-15 us of SQLAlchemy's own Python
# less per statement; issue 15, session 9). The first append ever and several entries at once
# (waiting entries of the anonymous channel) stay with SQLAlchemy.
_RAW_LOCK_AND_READ_HEAD = {dialect: RawStatement(statement, (Integer(), String(), Date()))
                           for dialect, statement in _LOCK_AND_READ_HEAD.items()}
_RAW_ONE_ENTRY_AND_HEAD = RawStatement(_ONE_ENTRY_AND_HEAD)
_RAW_INSERT_ENTRY = RawStatement(_ENTRIES.insert().values(
    {name: bindparam(name, type_=_ENTRIES.c[name].type) for name in _ENTRY_COLUMNS}))
_RAW_MOVE_HEAD = RawStatement(_MOVE_HEAD)
# PostgreSQL, one entry (session 10): the head read without a lock, then the entry and the
# head's move in one statement that does both only if the head is still where it was read.
# Outside a transaction (db/lazy_begin.py: a page that only read has none) that statement is
# atomic on its own, so an audited read costs two round trips and no BEGIN, lock or COMMIT.
_READ_HEAD = RawStatement(select(_HEAD.c.last_seq, _HEAD.c.last_mac, _OLDEST_WAITING)
                          .where(_HEAD.c.id == 1), (Integer(), String(), Date()))
_HEAD_UNMOVED = (update(_HEAD)
                 .where(_HEAD.c.id == 1, _HEAD.c.last_seq == bindparam("old_seq"),
                        _HEAD.c.last_mac == bindparam("old_mac"))
                 .values(last_seq=bindparam("new_seq"), last_mac=bindparam("new_mac"))
                 .returning(_HEAD.c.last_seq).cte("moved"))
_RAW_ENTRY_IF_HEAD_UNMOVED = RawStatement(
    _ENTRIES.insert().from_select(
        list(_ENTRY_COLUMNS),
        select(*(bindparam(f"entry_{name}", type_=_ENTRIES.c[name].type)
                 for name in _ENTRY_COLUMNS)).select_from(_HEAD_UNMOVED))
    .returning(_ENTRIES.c.seq).add_cte(_HEAD_UNMOVED),
    (Integer(),), prefix=STANDALONE)


def _lock_head(session: Session) -> tuple[int, str, date | None]:
    """Lock the head row and read it, with the oldest waiting day, in one statement; the first
    append ever creates it.

    The lock is held until the commit, so a concurrent append waits here and then reads the
    new head. ``INSERT ... ON CONFLICT DO NOTHING`` lets two first appends race safely.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    rows = _RAW_LOCK_AND_READ_HEAD[dialect].rows(connection)
    if not rows:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        connection.execute(insert(_HEAD).values(id=1, last_seq=0, last_mac=GENESIS_MAC)
                           .on_conflict_do_nothing(index_elements=["id"]))
        rows = _RAW_LOCK_AND_READ_HEAD[dialect].rows(connection)
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
    session.execute(insert(_PENDING).values(
        id=secrets.randbits(62), day=utcnow().date(), actor_id=actor.user_id,
        actor_role=actor.role, action=action,
        details=json.dumps(details, sort_keys=True, separators=(",", ":"), default=str)))


def waiting_entries(session: Session) -> int:
    """How many entries of the anonymous channel wait for the end of their day."""
    return int(session.execute(select(func.count()).select_from(_PENDING)).scalar_one())


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
    rows = session.execute(select(_PENDING).where(_PENDING.c.day < before)
                           .order_by(_PENDING.c.day, _PENDING.c.id)).all()
    ids = [row.id for row in rows]
    for start in range(0, len(ids), _DUE_CHUNK):
        session.execute(delete(_PENDING).where(_PENDING.c.id.in_(ids[start:start + _DUE_CHUNK])))
    return [_Pending(audit_key, Actor(row.actor_id, row.actor_role), row.action, None, None,
                     json.loads(row.details), datetime.combine(row.day, time.min))
            for row in rows]


def _append(session: Session, audit_key: str, items: list[_Pending], *,
            before: date | None = None) -> list[dict[str, Any]]:
    """Chain ``items`` after the head: lock and read it, insert the entries, move it on;
    returns the entries' columns.

    Entries of the anonymous channel whose day is over (before ``before``, default today in
    UTC) go first, so they join the chain at a moment unrelated to when they happened.
    Core statements (two on PostgreSQL, three on SQLite, however many entries): the entries
    are never changed after this, so they need no place in the session - nor ORM objects
    (issue 15: building one cost more than its MAC).
    """
    due_before = before or utcnow().date()
    rows = _append_unlocked(session, items, due_before) if len(items) == 1 else None
    if rows is None:
        last_seq, last_mac, oldest_waiting = _lock_head(session)
        if oldest_waiting is not None and oldest_waiting < due_before:
            items = [*_take_due(session, audit_key, due_before), *items]
        if not items:
            return []
        rows = _chained(items, last_seq, last_mac)
        _insert_and_move(session.connection(), rows,
                         {"new_seq": rows[-1]["seq"], "new_mac": rows[-1]["mac"]})
    cached = session.identity_map.get(_head_key())
    if cached is not None:  # a head read earlier in this session is now out of date
        session.expire(cached)
    return rows


def _append_unlocked(session: Session, items: list[_Pending],
                     due_before: date) -> list[dict[str, Any]] | None:
    """PostgreSQL: one entry after the head as read without a lock, written only if the head
    has not moved since (one statement); None when it did, when entries of the anonymous
    channel are due or on the first append ever - then the caller locks the head."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return None
    heads = _READ_HEAD.rows(connection)
    if not heads or (heads[0][2] is not None and heads[0][2] < due_before):
        return None
    last_seq, last_mac = int(heads[0][0]), str(heads[0][1])
    rows = _chained(items, last_seq, last_mac)
    written = _RAW_ENTRY_IF_HEAD_UNMOVED.rows(connection, {
        **{f"entry_{name}": value for name, value in rows[0].items()},
        "old_seq": last_seq, "old_mac": last_mac,
        "new_seq": rows[0]["seq"], "new_mac": rows[0]["mac"]})
    return rows if written else None


def _chained(items: list[_Pending], last_seq: int, last_mac: str) -> list[dict[str, Any]]:
    """The entries' columns, each chained after the one before it (the first after the
    head given)."""
    rows: list[dict[str, Any]] = []
    for item in items:
        row: dict[str, Any] = {
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
        _RAW_ONE_ENTRY_AND_HEAD.rows(connection, {
            **{f"entry_{name}": value for name, value in rows[0].items()}, **moved})
    elif postgres:  # one round trip for both
        added = _ENTRIES.insert().values(rows).returning(_ENTRIES.c.seq).cte("added")
        connection.execute(_MOVE_HEAD.add_cte(added), moved)
    elif len(rows) == 1:  # SQLite has no INSERT inside WITH
        _RAW_INSERT_ENTRY.rows(connection, rows[0])
        _RAW_MOVE_HEAD.rows(connection, moved)
    else:
        connection.execute(_INSERT_ENTRY, rows)
        connection.execute(_MOVE_HEAD, moved)


@cache
def _head_key() -> Any:
    """The identity map's key of the head row (built once: it looks the mapper up)."""
    return identity_key(AuditHead, 1)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify_entries(
    audit_key: str, entries: Iterable[AuditEntry], head: AuditHead | None
) -> VerifyResult:
    expected_prev = GENESIS_MAC
    expected_seq = 1
    count = 0
    for entry in entries:
        if entry.seq != expected_seq:
            return VerifyResult(False, count, expected_seq, "entry missing or out of order")
        if entry.prev_mac != expected_prev:
            return VerifyResult(False, count, entry.seq, "chain broken (previous MAC differs)")
        if not hmac.compare_digest(entry.mac, compute_mac(audit_key, entry)):
            return VerifyResult(False, count, entry.seq, "entry was changed (MAC differs)")
        expected_prev = entry.mac
        expected_seq += 1
        count += 1
    last_seq = head.last_seq if head else 0
    last_mac = head.last_mac if head else GENESIS_MAC
    if last_seq != count or last_mac != expected_prev:
        return VerifyResult(False, count, count + 1, "entries missing at the end of the log")
    return VerifyResult(True, count)


def verify(session: Session, audit_key: str) -> VerifyResult:
    entries = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    head = session.get(AuditHead, 1)
    return verify_entries(audit_key, entries, head)


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    action: str | None = None
    # One of these codes (a kind of event); an empty tuple matches nothing.
    actions: tuple[str, ...] | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


def search(
    session: Session, criteria: AuditFilter, *, limit: int = 100, offset: int = 0
) -> tuple[list[AuditEntry], int]:
    query = select(AuditEntry)
    if criteria.actor_id is not None:
        query = query.where(AuditEntry.actor_id == criteria.actor_id)
    if criteria.action:
        query = query.where(AuditEntry.action == criteria.action)
    if criteria.actions is not None:
        query = query.where(AuditEntry.action.in_(criteria.actions))
    if criteria.date_from is not None:
        query = query.where(AuditEntry.created_at >= criteria.date_from)
    if criteria.date_to is not None:
        query = query.where(AuditEntry.created_at < criteria.date_to)

    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)
    ).scalars()
    return list(rows), int(total)


def known_actions(session: Session) -> list[str]:
    return list(session.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
                .scalars())
