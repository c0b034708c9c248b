"""Loading case rows, their keys and conversations, decrypted; the version check, the conflict
and the audit entry every use case shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from vp_registry.core.crypto import RecordCrypter
from vp_registry.db.cases import Case, CaseContact, CaseKey
from vp_registry.services.cases import codec
from vp_registry.services.cases.records import CaseConflict, CaseRecord
from vp_registry.services.errors import NotFound
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work


def case_row(session: Session, reference: str) -> Case:
    """The case row of a reference (NotFound when there is none, or it was erased)."""
    row = session.execute(select(Case).where(Case.reference == reference)).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


def _key_row(session: Session, case_id: int) -> CaseKey:
    row = session.get(CaseKey, case_id)
    if row is None:  # a case without its key has been shredded
        raise NotFound()
    return row


def row_crypter(session: Session, keys: VaultKeys, row: Case, key: CaseKey | None = None
                ) -> RecordCrypter:
    """The crypter of a loaded case row (its key row read unless given)."""
    key = key or _key_row(session, row.id)
    return codec.open_crypter(keys, key.wrapped_key, key.vault_key_version, row.data_key_version)


_CONTACT_ORDER = (CaseContact.held_on, CaseContact.created_at)


def _contact_rows(session: Session, case_id: int) -> list[CaseContact]:
    return list(session.execute(select(CaseContact).where(CaseContact.case_id == case_id)
                                .order_by(*_CONTACT_ORDER)).scalars())


def decrypt_row(session: Session, keys: VaultKeys, row: Case, key: CaseKey | None = None,
                contacts: Sequence[CaseContact] | None = None) -> CaseRecord:
    """A loaded case row as a whole decrypted record (its conversations read unless given)."""
    crypter = row_crypter(session, keys, row, key)
    summary = codec.make_summary(row.id, row.reference, row.status, row.opened_on,
                                 row.closed_on, row.version,
                                 codec.decode_listing(crypter, row.id, row.listing))
    details = codec.decode_details(crypter, row.id, row.details)
    found = _contact_rows(session, row.id) if contacts is None else contacts
    return codec.make_record(summary, details, tuple(
        codec.decode_contact(crypter, r.id, r.case_id, r.version, r.held_on, r.content)
        for r in found))


# Built once (issue 15): constructing this select cost about a quarter of the case page's read.
_WHOLE_CASE = (select(Case, CaseKey, CaseContact).join(CaseKey, CaseKey.case_id == Case.id)
               .outerjoin(CaseContact, CaseContact.case_id == Case.id)
               .where(Case.reference == bindparam("reference")).order_by(*_CONTACT_ORDER))


def whole_case(session: Session, reference: str
               ) -> tuple[Case, CaseKey, list[CaseContact]]:
    """A case with its wrapped key and its conversations in one statement (the case page)."""
    found = session.execute(_WHOLE_CASE, {"reference": reference}).all()
    if not found:
        raise NotFound()
    return found[0][0], found[0][1], [r[2] for r in found if r[2] is not None]


def check_version(work: Work, row: Case, expected: int) -> None:
    """The form showed ``expected``: anything else is a conflict showing what is stored now."""
    if row.version != expected:
        raise CaseConflict(decrypt_row(work.session, work.keys, row))


def stored_now(work: Work, reference: str) -> Callable[[], CaseConflict]:
    """For ``work.conflicts``: a write that a concurrent change staled becomes a conflict with
    the case as stored now (read after the savepoint's rollback; the caller's transaction and
    its queued audit entries stay)."""
    return lambda: CaseConflict(decrypt_row(work.session, work.keys,
                                            case_row(work.session, reference)))


def audit_case(work: Work, action: str, reference: str, **details: Any) -> None:
    """One audit entry naming the case by its reference only, never its content."""
    work.audit(action, target_type="case", target_id=reference, **details)
