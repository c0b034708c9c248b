"""REGISTRY_START and the absence of a signal, against the algorithm-aware attacker (issue 12).

The harness (tests/unit/disclosure_attacker.py) offers every candidate that exists at a
signal review, so "no signal for this group" is public: the group's count over the window is
below k (unless every band it could have had is refused, which a reader can compute too).
docs/decisions.md, "Absence of a signal is public (issue 12)", takes that as the conservative
assumption and says what it costs.
"""

from __future__ import annotations

from datetime import date

import pytest

from vp_registry.core.disclosure import DisclosureRules
from vp_registry.core.facts import DepartmentFacts

from .disclosure_attacker import Finding, History, Report, Signals, attack

YEAR_2026 = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
REPORT_2026 = Report(2026, date(2027, 1, 15))
# the review on 1 January: the concentration window is the calendar year 2026
REVIEW_2027 = Signals(date(2027, 1, 1), frozenset({("concentration", "p"), ("rise", "p")}))


def departments(*headcounts: int) -> tuple[DepartmentFacts, ...]:
    return tuple(DepartmentFacts(i + 1, f"Afdeling {i + 1}", n) for i, n in enumerate(headcounts))


def no_findings(findings: list[Finding]) -> None:
    assert findings == [], "\n".join(map(str, findings))


def test_signals_reaching_before_a_mid_year_registry_start_say_nothing() -> None:
    """Registry from 2026-Q4 (public), 42 and 8 employees (two groups), 2 + 1 cases of p in
    2026-Q4. Every signal whose window reaches before the registry's first quarter is refused
    whatever its band (the auditor refuses the units wholly before the start as 'exactly 0'),
    so the review's silence says nothing, and the 2026 report is a safety stop. When those
    units were simply not checked (a033276, reverted in 640eb60), the silence said 'each group
    below 3' and the report's exact p total 3 pinned both groups to [1, 2]."""
    history = History(departments(42, 8), ("p", "s"), ("2026-Q4",), (REVIEW_2027, REPORT_2026))
    findings, _ = attack(history, (2, 0, 1, 0))
    no_findings(findings)


@pytest.mark.xfail(strict=True, reason=(
    "known leak if the absence of a signal is public (docs/decisions.md, 'The absence of a "
    "signal is public'): a silent review whose window is the year plus the report's exact "
    "column total T > (n-1)(k-1) pins every group; not fixed - the safe rules cost the "
    "category totals (see there)"))
def test_a_silent_review_and_an_exact_column_total_do_not_pin_the_groups() -> None:
    """The same leak without any REGISTRY_START question: the registry started on 1 January
    2026, the review of 1 January 2027 releases nothing (each group below 3 over 2026), the
    2026 report shows the exact p total 3 (department cells withheld: 3 < k * n - 1 = 5), so
    both groups hold 1 or 2 cases."""
    history = History(departments(42, 8), ("p",), YEAR_2026, (REVIEW_2027, REPORT_2026),
                      DisclosureRules(first_quarter="2026-Q1"))
    findings, _ = attack(history, (0, 0, 0, 2, 0, 0, 0, 1),
                         only=lambda name: name.endswith("· 2026"))
    no_findings(findings)
