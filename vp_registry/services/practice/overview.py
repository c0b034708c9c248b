"""The counsellor's overview across clients: open cases and deadlines per organisation.

Each organisation's part is the same overview as its own start page
(:func:`vp_registry.services.cases.overview.overview`), run in that organisation's unit of
work with its own keys, and audited there as one ``case.list`` read of that organisation's
counsellor - also when the part is a copy kept for this session (:class:`Copies`, made for
the same open cases, key version and day). Nothing is summed across organisations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from vp_registry.services.cases import overview as cases_overview
from vp_registry.services.cases.records import CaseSummary
from vp_registry.services.practice import ClientWork

if TYPE_CHECKING:
    from vp_registry.services.organisations.registry import Organisation

RECENT = 5  # open cases shown per organisation (the rest behind the organisation's link)


@dataclass(frozen=True)
class ClientOverview:
    organisation: Organisation
    open_count: int
    recent: list[CaseSummary]  # the most recently opened open cases
    deadlines: list[CaseSummary]  # integrity reports with a deadline overdue or soon

    def overdue(self, today: date) -> int:
        return sum(1 for case in self.deadlines if case.overdue(today))


class Copies(Protocol):
    """One session's copy of its part in one organisation (web/practice/overview_copies.py)."""

    def get(self, match: bytes) -> cases_overview.Overview | None: ...

    def put(self, match: bytes, found: cases_overview.Overview) -> None: ...


def client_overview(client: ClientWork, *, today: date, recent: int = RECENT,
                    copies: Copies | None = None) -> ClientOverview:
    """One organisation's open cases and deadlines, from its own vault only; from the
    session's copy when the open cases (ids, versions), the key version and the day are
    those it was made for."""
    work = client.work
    rows = cases_overview.open_cases(work) if client.open_rows is None else client.open_rows
    match = b"".join([cases_overview.fingerprint(rows), work.keys.version.to_bytes(4, "big"),
                      today.isoformat().encode(), recent.to_bytes(2, "big")])
    found = copies.get(match) if copies is not None else None
    if found is None:
        found = cases_overview.overview(work, today=today, recent=recent, rows=rows,
                                        index_read=client.index_read)
        if copies is not None:
            copies.put(match, found)
    else:
        cases_overview.audit_read(work)
    return ClientOverview(client.organisation, found.open_count, found.recent, found.deadlines)


def client_overviews(clients: Sequence[ClientWork], *, today: date,
                     recent: int = RECENT) -> list[ClientOverview]:
    """Every client's overview, in the order given (the caller's: home first, then by
    name). The keys of one client never reach another's unit of work."""
    return [client_overview(client, today=today, recent=recent) for client in clients]
