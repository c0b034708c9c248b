"""The counsellor's start page: open cases and whistleblower deadlines to watch, audited as
one ``case.list`` read (moved from services/cases/listing.py, issue 17: each client's part of
the overview across clients is this overview in that organisation's own unit of work).

The open cases are read in two steps: first their ids and versions (in list order; the
covering index ``ix_cases_list`` answers without reading the case rows),
then the full rows with their listings and wrapped keys only for the cases that are shown or
may have a deadline. :func:`fingerprint` of the first step's rows changes with every write to
an open case (its version), an erasure, a new or a closed case: a copy of an overview made
for the same fingerprint, key version and day shows exactly what a fresh one would
(web/practice keeps such a copy per browser session, issue 17).
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from typing import Any, Final, cast

from sqlalchemy import Table, bindparam, select

from vp_registry.core.taxonomy import CaseStatus
from vp_registry.db.cases import Case
from vp_registry.services.cases import codec, listing_cache, queries
from vp_registry.services.cases.records import CaseSummary
from vp_registry.services.work import Work

# Built once (SQLAlchemy's statement construction costs more CPU than a small query's run).
_CASES: Final = cast(Table, Case.__table__)  # the table's columns: no ORM handling per run
_OPEN_CASES: Final = (
    select(_CASES.c.id, _CASES.c.version).where(_CASES.c.status == bindparam("open"))
    .order_by(_CASES.c.opened_on.desc(), _CASES.c.reference.desc()))


@dataclass(frozen=True)
class Overview:
    """The counsellor's start page: open cases and whistleblower deadlines to watch."""

    open_count: int
    recent: list[CaseSummary]  # the most recently opened open cases
    deadlines: list[CaseSummary]  # open integrity reports with a deadline overdue or soon


def open_cases(work: Work) -> list[Any]:
    """The open cases' ids and versions in the start page's order (newest first)."""
    return list(work.session.connection().execute(
        _OPEN_CASES, {"open": CaseStatus.OPEN.value}).all())


def fingerprint(rows: Sequence[Any]) -> bytes:
    """What a copy of an overview must match: every open case's id and version, in order
    (any write to a case raises its version; a new, closed or erased case changes the set)."""
    digest = hashlib.sha256(b"vp-registry/overview/1")
    digest.update(array("q", chain.from_iterable(rows)).tobytes())  # id, version, id, ...
    return digest.digest()


def overview(work: Work, *, today: date, recent: int = 10,
             rows: Sequence[Any] | None = None) -> Overview:
    """Only the shown cases and the integrity reports (deadlines are encrypted) are decrypted:
    the vault's listing index says which open cases are integrity reports, and a case it does
    not hold yet is decrypted and added. ``rows``: :func:`open_cases` of this unit of work,
    when the caller read them already. Audited as one ``case.list`` read."""
    rows = open_cases(work) if rows is None else rows
    index = listing_cache.ListingIndex()
    index.load(work.session, work.keys)
    wanted = [row.id for n, row in enumerate(rows)
              if n < recent or index.integrity(row.id, row.version) is not False]
    shown: list[CaseSummary] = []
    deadlines: list[CaseSummary] = []
    for row in _full_rows(work, wanted):
        listing = codec.decode_listing(codec.list_row_crypter(work.keys, row), row.id,
                                       row.listing)
        if index.integrity(row.id, row.version) is None:
            index.put(row.id, row.version, listing)
        summary = queries.row_summary(row, listing)
        if len(shown) < recent:
            shown.append(summary)
        watch = summary.deadlines
        if watch is not None and (watch.overdue(today) or watch.soon(today)):
            deadlines.append(summary)
    index.save(work.session, work.keys)
    deadlines.sort(key=lambda c: (not c.overdue(today), c.opened_on))
    audit_read(work)
    return Overview(len(rows), shown, deadlines)


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
