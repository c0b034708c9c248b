"""What an erasure keeps for the published figures (issue 12, docs/decisions.md).

The next annual report repeats "carried over from Y" when Y's final report published its
open cases ("open on 31 December Y"). Erasing one of those cases afterwards would make the
repeated number drop and give the erasure away. So before a case is shredded, the dates
that every figure counts it by (plaintext: opening, closing, when they were recorded) are
reduced to what ``core.facts.erasure_of`` says a later report still needs - the year at
whose end a final report counted it open, and the day it counts as closed - and added to a
count per (year, day) in ``case_erasures``. Nothing of the case itself stays: no id,
reference, department, category, text or key; the count is part of a figure already
published. Needs no vault key (retention erases without one).

A case erased after a release (a signal, a review's answers, a report) had counted its
opening quarter leaves that quarter only, in ``erased_quarters`` (``core.facts.
erased_quarter``; issue 12, session 8): later figures over it - the year's department table
and category totals, signal windows - are withheld whatever the case was, so the erasure
neither keeps the case's department or categories nor shows where it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vp_registry.core.facts import ErasedCases, as_counted, erased_quarter, erasure_of
from vp_registry.db.cases import Case, CaseErasure, ErasedQuarter
from vp_registry.services.cases.dating import DATE_COLUMNS, dated_facts

_CHUNK = 500


def keep_counted(session: Session, case_ids: Sequence[int], erased_at: datetime,
                 finalised: Mapping[int, datetime]) -> None:
    """Add the cases about to be erased to the tally a later report still counts
    (``finalised``: ``services.reports.counting.finalised_moments``)."""
    if not finalised or not case_ids:
        return
    kept: Counter[tuple[int, date]] = Counter()
    quarters: set[tuple[int, int]] = set()
    for start in range(0, len(case_ids), _CHUNK):
        rows = session.execute(select(*DATE_COLUMNS).where(
            Case.id.in_(list(case_ids[start:start + _CHUNK]))))
        for case in as_counted([dated_facts(row) for row in rows], finalised):
            found = erasure_of(case, erased_at, finalised)
            if found is not None:
                kept[found] += 1
            quarter = erased_quarter(case, erased_at, finalised)
            if quarter is not None:
                quarters.add(quarter)
    for (year, closed_on), cases in sorted(kept.items()):
        _add(session, year, closed_on, cases)
    for year, number in sorted(quarters):
        _add_quarter(session, year, number)


def _add_quarter(session: Session, year: int, number: int) -> None:
    """Record that a case of (year, number) was erased after its first release (once)."""
    found = select(ErasedQuarter.id).where(ErasedQuarter.year == year,
                                           ErasedQuarter.quarter == number)
    if session.execute(found).first() is not None:
        return
    try:
        with session.begin_nested():  # a concurrent erasure may record it first
            session.add(ErasedQuarter(year=year, quarter=number))
    except IntegrityError:
        pass


def _add(session: Session, year: int, closed_on: date, cases: int) -> None:
    for _ in range(2):  # a concurrent erasure may insert the same (year, day) first
        row = session.execute(
            select(CaseErasure).where(CaseErasure.open_at_end_of == year,
                                      CaseErasure.closed_on == closed_on)
            .with_for_update()).scalar_one_or_none()
        if row is not None:
            row.cases += cases
            session.flush()
            return
        try:
            with session.begin_nested():
                session.add(CaseErasure(open_at_end_of=year, closed_on=closed_on, cases=cases))
            return
        except IntegrityError:
            continue
    raise RuntimeError("could not record an erasure in the report tally")


def erased_quarters(session: Session) -> frozenset[str]:
    """The quarters ("YYYY-Qn") a case was erased from after their first release."""
    return frozenset(f"{year}-Q{number}" for year, number in session.execute(
        select(ErasedQuarter.year, ErasedQuarter.quarter)))


def erased_cases(session: Session) -> list[ErasedCases]:
    """The tally (``core.facts.erased_facts`` turns it into what a report counts)."""
    return [ErasedCases(row.open_at_end_of, row.closed_on, row.cases)
            for row in session.execute(select(CaseErasure).order_by(
                CaseErasure.open_at_end_of, CaseErasure.closed_on)).scalars()]
