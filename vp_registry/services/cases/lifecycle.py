"""A case's life: create, read, update, close, reopen, erase. Each takes the unit of work first,
flushes and never commits or rolls back; a write that a concurrent change can stale runs in
``work.conflicts`` (a savepoint). Reads and writes are audited with the case reference only,
never content."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.core import crypto
from vp_registry.core.casework import new_reference
from vp_registry.core.crypto import RecordCrypter
from vp_registry.core.facts import (
    as_counted,
    closing_after_reopen,
    grouping_after_edit,
    opening_after_edit,
)
from vp_registry.core.taxonomy import N_, CaseStatus
from vp_registry.db import utcnow
from vp_registry.db.cases import Case, CaseKey
from vp_registry.services.cases import codec, rows
from vp_registry.services.cases.codec import DATA_KEY_VERSION
from vp_registry.services.cases.dating import dated_facts
from vp_registry.services.cases.records import CaseInput, CaseRecord, Closing
from vp_registry.services.cases.shredding import shred
from vp_registry.services.cases.validation import validate_case, validate_closing
from vp_registry.services.errors import Conflict, ValidationFailed
from vp_registry.services.record_keys import ensure_current_key, random_id
from vp_registry.services.reports.counting import finalised_moments
from vp_registry.services.work import Work


def _new_reference(session: Session, year: int) -> str:
    for _ in range(50):
        reference = new_reference(year)
        if session.execute(select(Case.id).where(Case.reference == reference)).first() is None:
            return reference
    raise RuntimeError("could not find a free case reference")  # ~impossible: 32^4 per year


def create_case(work: Work, data: CaseInput, *, today: date | None = None) -> CaseRecord:
    """Open a case under a fresh data key (wrapped by the current vault key); audited as
    ``case.create``."""
    session, keys = work.session, work.keys
    data = validate_case(session, data, today=today or date.today())
    data_key = crypto.random_key()
    wrapped, vault_version = keys.wrap_data_key(data_key)
    crypter = RecordCrypter(data_key, DATA_KEY_VERSION, keys.cipher)
    now = utcnow()
    row = Case(id=random_id(), reference=_new_reference(session, data.opened_on.year),
               status=CaseStatus.OPEN.value, opened_on=data.opened_on, closed_on=None,
               data_key_version=DATA_KEY_VERSION, created_at=now, updated_at=now)
    codec.encode_case(crypter, row, codec.listing_values(data, None),
                      codec.details_values(data, None, None))
    session.add(row)
    session.flush()
    session.add(CaseKey(case_id=row.id, wrapped_key=wrapped, vault_key_version=vault_version))
    session.flush()
    ensure_current_key(session, keys)
    rows.audit_case(work, "case.create", row.reference)
    summary = codec.make_summary(row.id, row.reference, row.status, row.opened_on, None,
                                 row.version, codec.listing_values(data, None))
    return codec.make_record(summary, codec.details_values(data, None, None), ())


def read_case(work: Work, reference: str) -> CaseRecord:
    """Decrypt one case with its conversations; audited as ``case.read``."""
    session = work.session
    record = rows.decrypt_row(session, work.keys, *rows.whole_case(session, reference))
    rows.audit_case(work, "case.read", record.reference)
    return record


def update_case(work: Work, reference: str, expected_version: int, data: CaseInput, *,
                today: date | None = None) -> CaseRecord:
    """Save the form if nobody saved since ``expected_version`` was shown (else
    :class:`CaseConflict` with what is stored now); audited as ``case.update``."""
    session, keys = work.session, work.keys
    row = rows.case_row(session, reference)
    rows.check_version(work, row, expected_version)
    current = rows.decrypt_row(session, keys, row)
    data = validate_case(session, data, today=today or date.today(), previous=current)
    crypter = rows.row_crypter(session, keys, row)
    now = utcnow()
    counted_grouping = _counted_grouping(session, row, crypter, current, data, now)
    counted_opened_on = (row.counted_opened_on if data.opened_on == row.opened_on
                         else _counted_opening(session, row, data.opened_on, now))
    with work.conflicts(rows.stored_now(work, reference)):
        codec.encode_case(crypter, row,
                          codec.listing_values(data, current.outcome, counted_grouping),
                          codec.details_values(data, current.referral, current.referral_target))
        row.opened_on = data.opened_on
        row.counted_opened_on = counted_opened_on
        row.updated_at = now
    rows.audit_case(work, "case.update", reference)
    return rows.decrypt_row(session, keys, row)


def close_case(work: Work, reference: str, expected_version: int, closing: Closing, *,
               today: date | None = None) -> CaseRecord:
    """Close an open case with its outcome (a referral keeps where to); audited as
    ``case.close``."""
    session, keys = work.session, work.keys
    row = rows.case_row(session, reference)
    rows.check_version(work, row, expected_version)
    current = rows.decrypt_row(session, keys, row)
    if not current.is_open:
        raise ValidationFailed(N_("This case is already closed."))
    closing = validate_closing(closing, current.opened_on, today or date.today())
    crypter = rows.row_crypter(session, keys, row)
    kept = current.as_input()
    counted = codec.counted_grouping(codec.decode_listing(crypter, row.id, row.listing))
    with work.conflicts(rows.stored_now(work, reference)):
        codec.encode_case(crypter, row, codec.listing_values(kept, closing.outcome, counted),
                          codec.details_values(kept, closing.referral, closing.referral_target))
        row.status = CaseStatus.CLOSED.value
        row.closed_on = closing.closed_on
        # a closing date inside a year whose final report counted the case open at its end
        # counts from this moment (issue 12, core.facts.as_counted)
        row.updated_at = row.closed_recorded_at = utcnow()
    rows.audit_case(work, "case.close", reference)
    return rows.decrypt_row(session, keys, row)


def reopen_case(work: Work, reference: str, expected_version: int) -> CaseRecord:
    """Reopen a closed case. The earlier outcome is kept (and offered again at closing)."""
    row = rows.case_row(work.session, reference)
    rows.check_version(work, row, expected_version)
    if row.status != CaseStatus.CLOSED.value:
        raise ValidationFailed(N_("This case is already open."))
    now = utcnow()
    finalised = finalised_moments(work.session)
    counted_closed_on = (closing_after_reopen(as_counted([dated_facts(row)], finalised)[0],
                                              now, finalised)
                         if finalised else row.counted_closed_on)
    with work.conflicts(rows.stored_now(work, reference)):
        row.status = CaseStatus.OPEN.value
        row.closed_on = row.closed_recorded_at = None
        row.counted_closed_on = counted_closed_on or row.counted_closed_on
        row.updated_at = now
    rows.audit_case(work, "case.reopen", reference)
    return rows.decrypt_row(work.session, work.keys, row)


def _counted_opening(session: Session, row: Case, opened_on: date, now: datetime
                     ) -> date | None:
    """The opening date the figures count after the opening date changes to ``opened_on``:
    a date a final report counted stays (issue 12, ``core.facts.opening_after_edit``)."""
    finalised = finalised_moments(session)
    if not finalised:
        return row.counted_opened_on
    counted = as_counted([dated_facts(row)], finalised)[0]
    return opening_after_edit(counted, opened_on, now, finalised)


def _counted_grouping(session: Session, row: Case, crypter: RecordCrypter,
                      current: CaseRecord, data: CaseInput, now: datetime
                      ) -> tuple[int, tuple[str, ...]] | None:
    """The department and categories the figures count after this edit (kept inside the
    encrypted listing): the ones a release counted stay when they change after it (issue
    12, session 8, ``core.facts.grouping_after_edit``); None: the listing's own."""
    kept = codec.counted_grouping(codec.decode_listing(crypter, row.id, row.listing))
    unchanged = (data.department_id == current.department_id
                 and sorted(data.categories) == sorted(current.categories))
    if unchanged:
        return kept
    finalised = finalised_moments(session)
    if not finalised:
        return kept
    case = replace(dated_facts(row), department_id=current.department_id,
                   categories=tuple(current.categories), counted_grouping=kept)
    counted = as_counted([case], finalised)[0]
    return grouping_after_edit(counted, data.department_id, tuple(data.categories), now,
                               finalised)


def erase_case(work: Work, reference: str, expected_version: int) -> None:
    """Erase one case on request (right to erasure): unrecoverable at once (I-4)."""
    row = rows.case_row(work.session, reference)
    if row.version != expected_version:
        raise Conflict(N_("The case changed after you opened this page. Check it and try again."))
    shred(work.session, [row.id])
    rows.audit_case(work, "case.erase", reference)
