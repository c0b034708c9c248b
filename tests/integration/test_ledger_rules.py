"""The ledger keeps the published rules next to the figures (issue 12): a released rise's
inequalities (now >= 2 x before, now - before >= 2) are stored with its release and every later
check includes them, so the auditor knows what a reader knows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core.disclosure import Figure, RuleConstraint, cell_set
from vp_registry.db.accounts import User
from vp_registry.db.disclosure import DisclosureConstraint
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.signals import ledger
from vp_registry.services.work import Work

Q3, Q4 = "2026-Q3", "2026-Q4"


@pytest.fixture
def actor(create_user: Callable[..., User]) -> Actor:
    return Actor(create_user("counsellor").id, "counsellor")


def test_a_released_rise_keeps_its_rule_for_every_later_check(
    db: Session, settings: Settings, actor: Actor
) -> None:
    now = Figure(cell_set([1, 2], ["p"], [Q4]), 5, 9, "G · p · 2026-Q4")
    before = Figure(cell_set([1, 2], ["p"], [Q3]), 3, 4, "G · p · 2026-Q3")
    truth = {(1, "p", Q4): 2, (2, "p", Q4): 5, (1, "p", Q3): 3}
    rules = RuleConstraint.rise(now, before)
    ledger.release(Work(db, settings, actor),
                   kind="signal", reference="rise", figures=[now, before],
                   true_counts=truth, constraints=rules)
    assert db.execute(select(func.count()).select_from(DisclosureConstraint)).scalar_one() == 2
    assert sorted(ledger.load_constraints(db), key=lambda r: r.low) == sorted(
        rules, key=lambda r: r.low)
    # department 2's exact 5: alone harmless (department 1 could hold 0..4 of 5-9), but with
    # the rule (now >= 2 x 3) department 1 holds at least 1
    later = [Figure.exact(cell_set([2], ["p"], [Q4]), 5, "D2 · p · 2026-Q4")]
    result = ledger.check(Work(db, settings, actor), later, truth)
    assert not result.ok
    assert any(p.kind == "disclosure" and p.low == 1 for p in result.problems)
