"""The SQL of the audit log's append (services/infrastructure/audit.py), built once.

Every statement names its lane with the ``lane`` bind parameter: the head row with that id,
the entries with that lane (audit.py: why lanes). Built once with bind parameters, so that
SQLAlchemy compiles each once per process (a statement built from literal values has no
cache key and was compiled on every audited request: ~0.2-0.4 ms of CPU; issue 15), and the
hot ones run on the driver's cursor (db/raw.py: ~10-15 us of SQLAlchemy's own Python less
per statement; issue 15, session 9).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Date, Integer, String, Table, bindparam, func, select, update

from vp_registry.db.audit import AuditEntry, AuditHead, AuditPending
from vp_registry.db.lazy_begin import STANDALONE
from vp_registry.db.raw import RawStatement

GENESIS_MAC = "0" * 64
# The fields an entry's MAC covers, besides its lane (audit._canonical_fields).
MAC_FIELDS = ("seq", "created_at", "actor_id", "actor_role", "action", "target_type",
              "target_id", "details", "prev_mac")
ENTRY_COLUMNS = ("lane", *MAC_FIELDS, "mac")

HEAD = cast(Table, AuditHead.__table__)
ENTRIES = cast(Table, AuditEntry.__table__)
PENDING = cast(Table, AuditPending.__table__)
_THE_LANE = HEAD.c.id == bindparam("lane", type_=Integer())

# The head and the oldest day with entries waiting in audit_pending (None: none wait), so the
# waiting table is read only when an entry may be due (issue 15).
_OLDEST_WAITING = select(func.min(PENDING.c.day)).scalar_subquery()
_HEAD_COLUMNS = (HEAD.c.last_seq, HEAD.c.last_mac, _OLDEST_WAITING)
_HEAD_TYPES = (Integer(), String(), Date())
# PostgreSQL locks the row for reading it (no new row version); SQLite takes its database
# write lock only by writing, so there the lock is a no-op UPDATE.
LOCK_AND_READ_HEAD = {
    "postgresql": RawStatement(select(*_HEAD_COLUMNS).where(_THE_LANE)
                               .with_for_update(of=HEAD), _HEAD_TYPES),
    "sqlite": RawStatement(update(HEAD).where(_THE_LANE).values(last_seq=HEAD.c.last_seq)
                           .returning(*_HEAD_COLUMNS), _HEAD_TYPES),
}
MOVE_HEAD = update(HEAD).where(_THE_LANE).values(
    last_seq=bindparam("new_seq"), last_mac=bindparam("new_mac"))
RAW_MOVE_HEAD = RawStatement(MOVE_HEAD)
INSERT_ENTRY = ENTRIES.insert()
RAW_INSERT_ENTRY = RawStatement(ENTRIES.insert().values(
    {name: bindparam(name, type_=ENTRIES.c[name].type) for name in ENTRY_COLUMNS}))
# PostgreSQL, one entry under the head's lock: the entry and the head's move in one round trip.
RAW_ONE_ENTRY_AND_HEAD = RawStatement(MOVE_HEAD.add_cte(
    ENTRIES.insert().values({name: bindparam(f"entry_{name}", type_=ENTRIES.c[name].type)
                             for name in ENTRY_COLUMNS})
    .returning(ENTRIES.c.seq).cte("added")))

# PostgreSQL, one entry without a lock (session 10): the entry and the head's move in one
# statement that does both only if the head is still the one given. Outside a transaction
# (db/lazy_begin.py: a page that only read has none) it is atomic on its own. It answers the
# entry's seq (None: the head had moved) and the head as the statement found it, from which
# the next attempt starts - no read of its own.
READ_HEAD = RawStatement(select(*_HEAD_COLUMNS).where(_THE_LANE), _HEAD_TYPES)
_HEAD_UNMOVED = (update(HEAD)
                 .where(_THE_LANE, HEAD.c.last_seq == bindparam("old_seq"),
                        HEAD.c.last_mac == bindparam("old_mac"))
                 .values(last_seq=bindparam("new_seq"), last_mac=bindparam("new_mac"))
                 .returning(HEAD.c.last_seq).cte("moved"))
_ADDED = (ENTRIES.insert().from_select(
    list(ENTRY_COLUMNS),
    select(*(bindparam(f"entry_{name}", type_=ENTRIES.c[name].type)
             for name in ENTRY_COLUMNS)).select_from(_HEAD_UNMOVED))
    .returning(ENTRIES.c.seq).cte("added"))
RAW_ENTRY_IF_HEAD_UNMOVED = RawStatement(
    select(select(_ADDED.c.seq).scalar_subquery(), *_HEAD_COLUMNS)
    .where(_THE_LANE).add_cte(_HEAD_UNMOVED).add_cte(_ADDED),
    (Integer(), *_HEAD_TYPES), prefix=STANDALONE)
