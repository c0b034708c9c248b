"""A year of encrypted cases and activities for the annual report tests (service, web, CLI,
browser). Plain functions; every test states its own fixtures.

The organisation: Productie (60 employees), Magazijn en logistiek (27) and Kantoor (24): 111
in all, so the report has a department breakdown. In ``year``: 14 new cases (one with two
categories), one case carried over from the year before and closed in January, conversations
on the day each case opened (the carried-over case also has one in January). The key figures
are in ``KEY_FIGURES``, worked out by hand below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from sqlalchemy.orm import Session

from tests.casework import case_input, department
from vp_registry.config import Settings
from vp_registry.services.cases import conversations as case_conversations
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases.records import Closing, ContactInput
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import activities
from vp_registry.services.reports.activities import ActivityInput
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

PRODUCTIE, MAGAZIJN, KANTOOR = "Productie", "Magazijn en logistiek", "Kantoor"


@dataclass(frozen=True)
class Plan:
    department: str
    categories: tuple[str, ...]
    opened: tuple[int, int]  # (month, day) in the year
    closed: tuple[int, int] | None
    outcome: str | None
    relation: str
    referral: str | None = None


PLANS: Final = (
    Plan(PRODUCTIE, ("pesten",), (1, 13), (3, 20), "advice", "colleague"),
    Plan(PRODUCTIE, ("pesten",), (2, 3), (4, 15), "informal", "colleague"),
    Plan(PRODUCTIE, ("pesten",), (4, 7), None, None, "colleague"),
    Plan(PRODUCTIE, ("pesten", "werkdruk"), (5, 19), (9, 1), "referral", "manager", "hr"),
    Plan(PRODUCTIE, ("werkdruk",), (6, 2), (7, 14), "advice", "colleague"),
    Plan(PRODUCTIE, ("werkdruk",), (8, 25), (11, 3), "mediation", "manager"),
    Plan(PRODUCTIE, ("werkdruk",), (9, 8), None, None, "manager"),
    Plan(MAGAZIJN, ("pesten",), (1, 27), (2, 28), "advice", "colleague"),
    Plan(MAGAZIJN, ("pesten",), (3, 31), (5, 12), "referral", "colleague", "company_doctor"),
    Plan(MAGAZIJN, ("pesten",), (7, 7), (10, 6), "advice", "colleague"),
    Plan(MAGAZIJN, ("seksisme",), (7, 21), (8, 18), "no_follow_up", "colleague"),
    Plan(KANTOOR, ("seksisme",), (3, 3), (6, 1), "advice", "colleague"),
    Plan(KANTOOR, ("seksisme",), (9, 15), None, None, "external"),
    Plan(KANTOOR, ("uitsluiting",), (10, 1), (11, 2), "informal", "colleague"),
)
# opened: the 14 plans; closed: the 11 closed plans + the carried-over case (20 January);
# open on 31 December: the 3 open plans; conversations: one per plan + one of the carried case
KEY_FIGURES: Final = {"carried_over": 1, "opened": 14, "closed": 12, "open_at_end": 3,
                      "conversations": 15}
CATEGORY_COUNTS: Final = {"pesten": 7, "werkdruk": 4, "seksisme": 3, "uitsluiting": 1}
CONVERSATION_MINUTES: Final = 14 * 45 + 30


def departments(db: Session, settings: Settings) -> dict[str, int]:
    return {name: department(db, name, settings, headcount=size).id
            for name, size in ((PRODUCTIE, 60), (MAGAZIJN, 27), (KANTOOR, 24))}


def add_case(db: Session, settings: Settings, actor: Actor, keys: VaultKeys, year: int,
             plan: Plan, dept: int, *, today: date) -> str:
    work = Work(db, settings, actor, keys=keys)
    opened = date(year, *plan.opened)
    record = lifecycle.create_case(work, case_input(
        dept, opened_on=opened, categories=plan.categories, relation=plan.relation),
        today=today)
    case_conversations.add_contact(work, record.reference, ContactInput(
        held_on=opened, minutes=45, channel="in_person", notes="Eerste gesprek."), today=today)
    if plan.closed is not None:
        assert plan.outcome is not None
        lifecycle.close_case(work, record.reference, 1, Closing(
            closed_on=date(year, *plan.closed), outcome=plan.outcome, referral=plan.referral),
            today=today)
    return record.reference


def seed_year(db: Session, settings: Settings, actor: Actor, keys: VaultKeys, year: int, *,
              today: date) -> list[str]:
    """The year's cases (see the module docstring); returns their references."""
    ids = departments(db, settings)
    references = [add_case(db, settings, actor, keys, year, plan, ids[plan.department],
                           today=today) for plan in PLANS]
    work = Work(db, settings, actor, keys=keys)
    carried = lifecycle.create_case(work, case_input(
        ids[PRODUCTIE], opened_on=date(year - 1, 11, 4), categories=("werkdruk",)), today=today)
    case_conversations.add_contact(work, carried.reference, ContactInput(
        held_on=date(year, 1, 15), minutes=30, channel="phone"), today=today)
    lifecycle.close_case(work, carried.reference, 1, Closing(
        closed_on=date(year, 1, 20), outcome="advice"), today=today)
    references.append(carried.reference)
    db.commit()
    return references


ACTIVITIES: Final = (
    ((2, 10), "presentation", Decimal("1.5"), "Voorlichting sociale veiligheid voor ploeg A"),
    ((4, 22), "office_hours", Decimal("2"), "Spreekuur in de kantine"),
    ((9, 30), "management_meeting", Decimal("1"), "Overleg met de directie over de signalen"),
)


def seed_activities(db: Session, settings: Settings, actor: Actor, keys: VaultKeys, year: int,
                    *, today: date) -> None:
    work = Work(db, settings, actor, keys=keys)
    for (month, day), kind, hours, description in ACTIVITIES:
        activities.create_activity(work, ActivityInput(
            held_on=date(year, month, day), activity_type=kind, hours=hours,
            description=description), today=today)
    db.commit()
