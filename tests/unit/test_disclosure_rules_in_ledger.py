"""Published rules as constraints the auditor sees (issue 12, item 4 of the issue).

A rise means ``now >= 2 x before`` and ``now - before >= 2``. Before, the ledger recorded only
the two bands, so the auditor let through what the rule gives away.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vp_registry.core.disclosure import (
    DisclosureRules,
    Figure,
    RuleConstraint,
    audit,
    cell_set,
    clear_cache,
)

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


# --------------------------------------------------------------------------------------------
# Speed shortcuts never change the verdict
# --------------------------------------------------------------------------------------------


def _verdict(result: object) -> tuple[object, ...]:
    ok = result.ok
    problems = result.problems
    return ok, tuple(sorted((p.kind, tuple(sorted(p.cells)), p.low, p.high) for p in problems))


_VALUES = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=4, max_size=4)
_SHAPES = st.lists(st.tuples(st.sampled_from(["D1", "D2", "G", "Q3", "Q4", "ALL"]),
                             st.booleans()), min_size=1, max_size=4)


def _example(
    values: list[tuple[int, int]], shapes: list[tuple[str, bool]], rise: bool,
) -> tuple[list[Figure], dict[tuple[int, str, str], int], tuple[RuleConstraint, ...]]:
    """Figures over four departments and two quarters (and a rise's rule)."""
    truth = {(d, "p", q): values[d - 1][i] for d in (1, 2) for i, q in enumerate((Q3, Q4))}
    truth |= {(d + 2, "p", q): values[d + 1][i] for d in (1, 2) for i, q in enumerate((Q3, Q4))}
    depts = {"D1": [1], "D2": [2], "G": [1, 2], "Q3": [1, 2, 3], "Q4": [1, 2, 3],
             "ALL": [1, 2, 3, 4]}
    figures = []
    for shape, banded in shapes:
        quarters = [Q3] if shape == "Q3" else [Q4] if shape == "Q4" else [Q3, Q4]
        cells = cell_set(depts[shape], ["p"], quarters)
        value = sum(truth.get(c, 0) for c in cells)
        figures.append(Figure.band(cells, value, RULES, shape) if banded
                       else Figure.exact(cells, value, shape))
    constraints: tuple[RuleConstraint, ...] = ()
    if rise:
        now, before = _rise()
        constraints = RuleConstraint.rise(now, before)
    return figures, truth, constraints


@settings(max_examples=20, deadline=None)
@given(_VALUES, _SHAPES, st.booleans())
def test_moving_cases_between_interchangeable_atoms_changes_no_verdict(
    values: list[tuple[int, int]], shapes: list[tuple[str, bool]], rise: bool,
) -> None:
    from vp_registry.core.disclosure import checking

    figures, truth, constraints = _example(values, shapes, rise)
    verdicts = []
    for fast in (True, False):  # moved cases and spread tables (speed only) on / off
        clear_cache()
        checking._SWAP_WITNESSES = checking._SPREAD_WITNESSES = fast
        try:
            result = audit(figures, [], truth, RULES, constraints=constraints)
            verdicts.append((_verdict(result), [p.explanation for p in result.problems]))
        finally:
            checking._SWAP_WITNESSES = checking._SPREAD_WITNESSES = True
    assert verdicts[0] == verdicts[1]


@settings(max_examples=25, deadline=None)
@given(_VALUES, _SHAPES, st.booleans(), st.sampled_from([None, "2026-Q4"]))
def test_solving_the_witness_lps_through_highs_directly_changes_no_verdict_or_explanation(
    values: list[tuple[int, int]], shapes: list[tuple[str, bool]], rise: bool,
    start: str | None,
) -> None:
    """highs.DIRECT (speed only): the witness and decision LPs go to HiGHS without SciPy's
    linprog; the verdict and every explanation (bounds and the figures named) stay those of
    the plain path. A registry start in 2026-Q4 adds rules with negative coefficients."""
    from vp_registry.core.disclosure import highs

    figures, truth, constraints = _example(values, shapes, rise)
    rules = DisclosureRules(first_quarter=start)
    if start is not None:
        truth = {key: (0 if key[2] == Q3 else value) for key, value in truth.items()}
        figures, _, _ = _example([(0, b) for _, b in values], shapes, rise)
    verdicts = []
    for direct in (True, False):
        clear_cache()
        highs.DIRECT = direct
        try:
            result = audit(figures, [], truth, rules, constraints=constraints)
            verdicts.append((_verdict(result), [p.explanation for p in result.problems]))
        finally:
            highs.DIRECT = True
    assert verdicts[0] == verdicts[1]


def test_atoms_before_the_registrys_first_quarter_are_known_to_be_empty() -> None:
    """Two concentration windows of one group, 2025-Q4..2026-Q3 and 2026-Q1..2026-Q4, both
    '3-4'. With cases possible in 2025-Q4 their difference says little; with the registry
    started in 2026-Q3 (public: ``first_quarter``) the first window is 2026-Q3 alone and
    2026-Q4 = second - first is 0 or 1: refused."""
    q = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    first = Figure(cell_set([1], ["p"], q[:4]), 3, 4, "window 1")
    second = Figure(cell_set([1], ["p"], q[1:]), 3, 4, "window 2")
    truth = {(1, "p", "2026-Q3"): 4}
    assert audit([second], [first], truth, RULES).ok
    started = DisclosureRules(first_quarter="2026-Q3")
    assert not audit([second], [first], truth, started).ok
    with pytest.raises(ValueError, match="quarter"):
        DisclosureRules(first_quarter="2026")
    # a case counted before the registry's first quarter contradicts the public setting
    early_truth = {(1, "p", "2026-Q1"): 1, (1, "p", "2026-Q3"): 3}
    assert not any(p.kind == "incorrect_figure"
                   for p in audit([second], [first], early_truth, RULES).problems)
    early = audit([second], [first], early_truth, started)
    assert any(p.kind == "incorrect_figure" for p in early.problems)

