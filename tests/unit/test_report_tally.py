"""``core.report.tally.count_year`` (made faster in issue 15) counts exactly as the plain
per-case count before it (``tests/report_reference.py``): the same tallies - the department
atoms and category totals with their keys in the same order (the auditor receives the atoms
as they come) -, and the same errors."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta
from typing import Any

import pytest

from tests import report_reference
from vp_registry.core.facts import CaseFacts, ContactFacts
from vp_registry.core.report import tally
from vp_registry.core.taxonomy import Channel, EmploymentType, Gender, Outcome, Referral, Relation

YEAR = 2025
CATEGORIES = ("pesten", "seksisme", "uitsluiting", "agressie", "werkdruk")


def _case(rng: random.Random, case_id: int) -> CaseFacts:
    opened = date(YEAR - 1, 1, 1) + timedelta(days=rng.randrange(3 * 365))
    closed = opened + timedelta(days=rng.randrange(400)) if rng.random() < 0.7 else None
    outcome = rng.choice(list(Outcome)).value if closed else None
    return CaseFacts(
        case_id=case_id, opened_on=opened, closed_on=closed,
        department_id=rng.randrange(1, 8),
        categories=tuple(rng.choice(CATEGORIES) for _ in range(rng.choice((1, 1, 2, 3)))),
        relation=rng.choice([None, *(r.value for r in Relation)]),
        outcome=outcome,
        referral=rng.choice([None, *(r.value for r in Referral)])
        if outcome == Outcome.REFERRAL.value else None,
        gender=rng.choice([None, *(g.value for g in Gender)]),
        employment_type=rng.choice([None, *(e.value for e in EmploymentType)]),
        minutes_spent=rng.randrange(200),
        contacts=tuple(ContactFacts(opened + timedelta(days=rng.randrange(500)),
                                    rng.choice((15, 30, 45)), rng.choice(list(Channel)).value)
                       for _ in range(rng.randrange(4))),
    )


def _ordered(t: tally.Tally) -> dict[str, Any]:
    """Every tally (zeros included), the atoms and category totals in insertion order."""
    return {"atoms": list(t.atoms.items()), "org": dict(t.org),
            "dimension": {name: dict(c) for name, c in t.dimension.items()},
            "key": dict(t.key), "category_totals": list(t.category_totals.items()),
            "case_departments": sorted(t.case_departments)}


@pytest.mark.parametrize("seed", range(25))
def test_count_year_counts_as_the_plain_count(seed: int) -> None:
    rng = random.Random(seed)
    cases = [_case(rng, number) for number in range(rng.choice((0, 1, 5, 40, 400)))]
    assert _ordered(tally.count_year(YEAR, cases)) == \
        _ordered(report_reference.count_year(YEAR, cases))
    assert tally.report_true_counts(YEAR, cases) == {
        **{a: v for a, v in report_reference.count_year(YEAR, cases).atoms.items() if v},
        **{a: v for a, v in report_reference.count_year(YEAR, cases).org.items() if v}}


BAD = {
    "closed before opened": {"closed_on": date(YEAR, 1, 1)},
    "no category": {"categories": ()},
    "unknown relation": {"relation": "neighbour"},
    "unknown gender": {"gender": "alien"},
    "unknown employment": {"employment_type": "volunteer"},
    "unknown channel": {"contacts": (ContactFacts(date(YEAR, 3, 1), 10, "pigeon"),)},
    "unknown outcome": {"closed_on": date(YEAR, 6, 1), "outcome": "vanished"},
    "unknown referral": {"closed_on": date(YEAR, 6, 1), "outcome": "referral",
                         "referral": "oracle"},
}


@pytest.mark.parametrize("change", BAD.values(), ids=BAD.keys())
def test_count_year_refuses_what_the_plain_count_refuses(change: dict[str, Any]) -> None:
    case = CaseFacts(case_id=7, opened_on=date(YEAR, 2, 1), closed_on=None, department_id=1,
                     categories=("pesten",), relation="colleague")
    bad = CaseFacts(**{**case.__dict__, **change})
    with pytest.raises(ValueError) as expected:
        report_reference.count_year(YEAR, [case, bad])
    with pytest.raises(ValueError) as found:
        tally.count_year(YEAR, [case, bad])
    assert str(found.value) == str(expected.value)


def test_lines_without_minutes_are_counted_as_zero_minutes() -> None:
    """A quarter with closings or conversations of 0 minutes has its minutes line at 0."""
    rng = random.Random(7)
    cases = [dataclasses.replace(
        case, minutes_spent=0,
        contacts=tuple(dataclasses.replace(c, minutes=0) for c in case.contacts))
        for case in (_case(rng, number) for number in range(60))]
    found = tally.count_year(YEAR, cases)
    assert _ordered(found) == _ordered(report_reference.count_year(YEAR, cases))
    assert found.key["other_case_minutes"] == 0 and "other_case_minutes" in found.key
    assert found.key["conversation_minutes"] == 0 and "conversation_minutes" in found.key
