"""Published rules as constraints the auditor sees (issue 12, item 4 of the issue).

A rise means ``now >= 2 x before`` and ``now - before >= 2``. Before, the ledger recorded only
the two bands, so the auditor let through what the rule gives away.
"""

from __future__ import annotations

from vp_registry.core.disclosure import DisclosureRules, Figure, RuleConstraint, audit, cell_set

RULES = DisclosureRules()
Q3, Q4 = "2026-Q3", "2026-Q4"
GROUP = [1, 2]


def _rise() -> tuple[Figure, Figure]:
    now = Figure(cell_set(GROUP, ["p"], [Q4]), 5, 9, "G · p · 2026-Q4")
    before = Figure(cell_set(GROUP, ["p"], [Q3]), 3, 4, "G · p · 2026-Q3")
    return now, before


def test_the_rise_rule_narrows_what_the_bands_alone_do_not() -> None:
    # department 2 had exactly 5 in the last quarter (an earlier table): from the bands alone
    # department 1 holds 0..4 of the group's 5-9; with the rule (now >= 2 x 3) at least 1
    ledger = [Figure.exact(cell_set([2], ["p"], [Q4]), 5, "D2 · p · 2026-Q4")]
    now, before = _rise()
    truth = {(1, "p", Q4): 2, (2, "p", Q4): 5, (1, "p", Q3): 3}
    assert audit([now, before], ledger, truth, RULES).ok
    rules = RuleConstraint.rise(now, before)
    assert all(rule.holds(truth) for rule in rules)
    result = audit([now, before], ledger, truth, RULES, constraints=rules)
    assert not result.ok
    assert any(p.kind == "disclosure" and p.low == 1 for p in result.problems), result.problems


def test_a_rise_without_more_information_stays_releasable() -> None:
    now, before = _rise()
    truth = {(1, "p", Q4): 7, (1, "p", Q3): 3}
    rules = RuleConstraint.rise(now, before)
    assert all(rule.holds(truth) for rule in rules)
    assert audit([now, before], [], truth, RULES, constraints=rules).ok
