"""Building the report from the decrypted cases (preview) and finalising it through the
ledger; downloads are audited only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Final

from vp_registry.core.disclosure import (
    Figure,
    Naming,
    RuleConstraint,
    is_complete,
    merge_departments,
    periods_of_year,
)
from vp_registry.core.facts import CaseFacts
from vp_registry.core.report import (
    AnnualReport,
    ReportRefused,
    build_report,
    report_true_counts,
)
from vp_registry.db import utcnow
from vp_registry.db.reports import FINAL, AnnualReportRow
from vp_registry.services.accounts import organisation
from vp_registry.services.collector import paused_gc
from vp_registry.services.pulse import signals as pulse_signals
from vp_registry.services.reports import activities, counting
from vp_registry.services.reports.archive import (
    Draft,
    ReportVersion,
    audit_version,
    draft_row,
    frozen_aggregates,
    latest_final_row,
    version_of,
)
from vp_registry.services.reports.drafts import check_year, get_draft, texts_of
from vp_registry.services.reports.refusals import (
    AlreadyFinal,
    NoDraft,
    ReportBlocked,
    ReportConflict,
    YearNotOver,
)
from vp_registry.services.signals import ledger, reviewing
from vp_registry.services.signals import management as signal_management
from vp_registry.services.work import Work

LEDGER_KIND: Final = "report"

Progress = Callable[[int, int], object]


@dataclass(frozen=True)
class _Built:
    report: AnnualReport
    facts: list[CaseFacts]
    naming: Naming


def _reviewed_ledger(work: Work, today: date, *, final: bool
                     ) -> tuple[list[Figure], list[RuleConstraint]]:
    """The ledger's figures and rules with the answers of the signal reviews due by
    ``today`` (issue 12: a reader may assume a review at every quarter start; its silences
    and rise answers bound the report's groups): recorded when finalising, computed in
    memory for a preview."""
    basis = reviewing.current_basis(work, today)
    if final:
        reviewing.record_reviews(work, basis)
        return ledger.load_ledger(work.session), ledger.load_constraints(work.session)
    return reviewing.reviewed_ledger(work, basis)


def _build(work: Work, draft: Draft, *, final: bool, today: date, progress: Progress | None
           ) -> _Built:
    session, settings = work.session, work.settings
    year, locale = draft.year, draft.locale
    corrects: AnnualReport | None = None
    if draft.version > 1:  # a correction repeats the figures of the latest final version
        corrected = latest_final_row(session, year)
        if corrected is None or corrected.report_json is None:
            raise NoDraft()
        corrects = AnnualReport.from_json(corrected.report_json)
        locale = corrects.locale
    facts = counting.counted_case_facts(session, work.keys, year=year, progress=progress)
    departments = organisation.department_facts(session)
    categories = [(c.code, c.label_en if locale == "en" else c.label_nl)
                  for c in organisation.list_categories(session)]
    rules = ledger.rules_from(settings)
    reviewed, reviewed_rules = _reviewed_ledger(work, today, final=final)
    try:
        report = build_report(
            year, facts, departments, categories,
            activities.report_facts(work, year),
            signal_management.report_facts(session, year, locale),
            frozen_aggregates(session, before=year),
            draft.texts, rules, reviewed, locale,
            organisation=settings.organisation_name, draft=not final, version=draft.version,
            issued_on=today, corrects=corrects, registry_start=settings.registry_start_date,
            pulse=pulse_signals.report_facts(session, settings, year),  # issue 16
            constraints=reviewed_rules,  # rises' rules and reviews' rise answers (issue 12)
            # quarters a case was erased from after a release: withheld (issue 12, s. 8)
            erased_quarters=counting.erased_quarters(session),
        )
    except ReportRefused as refused:
        raise ReportBlocked(refused.explanation) from None
    naming = Naming.from_grouping(merge_departments(departments, rules), dict(categories))
    return _Built(report, facts, naming)


def preview(work: Work, year: int, *, today: date | None = None,
            progress: Progress | None = None) -> AnnualReport:
    """The draft as it would be finalised now (marked as a draft); writes nothing.

    Raises NoDraft when the year is finalised and no correction was started, ReportBlocked
    (with the counsellor's explanation) when the report cannot be released as it is.
    """
    today = today or date.today()
    check_year(year, today)
    draft = get_draft(work, year)
    if draft is None:
        raise NoDraft()
    with paused_gc():  # tens of thousands of short-lived objects (services/collector.py)
        return _build(work, draft, final=False, today=today, progress=progress).report


def finalise(work: Work, year: int, expected_revision: int, *, today: date | None = None
             ) -> ReportVersion:
    """Release the draft through the ledger and freeze it; see the package docstring.

    The ledger's figures and the frozen row are written in one savepoint: a concurrent change
    of the draft (ReportConflict) leaves neither, and the caller's transaction goes on.
    """
    today = today or date.today()
    check_year(year, today)
    row = draft_row(work.session, year)
    if row is None:
        raise AlreadyFinal() if latest_final_row(work.session, year) is not None else NoDraft()
    if row.revision != expected_revision:
        raise ReportConflict()
    if not is_complete(periods_of_year(year), today):
        raise YearNotOver(year=year, next=year + 1)
    draft = Draft(year=year, version=row.version, revision=row.revision, locale=row.locale,
                  texts=texts_of(work.keys, row))
    with paused_gc():
        built = _build(work, draft, final=True, today=today, progress=None)
    try:
        approval = ledger.approve(
            work, kind=LEDGER_KIND, reference=f"report-{year}-v{row.version}",
            figures=built.report.figures, true_counts=report_true_counts(year, built.facts),
            naming=built.naming,
        )
    except ledger.ReleaseRefused as refused:  # audited by the ledger; nothing was released
        raise ReportBlocked(refused.result.explanation) from None
    with work.conflicts(ReportConflict):
        entry = ledger.append(work, approval)
        _freeze(row, built.report, entry.id, today, work.actor.user_id)
    ledger.record_release(work, approval, entry)
    audit_version(work, "report.finalise", row, figures=len(built.report.figures))
    return version_of(row)


def _freeze(row: AnnualReportRow, report: AnnualReport, release_id: int, today: date,
            user_id: int | None) -> None:
    """The draft becomes final: its published figures and texts, frozen."""
    row.status = FINAL
    row.report_json = report.to_json()
    row.aggregates_json = report.aggregates.to_json()
    row.disclosure_release_id = release_id
    row.issued_on = today
    row.finalised_at = row.updated_at = utcnow()
    row.finalised_by = user_id


def record_download(work: Work, version: ReportVersion, fmt: str) -> None:
    """A final version left the system as a file (it adds no figure: audited only)."""
    audit_version(work, "report.download", version, format=fmt)


def record_draft_export(work: Work, year: int, version: int, fmt: str) -> None:
    """The counsellor took a draft as a file (to proofread; marked "Concept")."""
    work.audit("report.draft_export", target_type="report",
               target_id=f"report-{year}-v{version}", format=fmt)
