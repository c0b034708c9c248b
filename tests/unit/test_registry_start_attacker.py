"""REGISTRY_START and the absence of a signal, against the algorithm-aware attacker (issue 12).

The harness (tests/unit/disclosure_attacker.py) offers every candidate that exists at a
signal review, so "no signal for this group" is public: the group's count over the window is
below k (unless every band it could have had is refused, which a reader can compute too).
docs/decisions.md, "Absence of a signal is public (issue 12)", takes that as the conservative
assumption and says what it costs.
"""

from __future__ import annotations

import os
from datetime import date

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

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


def test_a_silent_review_and_an_exact_column_total_do_not_pin_the_groups() -> None:
    """The same leak without any REGISTRY_START question: the registry started on 1 January
    2026, the review of 1 January 2027 releases nothing (each group below 3 over 2026). The
    2026 report showed the exact p total 3 (department cells withheld: 3 < k * n - 1 = 5), so
    both groups held 1 or 2 cases (a strict xfail until session 6). Now the review's answers
    are in the ledger ('< 3' twice) and the report audits its total for every value it could
    have (0..4): 3 and 4 would pin both groups, so the total is 'x' - for every data set with
    two silences, hence it says nothing."""
    history = History(departments(42, 8), ("p",), YEAR_2026, (REVIEW_2027, REPORT_2026),
                      DisclosureRules(first_quarter="2026-Q1"))
    findings, _ = attack(history, (0, 0, 0, 2, 0, 0, 0, 1),
                         only=lambda name: name.endswith("· 2026"))
    no_findings(findings)


def test_a_review_after_the_report_does_not_pin_its_groups() -> None:
    """The review of 1 April 2027 (window 2026-Q2 .. 2027-Q1) comes after the 2026 report; its
    slots are held only when '< 3' and '3+' on that window are both safe against the ledger
    (the report and the 1 January review included), so its silence adds nothing a reader
    could combine with the report."""
    review_april = Signals(date(2027, 4, 1), frozenset({("concentration", "p")}))
    history = History(departments(42, 8), ("p",), (*YEAR_2026, "2027-Q1"),
                      (REVIEW_2027, REPORT_2026, review_april),
                      DisclosureRules(first_quarter="2026-Q1"))
    #        D1: 2026-Q1..Q4, 2027-Q1; D2: the same
    truth = (0, 1, 0, 1, 0, 0, 0, 0, 1, 1)
    findings, _ = attack(history, truth, only=lambda name: name.endswith("· 2026"))
    no_findings(findings)


def test_a_released_band_next_to_a_silence_does_not_pin_the_silent_group() -> None:
    """Two groups: D1 had 3 p cases in 2026 (a candidate, released as '3-4'), D2 one (silent).
    The exact total 4 would give D2 = 4 - D1 in 0..1 (never 2): the report audits every value
    the total could have (3..6; 3 gives D2 = 0) and withholds it for every such data set."""
    history = History(departments(42, 30), ("p",), YEAR_2026, (REVIEW_2027, REPORT_2026),
                      DisclosureRules(first_quarter="2026-Q1"))
    findings, _ = attack(history, (0, 1, 1, 1, 0, 0, 1, 0),
                         only=lambda name: name.endswith("· 2026"))
    no_findings(findings)


YEAR_EXAMPLES = int(os.environ.get("DISCLOSURE_ATTACKER_EXAMPLES", "4"))


@st.composite
def year_worlds(draw: st.DrawFn) -> tuple[History, tuple[int, ...]]:
    """Registry from 1 January 2026, cases over the whole year, the review of 1 January 2027
    (window = 2026) and the 2026 report; 2-3 groups x 1-2 categories (at most 4 slots)."""
    n_depts = draw(st.integers(2, 3))
    sizes = draw(st.lists(st.sampled_from([8, 12, 30]), min_size=n_depts, max_size=n_depts))
    if sum(sizes) < 50:
        sizes[0] += 50 - sum(sizes)
    cats = ("p", "s")[: draw(st.integers(1, 2 if n_depts == 2 else 1))]
    offer = frozenset((kind, c) for kind in ("concentration", "rise") for c in cats)
    history = History(departments(*sizes), cats, YEAR_2026,
                      (Signals(date(2027, 1, 1), offer), REPORT_2026),
                      DisclosureRules(first_quarter="2026-Q1"))
    truth = tuple(draw(st.sampled_from([0, 0, 0, 1, 1, 2])) for _ in history.variables)
    return history, truth


@settings(max_examples=YEAR_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(year_worlds())
def test_no_world_starting_a_year_before_its_review_lets_a_reader_narrow_a_year(
    scenario: tuple[History, tuple[int, ...]],
) -> None:
    """The property for worlds whose registry starts a year before the review (the shape of
    the silence-plus-total leak): no group's year is narrowed (exhausted searches only, as in
    test_disclosure_attacker.py's property; quarters need budgets the suite cannot afford)."""
    history, truth = scenario
    note(f"{history}\ntruth {truth}")
    findings, _ = attack(history, truth, budget=150, only=lambda name: name.endswith("· 2026"))
    no_findings([f for f in findings if f.exhausted])
