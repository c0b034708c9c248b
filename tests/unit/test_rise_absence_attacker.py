"""A rise's absence, against the algorithm-aware attacker (issue 12, session 8).

Under "the absence of a signal is public" (docs/decisions.md) a review without a rise for a
group x category tells a reader that the rise rule does not hold for its last two quarters.
With the old rule (``now >= k``, ``now >= 2 x before``, ``now - before >= 2``) that is a
disjunction the linear ledger could not record, so later decisions did not see it: a review
without a rise and the annual report's exact department figure narrowed a quarter into
``1..k-1`` or above. Since session 8 the rule is one inequality (``now - 2 x before >= k``);
its absence is one linear fact, a review holds a rise slot only when both the rule and its
absence are safe against the ledger, and records the one that holds.
"""

from __future__ import annotations

from datetime import date

import pytest

from vp_registry.core.facts import DepartmentFacts

from .disclosure_attacker import Finding, History, Report, Signals, attack

RISE_P = frozenset({("rise", "p")})
PRODUCTIE_KANTOOR = (DepartmentFacts(1, "Productie", 30), DepartmentFacts(2, "Kantoor", 20))


def no_findings(findings: list[Finding]) -> None:
    assert findings == [], "\n".join(map(str, findings))


@pytest.mark.parametrize("truth", [
    # Productie 2026-Q4, 2027-Q1, 2027-Q2; Kantoor the same quarters
    (4, 4, 0, 4, 3, 2),
    (2, 1, 2, 3, 3, 0),
])
def test_a_reviews_missing_rise_and_the_report_do_not_narrow_a_quarter(
        truth: tuple[int, ...]) -> None:
    """Registry from 2026-Q4; reviews on 1 April and 1 July 2027 offer every rise of p, and
    none is released; the 2027 report shows Productie's p (exact: 4, resp. 3). Before session
    8 the missing July rise said "2027-Q2 < 3, or < 2 x 2027-Q1, or < 2027-Q1 + 2"; with
    Productie's 2027 = 2027-Q1 + 2027-Q2 exact, 2027-Q1 = 0 (then 2027-Q2 would have risen)
    and, for 4, 2027-Q1 = 1 were impossible: the quarter lay in 1..k-1 or above."""
    history = History(PRODUCTIE_KANTOOR, ("p",), ("2026-Q4", "2027-Q1", "2027-Q2"),
                      (Signals(date(2027, 4, 1), RISE_P), Signals(date(2027, 7, 1), RISE_P),
                       Report(2027, date(2028, 1, 15))))
    findings, _ = attack(history, truth, budget=2000)
    no_findings(findings)
