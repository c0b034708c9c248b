"""The counsellor's start page: open cases and whistleblower deadlines to watch, audited as
one ``case.list`` read (moved from services/cases/listing.py, issue 17: each client's part of
the overview across clients is this overview in that organisation's own unit of work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from vp_registry.core.taxonomy import CaseStatus
from vp_registry.services.cases import codec, listing_cache, queries
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.cases.records import CaseSummary
from vp_registry.services.work import Work


@dataclass(frozen=True)
class Overview:
    """The counsellor's start page: open cases and whistleblower deadlines to watch."""

    open_count: int
    recent: list[CaseSummary]  # the most recently opened open cases
    deadlines: list[CaseSummary]  # open integrity reports with a deadline overdue or soon


def overview(work: Work, *, today: date, recent: int = 10) -> Overview:
    """Only the shown cases and the integrity reports (deadlines are encrypted) are decrypted:
    the vault's listing index says which open cases are integrity reports, and a case it does
    not hold yet is decrypted and added. Audited as one ``case.list`` read."""
    rows = work.session.connection().execute(
        queries.list_query(CaseFilter(status=CaseStatus.OPEN.value))).all()
    index = listing_cache.ListingIndex()
    index.load(work.session, work.keys)
    shown: list[CaseSummary] = []
    deadlines: list[CaseSummary] = []
    for row in rows:
        integrity = index.integrity(row.id, row.version)
        if len(shown) >= recent and integrity is False:
            continue
        crypter = codec.list_row_crypter(work.keys, row)
        listing = codec.decode_listing(crypter, row.id, row.listing)
        if integrity is None:
            index.put(row.id, row.version, listing)
        summary = queries.row_summary(row, listing)
        if len(shown) < recent:
            shown.append(summary)
        watch = summary.deadlines
        if watch is not None and (watch.overdue(today) or watch.soon(today)):
            deadlines.append(summary)
    index.save(work.session, work.keys)
    deadlines.sort(key=lambda c: (not c.overdue(today), c.opened_on))
    work.audit("case.list", view="overview")  # as the case list: nothing of what is shown
    return Overview(len(rows), shown, deadlines)

