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
    audit,
    cell_set,
    clear_cache,
    merge_departments,
    periods_of_year,
    protect_table,
)
from vp_registry.core.disclosure.silences import Slot, answers
from vp_registry.core.disclosure.tables import MAX_AUDITED_GROUPS
from vp_registry.core.disclosure.totals import every_value_safe
from vp_registry.core.facts import DepartmentFacts

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
