"""A case's conversations: add, read one, update (with its own version check)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from vp_registry.db import utcnow
from vp_registry.db.cases import CaseContact
from vp_registry.services.cases import codec, rows
from vp_registry.services.cases.records import ContactConflict, ContactInput, ContactRecord
from vp_registry.services.cases.validation import validate_contact
from vp_registry.services.errors import NotFound
from vp_registry.services.record_keys import random_id
from vp_registry.services.work import Work


def add_contact(work: Work, reference: str, data: ContactInput, *, today: date | None = None,
                audited: bool = True) -> ContactRecord:
    """Add a conversation (audited as ``contact.create``). ``audited=False`` only for the
    first conversation of a case made in the same transaction, whose ``case.create`` already
    records the write (a message turned into a case: services/contact/conversion.py)."""
    session = work.session
    row = rows.case_row(session, reference)
    data = validate_contact(data, row.opened_on, today or date.today())
    crypter = rows.row_crypter(session, work.keys, row)
    now = utcnow()
    contact = CaseContact(id=random_id(), case_id=row.id, held_on=data.held_on,
                          created_at=now, updated_at=now)
    codec.encode_contact(crypter, contact, data)
    session.add(contact)
    session.flush()
    if audited:
        rows.audit_case(work, "contact.create", reference, contact=contact.id)
    return codec.decode_contact(crypter, contact.id, row.id, contact.version, contact.held_on,
                                contact.content)


def _contact_row(session: Session, case_id: int, contact_id: int) -> CaseContact:
    contact = session.get(CaseContact, contact_id)
    if contact is None or contact.case_id != case_id:
        raise NotFound()
    return contact


def get_contact(work: Work, reference: str, contact_id: int) -> ContactRecord:
    """One conversation, decrypted (the edit form; its case was read and audited with it)."""
    row = rows.case_row(work.session, reference)
    contact = _contact_row(work.session, row.id, contact_id)
    crypter = rows.row_crypter(work.session, work.keys, row)
    return codec.decode_contact(crypter, contact.id, row.id, contact.version, contact.held_on,
                                contact.content)


def update_contact(work: Work, reference: str, contact_id: int, expected_version: int,
                   data: ContactInput, *, today: date | None = None) -> ContactRecord:
    """Save a conversation if nobody saved it since ``expected_version`` was shown.

    The version is compared on the same loaded row that is flushed (the flush's
    ``WHERE version = ...`` then holds the comparison until the commit). Loading the row a
    second time could see a colleague's save committed in between and overwrite it.
    """
    session = work.session
    row = rows.case_row(session, reference)
    contact = _contact_row(session, row.id, contact_id)
    crypter = rows.row_crypter(session, work.keys, row)
    if contact.version != expected_version:
        raise ContactConflict(codec.decode_contact(crypter, contact.id, row.id, contact.version,
                                                   contact.held_on, contact.content))
    data = validate_contact(data, row.opened_on, today or date.today())
    with work.conflicts(lambda: ContactConflict(get_contact(work, reference, contact_id))):
        codec.encode_contact(crypter, contact, data)
        contact.held_on = data.held_on
        contact.updated_at = utcnow()
    rows.audit_case(work, "contact.update", reference, contact=contact_id)
    return codec.decode_contact(crypter, contact.id, row.id, contact.version, contact.held_on,
                                contact.content)
