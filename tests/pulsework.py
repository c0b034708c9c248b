"""Shared factories of the pulse tests (issue 16): an organisation, a round, responses.

Plain functions, no fixtures (the service, web, browser and benchmark tests all use them).
``Toolbox`` is a small technical company in the toolbox's world: Productie (40 people, with
Lasserij of 6 merged into it), Planning (12), Inkoop (11), Kwaliteit (10) and a Kantine of 4
that lands in "other departments".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from tests.casework import department
from vp_registry.config import Settings
from vp_registry.core.pulse.questions import SAFETY_CODES
from vp_registry.db.pulse import PulseRound
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.pulse import codes, responding, rounds
from vp_registry.services.work import Work

TODAY = date.today()
STATEMENTS = (*SAFETY_CODES, "tb1")


@dataclass(frozen=True)
class Toolbox:
    productie: int
    lasserij: int
    planning: int
    inkoop: int
    kwaliteit: int
    kantine: int

    @property
    def all(self) -> tuple[int, ...]:
        return (self.productie, self.lasserij, self.planning, self.inkoop, self.kwaliteit,
                self.kantine)


def toolbox(db: Session, settings: Settings) -> Toolbox:
    return Toolbox(
        productie=department(db, "Productie", settings, headcount=40).id,
        lasserij=department(db, "Lasserij", settings, headcount=6, parent="Productie").id,
        planning=department(db, "Planning", settings, headcount=12).id,
        inkoop=department(db, "Inkoop", settings, headcount=11).id,
        kwaliteit=department(db, "Kwaliteit", settings, headcount=10).id,
        kantine=department(db, "Kantine", settings, headcount=4).id,
    )


def make_round(work: Work, org: Toolbox, *, with_codes: bool = True, title: str = "Pulse",
               opens_on: date = TODAY, closes_on: date = TODAY + timedelta(days=14),
               custom: tuple[str, ...] = ()) -> PulseRound:
    return rounds.create_round(work, title=title, opens_on=opens_on, closes_on=closes_on,
                               department_ids=org.all, statement_codes=("tb1",),
                               custom_statements=custom, with_codes=with_codes,
                               today=opens_on)


def answers(value: int = 5, **overrides: int) -> dict[str, int]:
    """An answer to every statement of a round made by :func:`make_round` (plus tb1)."""
    values = {code: value for code in STATEMENTS}
    values.update(overrides)
    return values


def group_key(db: Session, round_id: int, label: str) -> str:
    return next(g.key for g in rounds.groups_of(db, round_id) if g.label == label)


def respond(db: Session, settings: Settings, row: PulseRound, group: str,
            values: Mapping[str, int] | None = None, *, code: str | None = None,
            free_text: str | None = None, today: date | None = None) -> None:
    """One anonymous response to ``row`` from ``group`` (a label or a key)."""
    keys = {g.key for g in rounds.groups_of(db, row.id)}
    key = group if group in keys else group_key(db, row.id, group)
    responding.submit_response(db, settings, row.public_token, group_key=key,
                               answers=dict(values or answers()), free_text=free_text,
                               code=code, today=today or row.opens_on)


def respond_many(db: Session, settings: Settings, row: PulseRound,
                 counts: Mapping[str, int], value: int = 5) -> None:
    """``counts[label]`` responses per group; codes issued as needed for a coded round."""
    total = sum(counts.values())
    issued = codes.issue_codes(Work(db, settings, Actor.system()), row.id, total) \
        if row.with_codes and total else []
    spent = iter(issued)
    for label, count in counts.items():
        for _ in range(count):
            respond(db, settings, row, label, answers(value),
                    code=next(spent) if row.with_codes else None)
