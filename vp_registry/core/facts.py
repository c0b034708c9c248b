"""Decrypted, in-memory view of a case used by signal detection and the annual report.

Services build these from decrypted rows; the core computes on them and never sees ciphertext
or a database. They are plain frozen dataclasses so tests can write them by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime


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
    # when the case was registered (UTC, the row's creation); None: on its opening day
    registered_at: datetime | None = None


@dataclass(frozen=True)
class DepartmentFacts:
    department_id: int
    name: str
    headcount: int
    parent_id: int | None = None
    active: bool = True


def as_counted(cases: Iterable[CaseFacts],
               finalised: Mapping[int, datetime]) -> list[CaseFacts]:
    """The cases as every published figure counts them (issue 12, docs/decisions.md).

    A case registered after the final annual report of a year in which it was open (it was
    registered late, or its opening date was moved back into that year) was not counted by
    that report. Counting it there now would change what the next report repeats from it -
    "carried over from Y-1" against the published "open on 31 December Y-1" - and so give
    the late case away. Such a case counts, in every later figure (reports, signals), as if
    it had been opened on the day it was registered, and closed no earlier than that day.
    ``finalised`` maps a year to the moment its first final report was finalised; the
    decision uses those moments and the registration time only, never a count.
    """
    return [_as_counted(case, finalised) for case in cases]


def _as_counted(case: CaseFacts, finalised: Mapping[int, datetime]) -> CaseFacts:
    registered = case.registered_at
    if registered is None or not any(
        moment <= registered and _open_in(case, year) for year, moment in finalised.items()
    ):
        return case
    day = registered.date()
    closed = None if case.closed_on is None else max(case.closed_on, day)
    return replace(case, opened_on=day, closed_on=closed)


def _open_in(case: CaseFacts, year: int) -> bool:
    """Did the annual report of ``year`` count the case (opened, carried over or closed)?"""
    return case.opened_on <= date(year, 12, 31) and (
        case.closed_on is None or case.closed_on >= date(year, 1, 1))
