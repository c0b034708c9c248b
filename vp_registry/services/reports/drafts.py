"""The counsellor's draft texts of a year's report (encrypted, data key wrapped by the
vault key) and corrections: a new draft version after the latest final one."""

from __future__ import annotations

from datetime import date
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from vp_registry.core.crypto import SizeClass
from vp_registry.core.report import (
    LOCALES,
    ReportTexts,
)
from vp_registry.core.taxonomy import N_, Role
from vp_registry.db import utcnow
from vp_registry.db.accounts import User
from vp_registry.db.reports import DRAFT, AnnualReportRow
from vp_registry.services.errors import NotFound, ValidationFailed
from vp_registry.services.record_keys import (
    DATA_KEY_VERSION,
    ensure_current_key,
    new_record_key,
    open_record_key,
    random_id,
)
from vp_registry.services.reports.archive import (
    EARLIEST_YEAR,
    Draft,
    ReportVersion,
    audit_version,
    draft_row,
    latest_final_row,
    version_of,
)
from vp_registry.services.reports.refusals import AlreadyFinal, NoDraft, ReportConflict
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

TABLE: Final = "annual_reports"
TEXTS: Final = "texts"
# the counsellor's texts are free text: padded to a power-of-two bucket (issue 11, item 5b)
TEXTS_SIZE: Final = SizeClass(fixed=64, free_text=("introduction", "recommendations"))
MAX_TEXT: Final = 20_000


def texts_of(keys: VaultKeys, row: AnnualReportRow) -> ReportTexts:
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


def default_introduction(work: Work, year: int, locale: str) -> str:
    """A first sentence for a new draft: organisation, period and the counsellors' names
    (their names are public: the counsellors page shows them). The counsellor adds how
    people can reach them."""
    names = sorted(work.session.execute(
        select(User.display_name).where(User.role == Role.COUNSELLOR.value,
                                        User.active.is_(True))).scalars())
    joined = ", ".join(names)
    who = _WHO[locale][len(names) > 1].format(names=joined) if names else ""
    return _INTRODUCTION[locale].format(organisation=work.settings.organisation_name,
                                        year=year, who=who).strip()


def get_draft(work: Work, year: int) -> Draft | None:
    """The year's draft; a new, unsaved one when the year has no report yet (its introduction
    started for the counsellor); None when the year is finalised and no correction has been
    started."""
    row = draft_row(work.session, year)
    if row is not None:
        return Draft(year=year, version=row.version, revision=row.revision, locale=row.locale,
                     texts=texts_of(work.keys, row))
    if latest_final_row(work.session, year) is not None:
        return None
    locale = work.settings.default_locale
    return Draft(year=year, version=1, revision=0, locale=locale, texts=ReportTexts(
        default_introduction(work, year, locale), ""))


def check_year(year: int, today: date) -> None:
    if not EARLIEST_YEAR <= year <= today.year:
        raise NotFound()


def _clean_text(text: str, field: str) -> str:
    cleaned = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    if len(cleaned) > MAX_TEXT:
        raise ValidationFailed(N_("Keep this text to %(max)s characters."), field=field,
                               max=MAX_TEXT)
    return cleaned


def _new_row(work: Work, year: int, version: int, locale: str, texts: ReportTexts
             ) -> AnnualReportRow:
    """A new draft row; ReportConflict when someone else stored that version first (in a
    savepoint: the caller's transaction stays)."""
    keys = work.keys
    crypter, wrapped, vault_version = new_record_key(keys)
    row_id = random_id()
    now = utcnow()
    row = AnnualReportRow(
        id=row_id, year=year, version=version, status=DRAFT, locale=locale,
        wrapped_key=wrapped, vault_key_version=vault_version, data_key_version=DATA_KEY_VERSION,
        texts=crypter.encrypt_json(TABLE, TEXTS, row_id, {
            "introduction": texts.introduction, "recommendations": texts.recommendations},
            TEXTS_SIZE),
        created_by=work.actor.user_id, created_at=now, updated_at=now,
    )
    # the unique (year, version): someone else was quicker
    with work.conflicts(ReportConflict, on=(IntegrityError,)):
        work.session.add(row)
    ensure_current_key(work.session, keys)
    return row


def save_texts(work: Work, year: int, expected_revision: int, texts: ReportTexts, locale: str,
               *, today: date | None = None) -> ReportVersion:
    """Store the draft's texts and language; creates the draft (``expected_revision`` 0)."""
    check_year(year, today or date.today())
    if locale not in LOCALES:
        raise ValidationFailed(N_("Choose Dutch or English."), field="locale")
    clean = ReportTexts(_clean_text(texts.introduction, "introduction"),
                        _clean_text(texts.recommendations, "recommendations"))
    row = draft_row(work.session, year)
    if row is None:
        if latest_final_row(work.session, year) is not None:
            raise AlreadyFinal()  # e.g. the draft this form was made for has been finalised
        if expected_revision != 0:
            raise ReportConflict()
        row = _new_row(work, year, 1, locale, clean)
        audit_version(work, "report.create", row)
        return version_of(row)
    if row.revision != expected_revision:
        raise ReportConflict()
    keys = work.keys
    crypter = open_record_key(keys, row.wrapped_key, row.vault_key_version, row.data_key_version)
    with work.conflicts(ReportConflict):  # someone else saved in the meantime
        row.texts = crypter.encrypt_json(TABLE, TEXTS, row.id, {
            "introduction": clean.introduction, "recommendations": clean.recommendations},
            TEXTS_SIZE)
        row.locale = locale
        row.updated_at = utcnow()
    audit_version(work, "report.edit", row)
    return version_of(row)


def start_correction(work: Work, year: int) -> ReportVersion:
    """A new draft version after the latest final one, with that version's texts."""
    if draft_row(work.session, year) is not None:
        raise ReportConflict(N_("A correction of this annual report is already in progress."))
    final = latest_final_row(work.session, year)
    if final is None:
        raise NoDraft()
    row = _new_row(work, year, final.version + 1, final.locale, texts_of(work.keys, final))
    audit_version(work, "report.correction", row)
    return version_of(row)
