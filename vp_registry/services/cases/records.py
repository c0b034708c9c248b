"""The decrypted records of a case and its conversations, the form input, and the conflicts
that carry what is stored now. Plain values: nothing here touches a key or the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from vp_registry.core.casework import IntegrityDeadlines, integrity_deadlines
from vp_registry.core.taxonomy import N_, CaseStatus, Outcome
from vp_registry.services.errors import Conflict

MAX_NAME: Final = 200
MAX_CONTACT_DETAILS: Final = 300
MAX_TEXT: Final = 20_000
MAX_MINUTES: Final = 100_000
MAX_CONTACT_MINUTES: Final = 24 * 60
EARLIEST_DATE: Final = date(2000, 1, 1)


@dataclass(frozen=True, kw_only=True)
class CaseInput:
    """What the counsellor enters on the case form (everything but closing)."""

    opened_on: date
    department_id: int
    categories: tuple[str, ...]
    relation: str | None = None
    consent: bool = False
    reporter_name: str | None = None
    reporter_contact: str | None = None
    involved_person: str | None = None
    narrative: str | None = None
    next_steps: str | None = None
    gender: str | None = None
    employment_type: str | None = None
    minutes_spent: int = 0
    integrity_report: bool = False
    acknowledged_on: date | None = None
    feedback_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class Closing:
    """What the counsellor enters when closing a case."""

    closed_on: date
    outcome: str
    referral: str | None = None
    referral_target: str | None = None


@dataclass(frozen=True, kw_only=True)
class ContactInput:
    """What the counsellor enters for a conversation."""

    held_on: date
    minutes: int
    channel: str
    notes: str | None = None


@dataclass(frozen=True, kw_only=True)
class ContactRecord:
    """A decrypted conversation."""

    id: int
    case_id: int
    version: int
    held_on: date
    minutes: int
    channel: str
    notes: str | None


@dataclass(frozen=True, kw_only=True)
class CaseSummary:
    """Plaintext columns plus the decrypted listing: what the case list needs."""

    id: int
    reference: str
    status: str
    opened_on: date
    closed_on: date | None
    version: int
    department_id: int
    categories: tuple[str, ...]
    integrity_report: bool
    acknowledged_on: date | None
    feedback_on: date | None
    outcome: str | None

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN.value

    @property
    def is_integrity_report(self) -> bool:
        return self.integrity_report or self.outcome == Outcome.INTEGRITY_REPORT.value

    @property
    def deadlines(self) -> IntegrityDeadlines | None:
        if not self.is_integrity_report:
            return None
        return integrity_deadlines(self.opened_on, self.acknowledged_on, self.feedback_on)

    def overdue(self, today: date) -> bool:
        deadlines = self.deadlines
        return deadlines is not None and self.is_open and deadlines.overdue(today)


@dataclass(frozen=True, kw_only=True)
class CaseRecord(CaseSummary):
    """A fully decrypted case with its conversations."""

    relation: str | None
    consent: bool
    reporter_name: str | None
    reporter_contact: str | None
    involved_person: str | None
    narrative: str | None
    next_steps: str | None
    gender: str | None
    employment_type: str | None
    minutes_spent: int
    referral: str | None
    referral_target: str | None
    contacts: tuple[ContactRecord, ...] = ()

    @property
    def contact_minutes(self) -> int:
        return sum(contact.minutes for contact in self.contacts)

    @property
    def total_minutes(self) -> int:
        return self.minutes_spent + self.contact_minutes

    def as_input(self) -> CaseInput:
        return CaseInput(
            opened_on=self.opened_on, department_id=self.department_id,
            categories=self.categories, relation=self.relation, consent=self.consent,
            reporter_name=self.reporter_name, reporter_contact=self.reporter_contact,
            involved_person=self.involved_person, narrative=self.narrative,
            next_steps=self.next_steps, gender=self.gender,
            employment_type=self.employment_type, minutes_spent=self.minutes_spent,
            integrity_report=self.integrity_report, acknowledged_on=self.acknowledged_on,
            feedback_on=self.feedback_on,
        )


class CaseConflict(Conflict):
    """The case (or conversation) changed since the form was opened. ``current`` is what is
    stored now, so the conflict page can show both versions."""

    message = N_("Someone else changed this case in the meantime. Your changes were not saved.")

    def __init__(self, current: CaseRecord) -> None:
        super().__init__()
        self.current = current


class ContactConflict(Conflict):
    """The conversation changed since the form was opened; ``current`` is what is
    stored now."""

    message = N_("Someone else changed this conversation in the meantime. "
                 "Your changes were not saved.")

    def __init__(self, current: ContactRecord) -> None:
        super().__init__()
        self.current = current
