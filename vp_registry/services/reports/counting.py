"""Which cases the published figures count, and from when (issue 12, docs/decisions.md).

Every figure that leaves - the annual report's and the signals' - counts the decrypted cases
through :func:`counted_case_facts`: a case registered after the final report of a year in
which it was open counts from its registration day, and a closing recorded after the final
report of a year that counted the case open at its end counts from the day it was recorded
(``core.facts.as_counted``), so neither changes what a later report repeats from a published
one ("carried over from Y-1" against "open on 31 December Y-1"), and a late case never
changes a released quarter. A report also counts the erased cases that an earlier final
report counted open at its year's end (``services.cases.erasures``, ``core.facts.
erased_facts``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from vp_registry.core.facts import CaseFacts, Published, as_counted, erased_facts
from vp_registry.db.cases import Case
from vp_registry.db.disclosure import DisclosureFigure, DisclosureRelease
from vp_registry.db.reports import FINAL, AnnualReportRow
from vp_registry.services.cases import erasures
from vp_registry.services.cases import facts as case_facts
from vp_registry.services.cases.dating import EDIT_COLUMNS
from vp_registry.services.vault.keyring import VaultKeys


def finalised_moments(session: Session) -> Published:
    """When the first final report of each year was finalised (public: its date is shown),
    and when each quarter was first counted by a ledger release - a signal, a review's
    answers, a report (``core.facts.Published``: the edit rules treat that release like a
    final report for the quarter; issue 12, session 7)."""
    rows = session.execute(
        select(AnnualReportRow.year, func.min(AnnualReportRow.finalised_at))
        .where(AnnualReportRow.status == FINAL, AnnualReportRow.finalised_at.is_not(None))
        .group_by(AnnualReportRow.year))
    years = {int(year): moment for year, moment in rows if moment is not None}
    return Published(years, released_quarters(session))


_QUARTER_IN_CELLS = re.compile(r'"(\d{4})-Q([1-4])"')


def released_quarters(session: Session) -> dict[tuple[int, int], datetime]:
    """(year, quarter) -> the moment of the first ledger release whose figures count it.

    The ledger is append-only, so the answer is remembered per ledger state (the database,
    the figures' count and last id, the releases' last id and moment; ~12 ms CPU for 2,800
    figures otherwise); the quarters are read from the stored cells' text
    (``ledger._encode_cells``: JSON lists ``[department, category, "YYYY-Qn"]``)."""
    figures, last_figure = session.execute(
        select(func.count(DisclosureFigure.id), func.max(DisclosureFigure.id))).one()
    if not figures:
        return {}
    last_release, last_moment = session.execute(
        select(func.max(DisclosureRelease.id), func.max(DisclosureRelease.released_at))).one()
    engine = session.get_bind().engine
    state = (id(engine), str(engine.url), figures, last_figure, last_release, last_moment)
    found = _RELEASED.get(state)
    if found is None:
        found = _read_released_quarters(session)
        if len(_RELEASED) >= 64:
            _RELEASED.clear()
        _RELEASED[state] = found
    return dict(found)


_RELEASED: dict[tuple[object, ...], dict[tuple[int, int], datetime]] = {}


def _read_released_quarters(session: Session) -> dict[tuple[int, int], datetime]:
    rows = session.execute(
        select(DisclosureFigure.cells, DisclosureRelease.released_at)
        .join(DisclosureRelease, DisclosureRelease.id == DisclosureFigure.release_id))
    found: dict[tuple[int, int], datetime] = {}
    for cells, moment in rows:
        if moment is None:
            continue
        for year, number in set(_QUARTER_IN_CELLS.findall(cells)):
            quarter = (int(year), int(number))
            if quarter not in found or moment < found[quarter]:
                found[quarter] = moment
    return found


def erased_quarters(session: Session) -> frozenset[str]:
    """The quarters ("YYYY-Qn") a case was erased from after a release had counted them
    (issue 12, session 8; ``core.facts.erased_quarter``): every later figure over one of
    them is withheld - the annual report's department table and category totals
    (``build_report(erased_quarters=)``), and signal windows over it. Dates only."""
    return erasures.erased_quarters(session)


def counted_case_facts(session: Session, keys: VaultKeys, *, year: int | None = None,
                       progress: Callable[[int, int], object] | None = None,
                       ) -> list[CaseFacts]:
    """The cases as the figures count them (``cases.facts.case_facts`` + ``as_counted``).

    With ``year`` (the annual report) also the cases whose closing, recorded in or after
    the year, or whose kept dates (``counted_opened_on``/``counted_closed_on``) count in it,
    and the erased cases an earlier final report counted open at
    its year's end; without (signals) the live cases only (a signal counts cases by their
    opening quarter, which an erasure's tally does not keep).
    """
    facts = case_facts.case_facts(session, keys, year=year, progress=progress)
    finalised = finalised_moments(session)
    edited = or_(*_edited(finalised))
    # one statement for both (issue 15: each scanned every case row)
    elsewhere = _elsewhere(year) if year is not None else false()
    rows = session.execute(select(Case.id, *EDIT_COLUMNS, edited.label("edited"),
                                  elsewhere.label("elsewhere")).where(or_(edited, elsewhere)))
    edits, more = {}, []
    for row in rows:
        if row.edited:
            edits[row.id] = row
        if row.elsewhere:
            more.append(row.id)
    if more:
        selected = {f.case_id for f in facts}
        facts += _counted_elsewhere(session, keys, [i for i in more if i not in selected])
    if edits:
        facts = [_with_edits(f, edits.get(f.case_id)) for f in facts]
    counted = as_counted(facts, finalised)
    if year is not None:
        counted += erased_facts(erasures.erased_cases(session), year)
    return counted


def _edited(finalised: dict[int, datetime]) -> list[ColumnElement[bool]]:
    """The cases whose edit columns can change how they count: kept dates, or a closing
    recorded after a final report with a date inside a reported year (``as_counted``'s
    condition; every other recorded closing counts on its date, so it is not read)."""
    found: list[ColumnElement[bool]] = [Case.counted_opened_on.is_not(None),
                                        Case.counted_closed_on.is_not(None)]
    found += [and_(Case.closed_recorded_at >= moment, Case.closed_on <= date(year, 12, 31))
              for year, moment in finalised.items()]
    return found


def _with_edits(facts: CaseFacts, row: Any) -> CaseFacts:
    if row is None:
        return facts
    return replace(facts, closed_recorded_at=row.closed_recorded_at,
                   counted_opened_on=row.counted_opened_on,
                   counted_closed_on=row.counted_closed_on)


def _elsewhere(year: int) -> ColumnElement[bool]:
    """Cases that may count in ``year`` although ``case_facts(year=)`` (recorded plaintext
    dates) does not select them: closed with a date before the year but recorded in or
    after it, or with a date a final report counted kept."""
    return or_(
        and_(Case.opened_on <= date(year, 12, 31), Case.closed_on < date(year, 1, 1),
             Case.closed_recorded_at >= datetime(year, 1, 1)),
        Case.counted_opened_on.is_not(None), Case.counted_closed_on.is_not(None),
    )


def _counted_elsewhere(session: Session, keys: VaultKeys, ids: list[int]) -> list[CaseFacts]:
    """The cases ``_elsewhere`` found that ``case_facts`` did not select, decrypted one by
    one (rare)."""
    return case_facts.decrypted_case_facts(session, keys, only=ids) if ids else []
