"""A sender's first message: no account, no secret needed; answered with a receipt code.

What the sender writes is sealed to the vault's message public key (:mod:`.sealing`); the
receipt code is returned once and never stored. The event is audited as the anonymous actor
with its date only (:func:`audit.record_dated`): no address, time or thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.core import crypto, receipt
from vp_registry.core.crypto import AesGcmCipher
from vp_registry.core.taxonomy import N_
from vp_registry.db.contact import ContactThread
from vp_registry.db.organisation import Category, Department
from vp_registry.services.cleaning import clean
from vp_registry.services.contact import sealing
from vp_registry.services.errors import DomainError, ValidationFailed
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import unlocking
from vp_registry.services.work import Work

KINDS: Final = ("conversation", "message")
KIND_LABELS: Final = {
    "conversation": N_("I would like a conversation with a confidential counsellor"),
    "message": N_("I want to send a message"),
}
MAX_MESSAGE: Final = 5000
MAX_CONTACT: Final = 300


class ChannelClosed(DomainError):
    message = N_("Anonymous messages cannot be received yet, because the registry has not "
                 "been set up. Please use the phone number or e-mail address of a confidential "
                 "counsellor on the counsellors page.")


@dataclass(frozen=True, kw_only=True)
class Submission:
    kind: str
    message: str
    department_id: int | None = None
    category: str | None = None
    contact: str | None = None


def message_text(text: str | None, field: str = "message") -> str:
    """A message of a sender or a counsellor: cleaned, not empty, not too long."""
    cleaned = clean(text, MAX_MESSAGE, field)
    if cleaned is None:
        raise ValidationFailed(N_("Write your message."), field=field)
    return cleaned


def validate_submission(session: Session, data: Submission) -> Submission:
    """The submission cleaned, or ValidationFailed naming the field (checked before sealing)."""
    if data.kind not in KINDS:
        raise ValidationFailed(N_("Choose one of the options."), field="kind")
    message = message_text(data.message)
    department_id = data.department_id or None
    if department_id is not None:
        department = session.get(Department, department_id)
        if department is None or not department.active:
            raise ValidationFailed(N_("Choose a department from the list."),
                                   field="department_id")
    category = data.category or None
    if category is not None:
        found = session.execute(select(Category).where(Category.code == category)
                                ).scalar_one_or_none()
        if found is None or not found.active:
            raise ValidationFailed(N_("Choose a subject from the list."), field="category")
    return Submission(kind=data.kind, message=message, department_id=department_id,
                      category=category,
                      contact=clean(data.contact, MAX_CONTACT, "contact"))


def public_key(session: Session) -> bytes:
    """The vault's message public key; :class:`ChannelClosed` before the vault exists."""
    key = unlocking.message_public_key(session)
    if key is None:
        raise ChannelClosed()
    return key


def is_open(session: Session) -> bool:
    """Whether messages can be received (the vault has its message key pair)."""
    return unlocking.message_public_key(session) is not None


def _new_lookup(session: Session) -> tuple[str, str]:
    for _ in range(10):
        code = receipt.new_code()
        lookup = sealing.lookup_id(code)
        taken = session.execute(select(ContactThread.id).where(ContactThread.lookup == lookup))
        if taken.first() is None:
            return code, lookup
    raise RuntimeError("could not find a free receipt code")  # 2^66 codes: never happens


def submit(work: Work, data: Submission, *, today: date | None = None) -> str:
    """Store an anonymous message; returns the receipt code (to show once, never stored).
    Audited as the anonymous actor whoever is logged in (the channel names nobody)."""
    session, settings = work.session, work.settings
    today = today or date.today()
    data = validate_submission(session, data)
    key = public_key(session)
    code, lookup = _new_lookup(session)
    thread_id = sealing.random_id()
    thread_key = crypto.random_key()
    salt = crypto.new_salt()
    code_key = sealing.code_key(code, salt, settings.password_kdf)
    thread = ContactThread(
        id=thread_id, lookup=lookup, kdf_salt=salt, kdf_params=settings.password_kdf.to_json(),
        key_by_code=AesGcmCipher().encrypt(code_key, thread_key, sealing.code_aad(thread_id)),
        key_sealed=crypto.seal(key, thread_key, sealing.sealed_key_aad(thread_id)),
        key_version=sealing.THREAD_KEY_VERSION, received_on=today, last_activity_on=today,
        unread=True,
    )
    session.add(thread)
    session.flush()
    sealing.add_sender_post(session, thread, key, {
        "text": data.message, "kind": data.kind, "department_id": data.department_id,
        "category": data.category, "contact": data.contact,
    }, today)
    session.flush()
    audit.record_dated(session, Actor.anonymous(), "contact.receive")
    return code
