"""A conversation of the anonymous channel becomes a case - nothing re-typed, nothing linked.

The audit log shows what any new case shows (one ``case.create``) and a date-only
``contact.convert`` of the channel: nothing outside the vault links the case to the message
(issue 11, item 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from vp_registry.core.taxonomy import N_
from vp_registry.services.cases import conversations, lifecycle, validation
from vp_registry.services.cases import records as case_records
from vp_registry.services.cases.records import CaseInput, ContactInput
from vp_registry.services.contact import sealing, threads
from vp_registry.services.contact.sealing import SENDER, THREADS
from vp_registry.services.contact.threads import ThreadRecord
from vp_registry.services.errors import ValidationFailed
from vp_registry.services.infrastructure import audit
from vp_registry.services.vault import unlocking
from vp_registry.services.work import Work


@dataclass(frozen=True, kw_only=True)
class Conversion:
    """What the counsellor confirms when a conversation becomes a case."""

    opened_on: date
    department_id: int
    categories: tuple[str, ...]
    minutes: int
    channel: str
    keep_contact: bool = False
    sender_label: str = "Anonymous sender"


def _transcript(record: ThreadRecord, sender_label: str) -> str:
    parts = []
    for post in record.posts:
        who = sender_label if post.author == SENDER else (post.counsellor_name or "")
        parts.append(f"[{post.written_on.isoformat()}] {who}:\n{post.text}")
    text = "\n\n".join(parts)
    if len(text) > case_records.MAX_TEXT:
        text = parts[0][: case_records.MAX_TEXT - 40].rstrip() + "\n\n[…]"
    return text


def _case_input(session: Session, record: ThreadRecord, conversion: Conversion, today: date
                ) -> tuple[CaseInput, ContactInput]:
    """The new case and its first conversation, checked before anything is written: a refusal
    leaves no half-made case."""
    if record.case_reference is not None:
        raise ValidationFailed(N_("This message was already turned into case %(reference)s."),
                               reference=record.case_reference)
    contact = record.contact if conversion.keep_contact else None
    case_input = CaseInput(
        opened_on=conversion.opened_on, department_id=conversion.department_id,
        categories=conversion.categories, consent=conversion.keep_contact and bool(contact),
        reporter_contact=contact,
    )
    first_contact = ContactInput(held_on=record.received_on, minutes=conversion.minutes,
                                 channel=conversion.channel,
                                 notes=_transcript(record, conversion.sender_label))
    if conversion.opened_on > record.received_on:
        raise ValidationFailed(N_("The case cannot open after the message arrived (%(date)s)."),
                               field="opened_on", date=record.received_on.isoformat())
    validation.validate_case(session, case_input, today=today)
    validation.validate_contact(first_contact, conversion.opened_on, today)
    return case_input, first_contact


def convert_to_case(work: Work, thread_id: int, conversion: Conversion, *,
                    today: date | None = None) -> str:
    """Open a case whose first conversation is this message thread; returns the new case's
    reference.

    The conversation's text (every post, in order) becomes the first contact's notes, held on
    the day the message arrived; the sender's contact details are kept only when the
    counsellor records consent. The thread stays, so the sender can still read replies, and
    remembers the case reference (encrypted under the thread key).

    The audit log shows one ``case.create`` naming the case, with its time (the first
    conversation is part of the creation, as the form of a new case would make it; no read
    follows in this request), and a ``contact.convert`` of the anonymous channel: its date
    only, no thread, no case.
    """
    session = work.session
    today = today or date.today()
    row = threads.thread_row(session, thread_id)
    record = threads.record(work, row)
    case_input, first_contact = _case_input(session, record, conversion, today)
    # The thread first: a concurrent change shows in its version check before anything is
    # created or audited (a savepoint: the caller's transaction and its contact.read go on).
    # Afterwards this transaction holds the row until it ends, so the link below cannot stale.
    with work.conflicts(threads.changed):
        row.unread = False
        flag_modified(row, "unread")  # the version check even when it was read already
    with work.conflicts(threads.changed):  # anything refused below leaves no half-made case
        case = lifecycle.create_case(work, case_input, today=today)
        conversations.add_contact(work, case.reference, first_contact, today=today,
                                  audited=False)  # part of the creation: one case.create
        row.case_link = sealing.crypter(sealing.thread_key_for_vault(
            unlocking.unwrap_message_private_key(session, work.keys), row)).encrypt_text(
            THREADS, "case_link", row.id, case.reference)
    audit.record_dated(session, work.actor, "contact.convert")
    return case.reference
