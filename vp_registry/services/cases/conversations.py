"""A case's conversations: add, read one, update (with its own version check)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from vp_registry.config import Settings
from vp_registry.db import utcnow
from vp_registry.db.cases import CaseContact
from vp_registry.services.cases import codec, rows
from vp_registry.services.cases.records import ContactConflict, ContactInput, ContactRecord
from vp_registry.services.cases.validation import validate_contact
from vp_registry.services.errors import NotFound
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.record_keys import random_id
from vp_registry.services.vault.keyring import VaultKeys


def add_contact(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                reference: str, data: ContactInput, *, today: date | None = None,
                audited: bool = True) -> ContactRecord:
    """Add a conversation (audited as ``contact.create``). ``audited=False`` only for the
    first conversation of a case made in the same transaction, whose ``case.create`` already
    records the write (a message turned into a case: services/contact.py)."""
    today = today or date.today()
    row = rows.case_row(session, reference)
    data = validate_contact(data, row.opened_on, today)
    crypter = rows.row_crypter(session, keys, row)
    now = utcnow()
    contact = CaseContact(id=random_id(), case_id=row.id, held_on=data.held_on,
                          created_at=now, updated_at=now)
    codec.encode_contact(crypter, contact, data)
    session.add(contact)
    session.flush()
    if audited:
        rows.audit_case(session, settings, actor, "contact.create", reference, contact=contact.id)
    return codec.decode_contact(crypter, contact.id, row.id, contact.version, contact.held_on,
                           contact.content)


def get_contact(session: Session, keys: VaultKeys, reference: str, contact_id: int
                ) -> ContactRecord:
    row = rows.case_row(session, reference)
    contact = session.get(CaseContact, contact_id)
    if contact is None or contact.case_id != row.id:
        raise NotFound()
    crypter = rows.row_crypter(session, keys, row)
    return codec.decode_contact(crypter, contact.id, row.id, contact.version, contact.held_on,
                           contact.content)


def update_contact(session: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                   reference: str, contact_id: int, expected_version: int, data: ContactInput,
                   *, today: date | None = None) -> ContactRecord:
    """Save a conversation if nobody saved it since ``expected_version`` was shown.

    The version is compared on the same loaded row that is flushed (the flush's
    ``WHERE version = ...`` then holds the comparison until the commit). Loading the row a
    second time could see a colleague's save committed in between and overwrite it.
    """
    today = today or date.today()
    row = rows.case_row(session, reference)
    contact = session.get(CaseContact, contact_id)
    if contact is None or contact.case_id != row.id:
        raise NotFound()
    crypter = rows.row_crypter(session, keys, row)
    if contact.version != expected_version:
        raise ContactConflict(codec.decode_contact(crypter, contact.id, row.id, contact.version,
                                              contact.held_on, contact.content))
    data = validate_contact(data, row.opened_on, today)
    codec.encode_contact(crypter, contact, data)
    contact.held_on = data.held_on
    contact.updated_at = utcnow()
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise ContactConflict(get_contact(session, keys, reference, contact_id)) from None
    rows.audit_case(session, settings, actor, "contact.update", reference, contact=contact_id)
    return codec.decode_contact(crypter, contact.id, row.id, contact.version, contact.held_on,
                           contact.content)
