"""The silence of a signal review as a ledger fact, and totals audited for every value they
could have (issue 12, docs/decisions.md "The absence of a signal is public").

Each decision here must be a function of the ledger and the structure only: the tests run it
on data sets that differ only in the counts and expect the same decision.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from vp_registry.core.disclosure import (
    TOTAL,
    CellKey,
    DisclosureRules,
    Figure,
    RuleConstraint,
    audit,
    cell_set,
    clear_cache,
    merge_departments,
    periods_of_year,
    protect_table,
)
from vp_registry.core.disclosure.silences import RiseSlot, Slot, answers
from vp_registry.core.disclosure.tables import MAX_AUDITED_GROUPS
from vp_registry.core.disclosure.totals import every_value_safe
from vp_registry.core.facts import DepartmentFacts
from vp_registry.core.signals import rise_rule

RULES = DisclosureRules(first_quarter="2026-Q1")
YEAR = periods_of_year(2026)
A, B = 1, 2


def _cells(dept: int, quarters: tuple[str, ...] | list[str] = YEAR) -> frozenset[CellKey]:
    return cell_set([dept], ["p"], quarters)


def _slots(quarters: tuple[str, ...] | list[str] = YEAR) -> list[Slot]:
    return [Slot((str(d), "p"), _cells(d, quarters), f"D{d} · p") for d in (A, B)]


def _counts(a: int, b: int, quarter: str = "2026-Q4") -> dict[CellKey, int]:
    return {(A, "p", quarter): a, (B, "p", quarter): b}


def _total(value: int) -> Figure:
    return Figure.exact(_cells(A) | _cells(B), value, "total", organisation_wide=True)


def test_a_review_records_each_held_slots_answer_and_holds_whatever_the_counts() -> None:
    """Empty ledger: both slots held; the answers are ``< 3`` or ``3+`` by the counts, the
    held set is the same for every data set."""
    clear_cache()
    for a, b in [(0, 0), (2, 1), (5, 0), (3, 7)]:
        found = answers(_slots(), _counts(a, b), [], RULES)
        assert found.held == {(str(A), "p"), (str(B), "p")}
        assert [f.interval for f in found.figures] == [
            (0, 2) if a < 3 else (3, None), (0, 2) if b < 3 else (3, None)]


def test_a_slot_whose_silence_would_pin_a_group_is_not_held_whatever_the_counts() -> None:
    """The year's exact total 4 is public: "A below 3" would give B >= 2 and "A at least 3"
    B <= 1 (and the same for B) - so no review of either year, nothing recorded, for every
    data set."""
    ledger = [_total(4)]
    clear_cache()
    for a, b in [(0, 4), (2, 2), (4, 0), (3, 1)]:
        found = answers(_slots(), _counts(a, b), ledger, RULES)
        assert found.held == frozenset() and found.figures == ()


def test_a_slot_whose_window_reaches_before_the_registry_is_not_held() -> None:
    """Registry from 2026-Q1: a window from 2025-Q2 holds publicly empty quarters (the
    auditor refuses them as exactly 0), so its silence says nothing and is not held."""
    window = ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
    clear_cache()
    found = answers(_slots(window), {(A, "p", "2026-Q1"): 1}, [], RULES)
    assert found.held == frozenset()


@pytest.mark.parametrize("total", [3, 4])
def test_two_silences_make_every_exact_total_unsafe(total: int) -> None:
    silences = [Figure.protected(_cells(d), RULES, f"D{d}") for d in (A, B)]
    clear_cache()
    assert not every_value_safe(_total(total).cells, "total", silences, RULES,
                                _counts(2, total - 2))


def test_a_total_next_to_two_candidates_is_safe_for_every_value() -> None:
    """Both groups had a candidate (3+ each): every total from 6 on leaves each group at
    least 3, so the total may be exact."""
    ledger = [Figure.at_least_k(_cells(d), RULES, f"D{d}") for d in (A, B)]
    clear_cache()
    assert every_value_safe(_total(7).cells, "total", ledger, RULES, _counts(3, 4))


def _table(counts: Mapping[CellKey, int], ledger: list[Figure]) -> dict[object, str]:
    departments = [DepartmentFacts(A, "A", 42), DepartmentFacts(B, "B", 18)]
    table = protect_table(counts, merge_departments(departments, RULES), ["p"], YEAR, RULES,
                          ledger, column_totals=True)
    assert table.ok, table.audit.explanation
    return {key: f.display for key, f in table.figures.items()}


def test_the_report_total_next_to_silences_is_withheld_for_every_value() -> None:
    """The leak of the strict xfail in test_registry_start_attacker.py, at the table: both
    groups silent (< 3 each) - the total is 'x' (withheld) whatever it is, 0 or 4."""
    silences = [Figure.protected(_cells(d), RULES, f"D{d} · p · 2026") for d in (A, B)]
    clear_cache()
    for a, b in [(0, 0), (2, 1), (2, 2)]:
        shown = _table(_counts(a, b), silences)
        assert (TOTAL, "p") not in shown
        assert ("1", "p") not in shown and ("2", "p") not in shown


def test_a_band_inside_a_reviews_at_least_k_is_no_changed_figure() -> None:
    """A review recorded '3+' for the slot; the candidate's band 3-4 on the same cells only
    narrows it (the auditor checks what it says); a changed band is still refused."""
    recorded = Figure.at_least_k(_cells(A), RULES, "A")
    band = Figure(_cells(A), 3, 4, "A")
    clear_cache()
    counts = _counts(3, 0)
    assert not [p for p in audit([band], [recorded], counts, RULES).problems
                if p.kind == "changed_figure"]
    assert [p for p in audit([Figure(_cells(A), 5, 9, "A")], [band], _counts(6, 0),
                             RULES).problems if p.kind == "changed_figure"]


def test_a_total_with_more_bounded_groups_than_the_cap_is_withheld_unaudited() -> None:
    """Every group had a candidate on its year ('3+'): every total leaves each group at least
    3, so with four groups it is shown; with five - more than MAX_AUDITED_GROUPS bounded
    groups - it is withheld without the per-value audit (a count of public shapes, so the
    decision stays simulatable)."""
    assert MAX_AUDITED_GROUPS == 4
    clear_cache()
    for n, shown in [(5, False), (4, True)]:
        departments = [DepartmentFacts(d, f"D{d}", 30) for d in range(1, n + 1)]
        counts = {(d, "p", "2026-Q2"): 3 for d in range(1, n + 1)}
        ledger = [Figure.at_least_k(_cells(d), RULES, f"D{d}") for d in range(1, n + 1)]
        table = protect_table(counts, merge_departments(departments, RULES), ["p"], YEAR,
                              RULES, ledger, column_totals=True)
        assert table.ok and ((TOTAL, "p") in table.figures) is shown


# --- rise slots (issue 12, session 8) -------------------------------------------------------

RISE_RULE = rise_rule(3)  # now - 2 x before >= 3


def _rise_slots() -> list[RiseSlot]:
    out = []
    for d in (A, B):
        now, before = _cells(d, ["2026-Q4"]), _cells(d, ["2026-Q3"])
        weights = {"per_now": RISE_RULE.per_now, "per_before": RISE_RULE.per_before,
                   "low": RISE_RULE.low}
        out.append(RiseSlot((str(d), "p"),
                            RuleConstraint.linear_rise(now, before, label=f"D{d}", **weights),
                            RuleConstraint.no_rise(now, before, label=f"D{d}", **weights)))
    return out


def _two_quarters(a: tuple[int, int], b: tuple[int, int]) -> dict[CellKey, int]:
    return {(A, "p", "2026-Q3"): a[0], (A, "p", "2026-Q4"): a[1],
            (B, "p", "2026-Q3"): b[0], (B, "p", "2026-Q4"): b[1]}


def test_the_rise_rule_and_its_absence_are_one_linear_rule_each() -> None:
    """Exactly one of the two holds for every pair of counts, and the rule is core/signals'."""
    rise, absence = _rise_slots()[0].rise, _rise_slots()[0].absence
    for before in range(6):
        for now in range(14):
            counts = _two_quarters((before, now), (0, 0))
            assert rise.holds(counts) is RISE_RULE.fires(now, before)
            assert absence.holds(counts) is not rise.holds(counts)


def test_rise_slots_are_held_whatever_the_counts_and_record_the_rule_that_holds() -> None:
    """Empty ledger, no concentration slot: both rise slots held for every data set; each
    records the rise's rule (3 after 0, 5 after 1) or its absence (4 after 1, 2 after 0)."""
    clear_cache()
    for a, b in [((0, 3), (1, 4)), ((1, 5), (0, 2)), ((0, 0), (2, 7))]:
        found = answers([], _two_quarters(a, b), [], RULES, rise_slots=_rise_slots())
        assert found.rises == {(str(A), "p"), (str(B), "p")} and found.figures == ()
        assert [r.label.split(":")[0] for r in found.constraints] == [
            "rise" if RISE_RULE.fires(n, p) else "no rise" for p, n in (a, b)]


def test_a_rise_slot_whose_absence_would_pin_a_quarter_is_not_held() -> None:
    """A's 2026-Q3 + 2026-Q4 is public and exact (4): "no rise" would give 2026-Q3 >= 1
    (0 and 4 would have risen) - so the slot is not held, for every data set."""
    ledger = [Figure.exact(_cells(A, ["2026-Q3", "2026-Q4"]), 4, "A, two quarters")]
    clear_cache()
    for a in [(0, 4), (1, 3), (2, 2), (4, 0)]:
        found = answers([], _two_quarters(a, (0, 0)), ledger, RULES, rise_slots=_rise_slots())
        assert (str(A), "p") not in found.rises
        assert (str(B), "p") in found.rises


def test_rise_slots_are_held_next_to_the_concentration_slots_answers() -> None:
    """With ``now - 2 x before >= k + 1`` both rise answers are safe next to the review's
    '3+' (and '< 3') over the year, so both rise slots are held whatever the counts; with
    ``>= k`` "no rise" next to '3+' would say the year's first three quarters hold a case."""
    clear_cache()
    for a, b in [((0, 3), (0, 1)), ((1, 2), (0, 0)), ((0, 4), (2, 2))]:
        counts = _two_quarters(a, b)
        found = answers(_slots(), counts, [], RULES, rise_slots=_rise_slots())
        assert [f.interval for f in found.figures] == [
            (3, None) if sum(x) >= 3 else (0, 2) for x in (a, b)]
        assert found.rises == {(str(A), "p"), (str(B), "p")}
    weak = RuleConstraint.no_rise(_cells(A, ["2026-Q4"]), _cells(A, ["2026-Q3"]),
                                  per_now=1, per_before=2, low=3, label="k")
    three = Figure.at_least_k(_cells(A), RULES, "A · p · 2026")
    result = audit([three], [], _two_quarters((0, 3), (0, 0)), RULES, constraints=[weak])
    assert any(p.kind == "disclosure" for p in result.problems)
