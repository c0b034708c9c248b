"""Stored versions of the annual reports: reading them, the years overview, the frozen
aggregates of earlier years. Managers read final versions only (frozen JSON, no key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.core.disclosure import is_complete, periods_of_year
from vp_registry.core.report import (
    AnnualReport,
    FrozenAggregates,
    ReportTexts,
)
from vp_registry.db.reports import DRAFT, FINAL, AnnualReportRow
from vp_registry.services.cases import listing
from vp_registry.services.errors import NotFound
from vp_registry.services.reports import activities
from vp_registry.services.work import Work

EARLIEST_YEAR: Final = 2000


@dataclass(frozen=True, kw_only=True)
class ReportVersion:
    """One stored version of a year's report, without its texts or figures."""

    id: int
    year: int
    version: int
    status: str
    locale: str
    revision: int
    issued_on: date | None
    finalised_at: datetime | None
    finalised_by: int | None
    updated_at: datetime

    @property
    def final(self) -> bool:
        return self.status == FINAL

    @property
    def reference(self) -> str:
        """The ledger's and the audit log's name of this version: ``report-2025-v1``."""
        return f"report-{self.year}-v{self.version}"


@dataclass(frozen=True, kw_only=True)
class Draft:
    """The counsellor's draft of a year: stored (``revision`` > 0) or not saved yet."""

    year: int
    version: int
    revision: int
    locale: str
    texts: ReportTexts

    @property
    def stored(self) -> bool:
        return self.revision > 0


@dataclass(frozen=True, kw_only=True)
class YearStatus:
    year: int
    year_over: bool
    draft: ReportVersion | None
    final: ReportVersion | None  # the latest final version

    @property
    def state(self) -> str:
        """"none", "draft", "final" or "correction" (a draft after a final version)."""
        if self.draft is not None:
            return "correction" if self.final is not None else "draft"
        return "final" if self.final is not None else "none"


def version_of(row: AnnualReportRow) -> ReportVersion:
    return ReportVersion(
        id=row.id, year=row.year, version=row.version, status=row.status, locale=row.locale,
        revision=row.revision, issued_on=row.issued_on, finalised_at=row.finalised_at,
        finalised_by=row.finalised_by, updated_at=row.updated_at,
    )


def _rows(session: Session, year: int | None = None) -> list[AnnualReportRow]:
    query = select(AnnualReportRow).order_by(AnnualReportRow.year.desc(),
                                             AnnualReportRow.version.desc())
    if year is not None:
        query = query.where(AnnualReportRow.year == year)
    return list(session.execute(query).scalars())


def versions(session: Session, year: int) -> list[ReportVersion]:
    """Every stored version of ``year``, newest first."""
    return [version_of(row) for row in _rows(session, year)]


def published(session: Session) -> list[ReportVersion]:
    """Every final version, newest year first, within a year the latest version first."""
    return [version_of(row) for row in _rows(session) if row.status == FINAL]


def draft_row(session: Session, year: int) -> AnnualReportRow | None:
    return session.execute(
        select(AnnualReportRow).where(AnnualReportRow.year == year,
                                      AnnualReportRow.status == DRAFT)
    ).scalar_one_or_none()


def latest_final_row(session: Session, year: int) -> AnnualReportRow | None:
    return session.execute(
        select(AnnualReportRow).where(AnnualReportRow.year == year,
                                      AnnualReportRow.status == FINAL)
        .order_by(AnnualReportRow.version.desc()).limit(1)
    ).scalar_one_or_none()


def final_report(session: Session, year: int, version: int | None = None
                 ) -> tuple[ReportVersion, AnnualReport]:
    """A final version as it was published (the latest when ``version`` is None)."""
    if version is None:
        row = latest_final_row(session, year)
    else:
        row = session.execute(
            select(AnnualReportRow).where(AnnualReportRow.year == year,
                                          AnnualReportRow.version == version,
                                          AnnualReportRow.status == FINAL)
        ).scalar_one_or_none()
    if row is None or row.report_json is None:
        raise NotFound()
    return version_of(row), AnnualReport.from_json(row.report_json)


def frozen_aggregates(session: Session, before: int) -> dict[int, FrozenAggregates]:
    """Per earlier year, the aggregates of its latest final version (for the trends)."""
    found: dict[int, FrozenAggregates] = {}
    rows = session.execute(
        select(AnnualReportRow.year, AnnualReportRow.aggregates_json)
        .where(AnnualReportRow.status == FINAL, AnnualReportRow.year < before,
               AnnualReportRow.aggregates_json.is_not(None))
        .order_by(AnnualReportRow.year, AnnualReportRow.version)
    )
    for year, text in rows:
        found[year] = FrozenAggregates.from_json(str(text))  # a later version replaces an earlier
    return found


def overview(session: Session, *, today: date) -> list[YearStatus]:
    """Every year the counsellor can report on, newest first: from the first year with a
    case, an activity or a report up to this year (this year and last year at least)."""
    years = {today.year, today.year - 1, *listing.case_years(session),
             *activities.activity_years(session)}
    first_report = session.execute(select(func.min(AnnualReportRow.year))).scalar_one()
    if first_report is not None:
        years.add(first_report)
    rows = _rows(session)
    statuses = []
    for year in range(today.year, max(EARLIEST_YEAR, min(years)) - 1, -1):
        mine = [r for r in rows if r.year == year]
        draft = next((r for r in mine if r.status == DRAFT), None)
        final = next((r for r in mine if r.status == FINAL), None)  # newest first
        statuses.append(YearStatus(
            year=year, year_over=is_complete(periods_of_year(year), today),
            draft=version_of(draft) if draft is not None else None,
            final=version_of(final) if final is not None else None,
        ))
    return statuses


def audit_version(work: Work, action: str, version: ReportVersion | AnnualReportRow,
                  **details: Any) -> None:
    """Audit an action on one version, named as the ledger names it (``report-2025-v1``)."""
    work.audit(action, target_type="report",
               target_id=f"report-{version.year}-v{version.version}", **details)
