"""The annual report (jaarverslag, issue 5): drafts, finalisation through the ledger, versions.

* **Draft.** The counsellor's texts (introduction, recommendations) are stored encrypted in the
  year's draft row (``db/reports.py``; data key wrapped by the vault key). The figures are never
  stored for a draft: every preview builds the report afresh from the decrypted cases of the
  year (``cases.case_facts(year=...)``), the departments (inactive ones included), every
  category (retired ones too: which rows the report has must not depend on the data, or a
  retired category's row would show that somebody reported it), the activities, the signals
  released in the year with management's follow-up, the frozen aggregates of earlier
  finalised reports and the ledger, through :func:`vp_registry.core.report.build_report`.
* **Finalise** (once the year is over): build the report once more, hand its figures and their
  true counts to :func:`vp_registry.services.ledger.release` (the auditor checks them against
  every earlier release and refuses when a small count could be worked out), then freeze the
  report (``AnnualReport.to_json``: published figures and texts only) and its organisation-wide
  aggregates (for later years' trends) in the row. A final row never changes. From then on the
  year's closed cases can become due for retention (``services/retention.py``).
* **Correction**: a new draft version of the same year, starting from the last version's
  texts. It corrects the texts only: every figure and table is repeated exactly as the latest
  final version published it, whatever changed in the cases since (issue 12: whether a figure
  changed is itself a small count), in that version's language; the report says so.
  Finalising it goes through the same ledger, with no new figure.
* **Managers** read final versions only, from their frozen JSON (no vault key, no case).

A refusal's explanation can describe small numbers: it is for the counsellor's screen only,
never for a log, a manager or an audit entry (docs/design.md I-8). Every function takes the session,
settings and actor explicitly, flushes and never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from vp_registry.config import Settings
from vp_registry.core.crypto import SizeClass
from vp_registry.core.disclosure import Naming, is_complete, merge_departments, periods_of_year
from vp_registry.core.facts import CaseFacts
from vp_registry.core.report import (
    LOCALES,
    AnnualReport,
    FrozenAggregates,
    ReportRefused,
    ReportTexts,
    build_report,
    report_true_counts,
)
from vp_registry.core.taxonomy import N_, Role
from vp_registry.db import utcnow
from vp_registry.db.accounts import User
from vp_registry.db.reports import DRAFT, FINAL, AnnualReportRow
from vp_registry.services import activities, audit, cases, ledger, organisation, signals
from vp_registry.services.audit import Actor
from vp_registry.services.errors import Conflict, DomainError, NotFound, ValidationFailed
from vp_registry.services.record_keys import (
    DATA_KEY_VERSION,
    new_record_key,
    open_record_key,
    random_id,
)
from vp_registry.services.vault import VaultKeys

TABLE: Final = "annual_reports"
TEXTS: Final = "texts"
# the counsellor's texts are free text: padded to a power-of-two bucket (issue 11, item 5b)
TEXTS_SIZE: Final = SizeClass(fixed=64, free_text=("introduction", "recommendations"))
LEDGER_KIND: Final = "report"
MAX_TEXT: Final = 20_000
EARLIEST_YEAR: Final = 2000

Progress = Callable[[int, int], object]


# ------------------------------------------------------------------ errors


class YearNotOver(ValidationFailed):
    message = N_("The annual report of %(year)s can be finalised once the year is over, from "
                 "1 January %(next)s.")


class ReportBlocked(DomainError):
    """The report cannot be released as it is. ``explanation`` is for the counsellor only: it
    may describe small numbers, so it is never logged and never shown to anybody else."""

    message = N_("The annual report cannot be released as it is: it would make a small number "
                 "traceable, or change a figure that was released before.")

    def __init__(self, explanation: str) -> None:
        super().__init__()
        self.explanation = explanation

    def __repr__(self) -> str:  # never the explanation
        return "ReportBlocked()"


class ReportConflict(Conflict):
    message = N_("Someone else changed this annual report in the meantime. Check it and try "
                 "again.")


class AlreadyFinal(Conflict):
    message = N_("This annual report has been finalised and cannot be changed. Start a "
                 "correction to make a new version.")


class NoDraft(NotFound):
    message = N_("There is no draft of this annual report. Save its texts first.")


# ------------------------------------------------------------------ records


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


def _version(row: AnnualReportRow) -> ReportVersion:
    return ReportVersion(
        id=row.id, year=row.year, version=row.version, status=row.status, locale=row.locale,
        revision=row.revision, issued_on=row.issued_on, finalised_at=row.finalised_at,
        finalised_by=row.finalised_by, updated_at=row.updated_at,
    )


# ------------------------------------------------------------------ reading


def _rows(session: Session, year: int | None = None) -> list[AnnualReportRow]:
    query = select(AnnualReportRow).order_by(AnnualReportRow.year.desc(),
                                             AnnualReportRow.version.desc())
    if year is not None:
        query = query.where(AnnualReportRow.year == year)
    return list(session.execute(query).scalars())


def versions(session: Session, year: int) -> list[ReportVersion]:
    """Every stored version of ``year``, newest first."""
    return [_version(row) for row in _rows(session, year)]


def published(session: Session) -> list[ReportVersion]:
    """Every final version, newest year first, within a year the latest version first."""
    return [_version(row) for row in _rows(session) if row.status == FINAL]


def _draft_row(session: Session, year: int) -> AnnualReportRow | None:
    return session.execute(
        select(AnnualReportRow).where(AnnualReportRow.year == year,
                                      AnnualReportRow.status == DRAFT)
    ).scalar_one_or_none()


def _latest_final_row(session: Session, year: int) -> AnnualReportRow | None:
    return session.execute(
        select(AnnualReportRow).where(AnnualReportRow.year == year,
                                      AnnualReportRow.status == FINAL)
        .order_by(AnnualReportRow.version.desc()).limit(1)
    ).scalar_one_or_none()


def final_report(session: Session, year: int, version: int | None = None
                 ) -> tuple[ReportVersion, AnnualReport]:
    """A final version as it was published (the latest when ``version`` is None)."""
    if version is None:
        row = _latest_final_row(session, year)
    else:
        row = session.execute(
            select(AnnualReportRow).where(AnnualReportRow.year == year,
                                          AnnualReportRow.version == version,
                                          AnnualReportRow.status == FINAL)
        ).scalar_one_or_none()
    if row is None or row.report_json is None:
        raise NotFound()
    return _version(row), AnnualReport.from_json(row.report_json)


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
    years = {today.year, today.year - 1, *cases.case_years(session),
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
            draft=_version(draft) if draft is not None else None,
            final=_version(final) if final is not None else None,
        ))
    return statuses


def _texts(keys: VaultKeys, row: AnnualReportRow) -> ReportTexts:
    crypter = open_record_key(keys, row.wrapped_key, row.vault_key_version, row.data_key_version)
    value = crypter.decrypt_json(TABLE, TEXTS, row.id, row.texts)
    if not isinstance(value, dict):
        raise ValueError("annual report texts are not a JSON object")
    return ReportTexts(str(value.get("introduction") or ""),
                       str(value.get("recommendations") or ""))


_INTRODUCTION: Final = {
    "nl": "Dit jaarverslag beschrijft het werk van de vertrouwenspersoon ongewenst gedrag van "
          "{organisation} van 1 januari tot en met 31 december {year}. {who}",
    "en": "This annual report describes the work of the confidential counsellor of "
          "{organisation} from 1 January to 31 December {year}. {who}",
}
_WHO: Final = {
    "nl": ("Vertrouwenspersoon: {names}.", "Vertrouwenspersonen: {names}."),
    "en": ("Confidential counsellor: {names}.", "Confidential counsellors: {names}."),
}


def default_introduction(session: Session, settings: Settings, year: int, locale: str) -> str:
    """A first sentence for a new draft: organisation, period and the counsellors' names
    (their names are public: the counsellors page shows them). The counsellor adds how
    people can reach them."""
    names = sorted(session.execute(
        select(User.display_name).where(User.role == Role.COUNSELLOR.value,
                                        User.active.is_(True))).scalars())
    joined = ", ".join(names)
    who = _WHO[locale][len(names) > 1].format(names=joined) if names else ""
    return _INTRODUCTION[locale].format(organisation=settings.organisation_name, year=year,
                                        who=who).strip()


def get_draft(session: Session, settings: Settings, keys: VaultKeys, year: int) -> Draft | None:
    """The year's draft; a new, unsaved one when the year has no report yet (its introduction
    started for the counsellor); None when the year is finalised and no correction has been
    started."""
    row = _draft_row(session, year)
    if row is not None:
        return Draft(year=year, version=row.version, revision=row.revision, locale=row.locale,
                     texts=_texts(keys, row))
    if _latest_final_row(session, year) is not None:
        return None
    locale = settings.default_locale
    return Draft(year=year, version=1, revision=0, locale=locale, texts=ReportTexts(
        default_introduction(session, settings, year, locale), ""))


# ------------------------------------------------------------------ writing


def _check_year(year: int, today: date) -> None:
    if not EARLIEST_YEAR <= year <= today.year:
        raise NotFound()


def _clean_text(text: str, field: str) -> str:
    cleaned = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    if len(cleaned) > MAX_TEXT:
        raise ValidationFailed(N_("Keep this text to %(max)s characters."), field=field,
                               max=MAX_TEXT)
    return cleaned


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise ReportConflict() from None


def _audit(session: Session, settings: Settings, actor: Actor, action: str,
           version: ReportVersion | AnnualReportRow, **details: Any) -> None:
    audit.record(session, settings.audit_key, actor, action, target_type="report",
                 target_id=f"report-{version.year}-v{version.version}", **details)


def _new_row(session: Session, keys: VaultKeys, actor: Actor, year: int, version: int,
             locale: str, texts: ReportTexts) -> AnnualReportRow:
    crypter, wrapped, vault_version = new_record_key(keys)
    row_id = random_id()
    now = utcnow()
    row = AnnualReportRow(
        id=row_id, year=year, version=version, status=DRAFT, locale=locale,
        wrapped_key=wrapped, vault_key_version=vault_version, data_key_version=DATA_KEY_VERSION,
        texts=crypter.encrypt_json(TABLE, TEXTS, row_id, {
            "introduction": texts.introduction, "recommendations": texts.recommendations},
            TEXTS_SIZE),
        created_by=actor.user_id, created_at=now, updated_at=now,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the unique (year, version): someone else was quicker
        session.rollback()
        raise ReportConflict() from None
    cases.ensure_current_key(session, keys)
    return row


def save_texts(session: Session, settings: Settings, actor: Actor, keys: VaultKeys, year: int,
               expected_revision: int, texts: ReportTexts, locale: str, *,
               today: date | None = None) -> ReportVersion:
    """Store the draft's texts and language; creates the draft (``expected_revision`` 0)."""
    _check_year(year, today or date.today())
    if locale not in LOCALES:
        raise ValidationFailed(N_("Choose Dutch or English."), field="locale")
    clean = ReportTexts(_clean_text(texts.introduction, "introduction"),
                        _clean_text(texts.recommendations, "recommendations"))
    row = _draft_row(session, year)
    if row is None:
        if _latest_final_row(session, year) is not None:
            raise AlreadyFinal()  # e.g. the draft this form was made for has been finalised
        if expected_revision != 0:
            raise ReportConflict()
        row = _new_row(session, keys, actor, year, 1, locale, clean)
        _audit(session, settings, actor, "report.create", row)
        return _version(row)
    if row.revision != expected_revision:
        raise ReportConflict()
    crypter = open_record_key(keys, row.wrapped_key, row.vault_key_version, row.data_key_version)
    row.texts = crypter.encrypt_json(TABLE, TEXTS, row.id, {
        "introduction": clean.introduction, "recommendations": clean.recommendations},
        TEXTS_SIZE)
    row.locale = locale
    row.updated_at = utcnow()
    _flush(session)
    _audit(session, settings, actor, "report.edit", row)
    return _version(row)


def start_correction(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                     year: int) -> ReportVersion:
    """A new draft version after the latest final one, with that version's texts."""
    if _draft_row(session, year) is not None:
        raise ReportConflict(N_("A correction of this annual report is already in progress."))
    final = _latest_final_row(session, year)
    if final is None:
        raise NoDraft()
    row = _new_row(session, keys, actor, year, final.version + 1, final.locale,
                   _texts(keys, final))
    _audit(session, settings, actor, "report.correction", row)
    return _version(row)


# ------------------------------------------------------------------ building


@dataclass(frozen=True)
class _Built:
    report: AnnualReport
    facts: list[CaseFacts]
    naming: Naming


def _build(session: Session, settings: Settings, keys: VaultKeys, draft: Draft, *,
           final: bool, today: date, progress: Progress | None) -> _Built:
    year, locale = draft.year, draft.locale
    corrects: AnnualReport | None = None
    if draft.version > 1:  # a correction repeats the figures of the latest final version
        corrected = _latest_final_row(session, year)
        if corrected is None or corrected.report_json is None:
            raise NoDraft()
        corrects = AnnualReport.from_json(corrected.report_json)
        locale = corrects.locale
    facts = cases.case_facts(session, keys, year=year, progress=progress)
    departments = organisation.department_facts(session)
    categories = [(c.code, c.label_en if locale == "en" else c.label_nl)
                  for c in organisation.list_categories(session)]
    rules = ledger.rules_from(settings)
    try:
        report = build_report(
            year, facts, departments, categories,
            activities.report_facts(session, keys, year),
            signals.report_facts(session, year, locale),
            frozen_aggregates(session, before=year),
            draft.texts, rules, ledger.load_ledger(session), locale,
            organisation=settings.organisation_name, draft=not final, version=draft.version,
            issued_on=today, corrects=corrects, registry_start=settings.registry_start_date,
        )
    except ReportRefused as refused:
        raise ReportBlocked(refused.explanation) from None
    naming = Naming.from_grouping(merge_departments(departments, rules), dict(categories))
    return _Built(report, facts, naming)


def preview(session: Session, settings: Settings, keys: VaultKeys, year: int, *,
            today: date | None = None, progress: Progress | None = None) -> AnnualReport:
    """The draft as it would be finalised now (marked as a draft); writes nothing.

    Raises NoDraft when the year is finalised and no correction was started, ReportBlocked
    (with the counsellor's explanation) when the report cannot be released as it is.
    """
    today = today or date.today()
    _check_year(year, today)
    draft = get_draft(session, settings, keys, year)
    if draft is None:
        raise NoDraft()
    return _build(session, settings, keys, draft, final=False, today=today,
                  progress=progress).report


def finalise(session: Session, settings: Settings, actor: Actor, keys: VaultKeys, year: int,
             expected_revision: int, *, today: date | None = None) -> ReportVersion:
    """Release the draft through the ledger and freeze it; see the module docstring."""
    today = today or date.today()
    _check_year(year, today)
    row = _draft_row(session, year)
    if row is None:
        raise AlreadyFinal() if _latest_final_row(session, year) is not None else NoDraft()
    if row.revision != expected_revision:
        raise ReportConflict()
    if not is_complete(periods_of_year(year), today):
        raise YearNotOver(year=year, next=year + 1)
    draft = Draft(year=year, version=row.version, revision=row.revision, locale=row.locale,
                  texts=_texts(keys, row))
    built = _build(session, settings, keys, draft, final=True, today=today, progress=None)
    try:
        entry = ledger.release(
            session, settings, actor, kind=LEDGER_KIND, reference=f"report-{year}-v{row.version}",
            figures=built.report.figures, true_counts=report_true_counts(year, built.facts),
            naming=built.naming,
        )
    except ledger.ReleaseRefused as refused:  # audited by the ledger; nothing was released
        raise ReportBlocked(refused.result.explanation) from None
    row.status = FINAL
    row.report_json = built.report.to_json()
    row.aggregates_json = built.report.aggregates.to_json()
    row.disclosure_release_id = entry.id
    row.issued_on = today
    row.finalised_at = row.updated_at = utcnow()
    row.finalised_by = actor.user_id
    _flush(session)
    _audit(session, settings, actor, "report.finalise", row, figures=len(built.report.figures))
    return _version(row)


def record_download(session: Session, settings: Settings, actor: Actor, version: ReportVersion,
                    fmt: str) -> None:
    """A final version left the system as a file (it adds no figure: audited only)."""
    _audit(session, settings, actor, "report.download", version, format=fmt)


def record_draft_export(session: Session, settings: Settings, actor: Actor, year: int,
                        version: int, fmt: str) -> None:
    """The counsellor took a draft as a file (to proofread; marked "Concept")."""
    audit.record(session, settings.audit_key, actor, "report.draft_export",
                 target_type="report", target_id=f"report-{year}-v{version}", format=fmt)
