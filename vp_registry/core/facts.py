"""Decrypted, in-memory view of a case used by signal detection and the annual report.

Services build these from decrypted rows; the core computes on them and never sees ciphertext
or a database. They are plain frozen dataclasses so tests can write them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class ContactFacts:
    held_on: date
    minutes: int
    channel: str  # taxonomy.Channel value


@dataclass(frozen=True)
class CaseFacts:
    case_id: int
    opened_on: date
    closed_on: date | None
    department_id: int
    categories: tuple[str, ...]  # category codes, at least one
    relation: str | None = None  # taxonomy.Relation value
    outcome: str | None = None  # taxonomy.Outcome value, set at closing
    referral: str | None = None  # taxonomy.Referral value
    gender: str | None = None
    employment_type: str | None = None
    minutes_spent: int = 0
    contacts: tuple[ContactFacts, ...] = field(default_factory=tuple)
    # keyed blind index of the normalised name of the person involved (counsellor-only use)
    involved_person_index: str | None = None


@dataclass(frozen=True)
class DepartmentFacts:
    department_id: int
    name: str
    headcount: int
    parent_id: int | None = None
    active: bool = True
