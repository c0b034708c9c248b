"""Cases that make candidate signals, for the signal tests (service, web and browser).

Dates are relative to today (the web pages compute candidates for today): ``WINDOW`` is the
last four complete quarters, the last of them ``END``, the one before ``PREVIOUS``.

* Magazijn en logistiek x pesten: 4 cases in the window -> a concentration ("3-4").
* Productie x werkdruk: 3 cases in END, none in PREVIOUS -> a rise and a concentration.
* Two of the Magazijn cases name the same person -> a recurrence (counsellor only).
* One seksisme case at Monteurs buitendienst: no signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from tests.casework import case_input, department
from vp_registry.config import Settings
from vp_registry.core.disclosure import parse_quarter
from vp_registry.services.cases import lifecycle
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.signals.reviewing import window_before
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

TODAY = date.today()
WINDOW = tuple(window_before(TODAY))
PREVIOUS, END = WINDOW[-2], WINDOW[-1]


def day_in(quarter: str, n: int) -> date:
    """The n-th (0-2) month's 10th+n day of a quarter: a date safely inside it."""
    year, number = parse_quarter(quarter)
    return date(year, (number - 1) * 3 + 1 + n % 3, 10 + n)


@dataclass(frozen=True)
class Organisation:
    magazijn: int
    productie: int
    monteurs: int


def organisation(db: Session, settings: Settings) -> Organisation:
    return Organisation(
        magazijn=department(db, "Magazijn en logistiek", settings, headcount=27).id,
        productie=department(db, "Productie", settings, headcount=60).id,
        monteurs=department(db, "Monteurs buitendienst", settings, headcount=40).id,
    )


def add_case(db: Session, settings: Settings, actor: Actor, keys: VaultKeys, dept: int,
             opened_on: date, categories: tuple[str, ...], person: str | None = None) -> str:
    record = lifecycle.create_case(Work(db, settings, actor, keys=keys),
        case_input(dept, opened_on=opened_on, categories=categories, involved_person=person),
        today=TODAY)
    return record.reference


def seed(db: Session, settings: Settings, actor: Actor, keys: VaultKeys) -> Organisation:
    org = organisation(db, settings)
    for quarter, person in zip(WINDOW, ("Kees de Vries", None, "kees  de vries", None),
                               strict=True):
        add_case(db, settings, actor, keys, org.magazijn, day_in(quarter, 1), ("pesten",),
                 person)
    for n in range(4):  # a rise: 4 after 0 (now - 2 x before >= k + 1, issue 12 session 8)
        add_case(db, settings, actor, keys, org.productie, day_in(END, n), ("werkdruk",))
    add_case(db, settings, actor, keys, org.monteurs, day_in(PREVIOUS, 0), ("seksisme",))
    db.commit()
    return org
