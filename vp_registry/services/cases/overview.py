"""The counsellor's start page: open cases and whistleblower deadlines to watch, audited as
one ``case.list`` read (moved from services/cases/listing.py, issue 17: each client's part of
the overview across clients is this overview in that organisation's own unit of work).

The open cases are read in two steps: first their ids, versions and plaintext columns (in
list order; the covering index ``ix_cases_list`` answers without reading the case rows); then
the summaries of the cases that are shown or may have a deadline overdue or soon come from the
vault's listing index, which holds every case's summary fields for its version (issue 17,
session 8: with the opening date it also tells which integrity report needs watching today),
and only the cases it does not hold are read in full and decrypted. :func:`fingerprint` of
the first step's rows changes with every write to an open case (its version), an erasure, a
new or a closed case: a copy of an overview made for the same fingerprint, key version and
day shows exactly what a fresh one would (web/practice keeps such a copy per browser session,
issue 17).
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, NamedTuple, cast

from sqlalchemy import FromClause, Table, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by

from vp_registry.core.casework import watch_cutoffs
from vp_registry.core.taxonomy import CaseStatus
from vp_registry.db.cases import Case
from vp_registry.services.cases import codec, listing_cache, queries
from vp_registry.services.cases.records import CaseSummary
from vp_registry.services.work import Work

# Built once (SQLAlchemy's statement construction costs more CPU than a small query's run).
_CASES: Final = cast(Table, Case.__table__)  # the table's columns: no ORM handling per run
_OPEN_CASES: Final = (
    select(_CASES.c.id, _CASES.c.version, _CASES.c.opened_on, _CASES.c.reference,
           _CASES.c.closed_on)
    .where(_CASES.c.status == bindparam("open"))
    .order_by(_CASES.c.opened_on.desc(), _CASES.c.reference.desc()))


# The open cases read with another row in one statement, on PostgreSQL (issue 17, session 9:
# a /clients part reads them with its session row - one statement and round trip less per
# organisation): each column as an array in the list's order (reference is unique, so the
# arrays are in step); add OPEN_CASES_COLUMNS to a select over :func:`with_open_cases` and
# give ``open_cases_of(row)`` to :func:`overview` as ``rows``.
_OPEN_ORDER: Final = (_CASES.c.opened_on.desc(), _CASES.c.reference.desc())
_OPEN_ARRAYS: Final = select(*(
    func.array_agg(aggregate_order_by(column, *_OPEN_ORDER)).label(f"open_{column.name}")
    for column in (_CASES.c.id, _CASES.c.version, _CASES.c.opened_on, _CASES.c.reference,
                   _CASES.c.closed_on))
).where(_CASES.c.status == CaseStatus.OPEN.value).subquery("open_cases")
OPEN_CASES_COLUMNS: Final = tuple(_OPEN_ARRAYS.c)


class OpenCase(NamedTuple):
    """An open case as :func:`open_cases` reads it (the same fields, in the same order)."""

    id: int
    version: int
    opened_on: date
    reference: str
    closed_on: date | None


def with_open_cases(from_clause: FromClause) -> FromClause:
    """``from_clause`` joined to the one row of the open cases' arrays."""
    return from_clause.join(_OPEN_ARRAYS, true())


def open_cases_of(row: Any) -> list[tuple[int, int, date, str, date | None]]:
    """The open cases of a row holding :data:`OPEN_CASES_COLUMNS`, in the list's order, as
    plain tuples of :class:`OpenCase`'s fields (made in C: only the few shown or watched
    become an :class:`OpenCase`)."""
    if row.open_id is None:  # no open case: the aggregates are NULL
        return []
    return list(zip(row.open_id, row.open_version, row.open_opened_on, row.open_reference,
                    row.open_closed_on, strict=True))


@dataclass(frozen=True)
class Overview:
    """The counsellor's start page: open cases and whistleblower deadlines to watch."""

    open_count: int
    recent: list[CaseSummary]  # the most recently opened open cases
    deadlines: list[CaseSummary]  # open integrity reports with a deadline overdue or soon


def open_cases(work: Work) -> list[Any]:
    """The open cases' ids, versions and plaintext columns (opening date, reference, closing
    date: :class:`OpenCase`'s fields, in its order) in the start page's order (newest
    first)."""
    return list(work.session.connection().execute(
        _OPEN_CASES, {"open": CaseStatus.OPEN.value}).all())


def fingerprint(rows: Sequence[Any]) -> bytes:
    """What a copy of an overview must match: every open case's id and version, in order
    (any write to a case raises its version; a new, closed or erased case changes the set)."""
    digest = hashlib.sha256(b"vp-registry/overview/1")
    digest.update(array("q", [value for row in rows for value in (row[0], row[1])]
                        ).tobytes())  # id, version, id, ...
    return digest.digest()


def overview(work: Work, *, today: date, recent: int = 10,
             rows: Sequence[Any] | None = None,
             index_read: listing_cache.IndexRead | None = None) -> Overview:
    """The shown cases and the integrity reports whose deadlines may be overdue or soon
    (deadlines are encrypted) are summarised from the vault's listing index, which holds each
    case's summary for its version; only a case it does not hold (or not whole) is decrypted
    and added. ``rows``: :func:`open_cases` of this unit of work, when the caller read them
    already; ``index_read``: the vault's listing index, likewise. Audited as one
    ``case.list`` read."""
    rows = open_cases(work) if rows is None else rows
    index = listing_cache.ListingIndex()
    index.load(work.session, work.keys, read=index_read)
    wanted = list(map(OpenCase._make, [*rows[:recent], *_watched(index, rows[recent:], today)]))
    found = {row.id: summary for row in wanted
             if (summary := index.summary(row, CaseStatus.OPEN.value)) is not None}
    for row in _full_rows(work, [row.id for row in wanted if row.id not in found]):
        listing = codec.decode_listing(codec.list_row_crypter(work.keys, row), row.id,
                                       row.listing)
        index.put(row.id, row.version, listing)
        found[row.id] = queries.row_summary(row, listing)
    index.save(work.session, work.keys)
    shown: list[CaseSummary] = []
    deadlines: list[CaseSummary] = []
    for summary in (found[row.id] for row in wanted if row.id in found):
        if len(shown) < recent:
            shown.append(summary)
        watch = summary.deadlines
        if watch is not None and (watch.overdue(today) or watch.soon(today)):
            deadlines.append(summary)
    deadlines.sort(key=lambda c: (not c.overdue(today), c.opened_on))
    audit_read(work)
    return Overview(len(rows), shown, deadlines)


def _watched(index: listing_cache.ListingIndex, rows: Sequence[Any], today: date
             ) -> list[Any]:
    """The open cases (of ``rows``) whose summary is needed to know whether a deadline is
    overdue or soon: all but those the index holds (this version) as no integrity report, or
    whole as one whose deadlines are neither overdue nor soon today (decided as
    :func:`overview` decides it for a summary: from the opening date and the dates met)."""
    integrity, whole = index.marks()
    acknowledge_by, feedback_by = watch_cutoffs(today)
    found: list[Any] = []
    # one pass over every open case: only those without a current entry, or whose entry is
    # an integrity report, are looked at one by one (issue 17, session 9)
    for row in index.unsettled(rows, integrity):  # id, version, opened_on, ...
        hit = index.entry(row[0])
        # a current, whole entry: hit[4], hit[5] are the acknowledged and feedback days (0:
        # not met); an unmet deadline is overdue or soon iff the case opened by its cut-off
        if hit is not None and hit[0] == row[1] and hit[2] & whole and not (
                (not hit[4] and row[2] <= acknowledge_by)
                or (not hit[5] and row[2] <= feedback_by)):
            continue
        found.append(row)
    return found


def audit_read(work: Work) -> None:
    """The overview's read: one ``case.list`` entry, as the case list's (nothing of what is
    shown, no count)."""
    work.audit("case.list", view="overview")


def _full_rows(work: Work, ids: list[int]) -> list[Any]:
    """The list rows (listing, wrapped key) of ``ids``, in that order; a case erased or
    closed since the first read is left out."""
    found: list[Any] = []
    for start in range(0, len(ids), queries.CHUNK):
        found.extend(row for row in listing_cache.page_rows(
            work.session, ids[start:start + queries.CHUNK])
            if row.status == CaseStatus.OPEN.value)
    return found
