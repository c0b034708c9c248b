"""Retention by crypto-shredding (docs/design.md I-4): runs without the vault key.

A closed case is *due* when both hold:

* ``settings.retention_months`` have passed since it was closed, and
* every year it counts in (the years from opening to closing, as the figures count them:
  a case registered, or closed, after the final report of a year it was open in counts from
  that day, ``core.facts.as_counted``) is reported: :func:`year_is_reported`.

A year is reported when a finalised annual report of that year exists (``annual_reports``,
status "final"): until the counsellor finalises it, no case of that year is erased, however
long ago it closed. Only plaintext columns (status, dates, report years) are read, so
``vp-registry retention purge`` needs no key.
Erasing deletes the wrapped data key and every ciphertext and row of the case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, func, not_, select
from sqlalchemy.orm import Session

from vp_registry.core.casework import add_months, expected_erasure_on
from vp_registry.core.facts import as_counted
from vp_registry.core.taxonomy import CaseStatus
from vp_registry.db.cases import Case
from vp_registry.db.reports import FINAL, AnnualReportRow
from vp_registry.services.cases.dating import DATE_COLUMNS, dated_facts
from vp_registry.services.cases.shredding import shred
from vp_registry.services.reports.counting import finalised_moments
from vp_registry.services.work import Work

SOON_DAYS = 60


def reported_years(session: Session) -> set[int]:
    """Every year with a finalised annual report."""
    return set(session.execute(
        select(AnnualReportRow.year).where(AnnualReportRow.status == FINAL).distinct()
    ).scalars())


def year_is_reported(session: Session, year: int) -> bool:
    """Whether ``year`` is counted in a finalised annual report."""
    return year in reported_years(session)


@dataclass(frozen=True)
class DueCase:
    id: int
    reference: str
    opened_on: date
    closed_on: date
    erase_on: date


_DATES = (*DATE_COLUMNS, Case.reference)


def _all_counted_years_reported(row: Any, reported: set[int],
                                finalised: dict[int, datetime]) -> bool:
    """Every year the case counts in is reported: from its opening to its closing, as
    recorded and as the figures count them (issue 12: a late registration or a closing
    recorded after a report counts in the year it was recorded - until that year's report
    counts it, it is kept)."""
    counted = as_counted([dated_facts(row)], finalised)[0]
    first = min(row.opened_on, counted.opened_on).year
    last = max(row.closed_on, counted.closed_on or row.closed_on).year
    return all(year in reported for year in range(first, last + 1))


def _closed_before(session: Session, cutoff: date) -> list[Any]:
    return list(session.execute(
        select(*_DATES)
        .where(Case.status == CaseStatus.CLOSED.value, Case.closed_on.is_not(None),
               Case.closed_on <= cutoff)
        .order_by(Case.closed_on, Case.reference)
    ))


def _in_reported_years_only(session: Session, cutoff: date, reported: set[int]
                            ) -> list[ColumnElement[bool]]:
    """SQL conditions: the case counts in no unreported year (one per unreported year from
    the first case's to the cutoff's), so that the database picks a batch of due cases."""
    first = session.execute(select(func.min(Case.opened_on))).scalar()
    if first is None:
        return []
    return [not_(and_(Case.opened_on <= date(year, 12, 31), Case.closed_on >= date(year, 1, 1)))
            for year in range(first.year, cutoff.year + 1) if year not in reported]


def due_cases(work: Work, *, today: date, limit: int | None = None) -> list[DueCase]:
    """Closed cases that must be erased now (the first ``limit``, longest closed first)."""
    session = work.session
    cutoff = add_months(today, -work.settings.retention_months)
    reported = reported_years(session)
    finalised = finalised_moments(session)
    rows = session.execute(
        select(*_DATES)
        .where(Case.status == CaseStatus.CLOSED.value, Case.closed_on.is_not(None),
               Case.closed_on <= cutoff, *_in_reported_years_only(session, cutoff, reported))
        .order_by(Case.closed_on, Case.reference).limit(limit))
    return [DueCase(row.id, row.reference, row.opened_on, row.closed_on, today)
            for row in rows  # the same rule again, in Python: never erase on a query slip
            if _all_counted_years_reported(row, reported, finalised)]


def due_soon(work: Work, *, today: date, days: int = SOON_DAYS) -> list[DueCase]:
    """Closed cases that will be erased within ``days`` (or are due already), soonest first;
    for the counsellor's start page. An estimate: it assumes each year's annual report is
    finalised once the year is over (until then :func:`due_cases` erases nothing of it)."""
    months = work.settings.retention_months
    horizon = today + timedelta(days=days)
    finalised = finalised_moments(work.session)
    soon = []
    for row in _closed_before(work.session, add_months(horizon, -months)):
        counted = as_counted([dated_facts(row)], finalised)[0]  # the years it counts in
        last = max(row.closed_on, counted.closed_on or row.closed_on).year
        erase_on = max(today, expected_erasure_on(row.opened_on, row.closed_on, months),
                       date(last + 1, 1, 1))
        if erase_on <= horizon:
            soon.append(DueCase(row.id, row.reference, row.opened_on, row.closed_on, erase_on))
    return sorted(soon, key=lambda case: (case.erase_on, case.reference))


@dataclass(frozen=True)
class PurgeResult:
    references: list[str]
    dry_run: bool

    @property
    def count(self) -> int:
        return len(self.references)


def purge(work: Work, *, today: date | None = None, dry_run: bool = False,
          limit: int | None = None) -> PurgeResult:
    """Erase every due case, or the first ``limit`` of them (longest closed first). A dry run
    only reports what would be erased (and writes nothing, not even an audit entry). Safe to
    run from cron: with nothing due it changes nothing."""
    today = today or date.today()
    due = due_cases(work, today=today, limit=None if dry_run else limit)
    if dry_run:
        return PurgeResult([case.reference for case in due], dry_run)
    return erase(work, due, today=today)


def _inline_ids(ids: Iterable[int]) -> BindParameter[Any]:
    """Integer ids written into the statement: a driver parsing thousands of parameters per
    batch cost more than the query (PostgreSQL, psycopg); ints only, nothing to inject."""
    return bindparam("ids", [int(value) for value in ids], expanding=True, literal_execute=True)


def erase(work: Work, candidates: Sequence[DueCase], *, today: date) -> PurgeResult:
    """Erase those of ``candidates`` (a batch of :func:`due_cases`' list, made earlier) that
    are still due - a case reopened or changed since is kept - and audit their count. The
    command commits after each batch, so a purge that is stopped resumes where it was."""
    session = work.session
    cutoff = add_months(today, -work.settings.retention_months)
    reported = reported_years(session)
    finalised = finalised_moments(session)
    rows = session.execute(
        select(*_DATES)
        .where(Case.id.in_(_inline_ids(case.id for case in candidates)),
               Case.status == CaseStatus.CLOSED.value, Case.closed_on.is_not(None),
               Case.closed_on <= cutoff)
        .order_by(Case.closed_on, Case.reference)) if candidates else ()
    due = [row for row in rows if _all_counted_years_reported(row, reported, finalised)]
    if not due:
        return PurgeResult([], False)
    shred(session, [row.id for row in due])
    work.audit("retention.purge", count=len(due))
    return PurgeResult([row.reference for row in due], False)
