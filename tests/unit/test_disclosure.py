"""Disclosure control (vp_registry.core.disclosure, DESIGN section 4) on hand-computed tables.

Conventions: departments 1 Magazijn, 2 Kantoor, 3 Productie (30 employees each, so the
organisation has 90 and every department is shown on its own); k = 3 unless said otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pytest

from vp_registry.core.disclosure import (
    OTHER_DEPARTMENTS,
    TOTAL,
    CellKey,
    DepartmentGroup,
    DepartmentGrouping,
    DisclosureRules,
    Figure,
    Naming,
    audit,
    cell_set,
    clear_cache,
    is_complete,
    merge_departments,
    period_label,
    periods_of_year,
    protect_table,
    quarter_of,
    trailing_quarters,
    unit_families,
)
from vp_registry.core.facts import DepartmentFacts

RULES = DisclosureRules()
YEAR = periods_of_year(2026)
Q1, Q2, Q3, Q4 = YEAR
MAGAZIJN, KANTOOR, PRODUCTIE = 1, 2, 3
DEPARTMENTS = [
    DepartmentFacts(MAGAZIJN, "Magazijn", 30),
    DepartmentFacts(KANTOOR, "Kantoor", 30),
    DepartmentFacts(PRODUCTIE, "Productie", 30),
]
GROUPING = merge_departments(DEPARTMENTS, RULES)
NAMES = Naming.from_grouping(GROUPING)


def cells(depts: Iterable[int], cats: Iterable[str], quarters: Iterable[str]) -> frozenset[CellKey]:
    return cell_set(depts, cats, quarters)


def year_counts(table: dict[tuple[int, str], int], quarter: str = Q1) -> dict[CellKey, int]:
    """Put a whole year's count of (department, category) into one quarter."""
    return {(d, c, quarter): n for (d, c), n in table.items() if n}


def refused_for(result_problems: list[str], label: str) -> bool:
    return any(label in text for text in result_problems)


# --------------------------------------------------------------------------------------------
# Rules, bands, figures
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 11, 100])
def test_k_outside_3_to_10_is_refused(k: int) -> None:
    with pytest.raises(ValueError, match="from 3 to 10"):
        DisclosureRules(k=k, band_edges=(k, k + 5))


@pytest.mark.parametrize("k", [3, 5, 10])
def test_k_inside_3_to_10_is_accepted(k: int) -> None:
    assert DisclosureRules(k=k, band_edges=(k,)).k == k


def test_k_must_be_a_whole_number() -> None:
    with pytest.raises(ValueError):
        DisclosureRules(k=True, band_edges=(1,))


@pytest.mark.parametrize("edges", [(2, 5, 10), (4, 5, 10), (3, 3, 10), (3, 10, 5), ()])
def test_band_edges_must_start_at_k_and_increase(edges: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        DisclosureRules(k=3, band_edges=edges)


@pytest.mark.parametrize(
    ("count", "label", "interval"),
    [
        (0, "< 3", (0, 2)),
        (1, "< 3", (0, 2)),
        (2, "< 3", (0, 2)),
        (3, "3-4", (3, 4)),
        (4, "3-4", (3, 4)),
        (5, "5-9", (5, 9)),
        (9, "5-9", (5, 9)),
        (10, "10+", (10, None)),
        (250, "10+", (10, None)),
    ],
)
def test_band_labels_for_k3(count: int, label: str, interval: tuple[int, int | None]) -> None:
    assert RULES.band_label(count) == label
    assert RULES.band_interval(count) == interval


@pytest.mark.parametrize(
    ("count", "label"),
    [(0, "< 5"), (4, "< 5"), (5, "5-9"), (9, "5-9"), (10, "10-19"), (19, "10-19"), (20, "20+")],
)
def test_band_labels_for_k5(count: int, label: str) -> None:
    rules = DisclosureRules(k=5, band_edges=(5, 10, 20))
    assert rules.band_label(count) == label


def test_figure_constructors_and_display() -> None:
    c = cells([MAGAZIJN], ["pesten"], YEAR)
    assert Figure.exact(c, 7, "x").display == "7"
    assert Figure.band(c, 7, RULES, "x").display == "5-9"
    assert Figure.band(c, 12, RULES, "x").interval == (10, None)
    assert Figure.protected(c, RULES, "x").display == "< 3"
    assert Figure.protected(c, RULES, "x").interval == (0, 2)
    assert Figure.at_least_k(c, RULES, "x").display == "3+"
    with pytest.raises(ValueError):
        Figure(frozenset(), 0, 0, "empty")
    with pytest.raises(ValueError):
        Figure(c, 5, 4, "inverted")


def test_zero_looks_exactly_like_one_or_two() -> None:
    c = cells([MAGAZIJN], ["pesten"], YEAR)
    shown = {Figure.band(c, n, RULES, "Magazijn · pesten · 2026") for n in (0, 1, 2)}
    assert len(shown) == 1
    assert shown.pop() == Figure.protected(c, RULES, "Magazijn · pesten · 2026")

    counts = year_counts({(KANTOOR, "pesten"): 2, (PRODUCTIE, "pesten"): 1})  # Magazijn has 0
    table = protect_table(counts, GROUPING, ["pesten"], YEAR, RULES)
    assert table.ok
    zero, two, one = (table.figures[(str(d), "pesten")] for d in (MAGAZIJN, KANTOOR, PRODUCTIE))
    assert (zero.interval, zero.display) == (two.interval, two.display) == (one.interval, "< 3")
    assert table.primary == {(str(d), "pesten") for d in (MAGAZIJN, KANTOOR, PRODUCTIE)}


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


def test_periods() -> None:
    assert quarter_of(date(2026, 1, 1)) == "2026-Q1"
    assert quarter_of(date(2026, 6, 30)) == "2026-Q2"
    assert quarter_of(date(2026, 12, 31)) == "2026-Q4"
    assert periods_of_year(2026) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert trailing_quarters("2026-Q1", 4) == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
    assert period_label(YEAR) == "2026"
    assert period_label([Q2]) == "2026-Q2"
    assert period_label(trailing_quarters("2026-Q1", 4)) == "2025-Q2 - 2026-Q1"
    assert period_label([*periods_of_year(2025), *YEAR]) == "2025-2026"
    assert period_label([Q1, Q3]) == "2026-Q1, 2026-Q3"
    assert is_complete([Q1], date(2026, 4, 1))
    assert not is_complete([Q1, Q2], date(2026, 6, 30))
    with pytest.raises(ValueError, match="YYYY-Qn"):
        trailing_quarters("2026-5", 2)


# --------------------------------------------------------------------------------------------
# Department merging
# --------------------------------------------------------------------------------------------


def test_small_department_merges_into_parent_recursively_and_roots_into_other() -> None:
    departments = [
        DepartmentFacts(1, "Logistiek", 40),
        DepartmentFacts(2, "Magazijn", 6, parent_id=1),  # small -> Logistiek
        DepartmentFacts(5, "Expeditie", 4, parent_id=1),  # small, and with its child still 7
        DepartmentFacts(4, "Nachtploeg", 3, parent_id=5),  # -> Expeditie -> Logistiek
        DepartmentFacts(3, "Kantoor", 30),
        DepartmentFacts(8, "ICT", 3),  # small parent ...
        DepartmentFacts(9, "Servicedesk", 20, parent_id=8),  # ... of a big child: own group
        DepartmentFacts(6, "Receptie", 5),  # small root -> other departments
        DepartmentFacts(7, "Oude afdeling", 25, active=False),  # inactive: size 0 -> other
    ]
    grouping = merge_departments(departments, RULES)
    assert grouping.breakdown_allowed
    assert grouping.groups["1"].department_ids == {1, 2, 4, 5}
    assert grouping.groups["1"].headcount == 53
    assert grouping.groups["1"].label == "Logistiek"
    assert grouping.groups["3"].department_ids == {3}
    assert grouping.groups["9"].department_ids == {9}
    other = grouping.groups[OTHER_DEPARTMENTS]
    assert other.department_ids == {6, 7, 8}
    assert other.headcount == 8
    assert other.undersized  # protected as a whole like any cell, still counted in totals
    assert grouping.group_of(4) == "1"
    assert grouping.group_of(7) == OTHER_DEPARTMENTS
    assert set(grouping.groups) == {"1", "3", "9", OTHER_DEPARTMENTS}


def test_no_department_breakdown_under_50_employees() -> None:
    departments = [DepartmentFacts(1, "A", 20), DepartmentFacts(2, "B", 29),
                   DepartmentFacts(3, "C", 30, active=False)]
    grouping = merge_departments(departments, RULES)
    assert not grouping.breakdown_allowed
    assert len(grouping.groups) == 1
    assert grouping.group_of(3) == grouping.group_of(1)

    counts = {(1, "pesten", Q1): 1, (2, "pesten", Q2): 4, (2, "werkdruk", Q3): 6}
    table = protect_table(counts, grouping, ["pesten", "werkdruk"], YEAR, RULES,
                          column_totals=True)
    assert table.ok
    # only organisation-wide totals per category and year, exact
    assert set(table.figures) == {(TOTAL, "pesten"), (TOTAL, "werkdruk")}
    assert table.figures[(TOTAL, "pesten")].display == "5"
    assert all(f.organisation_wide for f in table.figures.values())


def test_department_tree_with_a_cycle_is_refused() -> None:
    departments = [DepartmentFacts(1, "A", 40, parent_id=2), DepartmentFacts(2, "B", 40, 1)]
    with pytest.raises(ValueError, match="cycle"):
        merge_departments(departments, RULES)


# --------------------------------------------------------------------------------------------
# Classic attacks: refused by audit, fixed by protect_table
# --------------------------------------------------------------------------------------------


def test_row_total_minus_visible_cells() -> None:
    counts = year_counts({(MAGAZIJN, "pesten"): 1, (MAGAZIJN, "werkdruk"): 4})
    label = "Magazijn · pesten · 2026"
    naive = [
        Figure.protected(cells([MAGAZIJN], ["pesten"], YEAR), RULES, label),
        Figure.exact(cells([MAGAZIJN], ["werkdruk"], YEAR), 4, "Magazijn · werkdruk · 2026"),
        Figure.exact(cells([MAGAZIJN], ["pesten", "werkdruk"], YEAR), 5, "Magazijn · total"),
    ]
    result = audit(naive, [], counts, RULES)
    assert not result.ok
    problem = next(p for p in result.problems if p.label == label)
    assert (problem.kind, problem.low, problem.high) == ("disclosure", 1, 1)
    assert problem.explanation.startswith(
        f"Releasing this would let a reader work out that '{label}' holds exactly 1 case"
    )
    assert "'Magazijn · total' (5)" in problem.explanation


def test_column_total_minus_visible_cells() -> None:
    counts = year_counts(
        {(MAGAZIJN, "pesten"): 1, (KANTOOR, "pesten"): 5, (PRODUCTIE, "pesten"): 6}
    )
    naive = [
        Figure.protected(cells([MAGAZIJN], ["pesten"], YEAR), RULES, "Magazijn · pesten · 2026"),
        Figure.exact(cells([KANTOOR], ["pesten"], YEAR), 5, "Kantoor · pesten · 2026"),
        Figure.exact(cells([PRODUCTIE], ["pesten"], YEAR), 6, "Productie · pesten · 2026"),
        Figure.exact(cells([1, 2, 3], ["pesten"], YEAR), 12, "Whole organisation · pesten · 2026",
                     organisation_wide=True),
    ]
    result = audit(naive, [], counts, RULES)
    assert not result.ok
    assert {p.label for p in result.problems} == {"Magazijn · pesten · 2026"}

    table = protect_table(counts, GROUPING, ["pesten"], YEAR, RULES, column_totals=True)
    assert table.ok, table.audit.explanation
    assert table.figures[(TOTAL, "pesten")].display == "12"  # organisation total stays exact
    assert table.figures[(TOTAL, "pesten")].organisation_wide
    # issue 12: in a column with a "< k" cell every other cell is "k+", whatever the values
    # (a complement chosen by what the values allow would tell the reader about them)
    assert table.complementary == {(str(KANTOOR), "pesten"), (str(PRODUCTIE), "pesten")}


def test_two_overlapping_tables() -> None:
    counts = year_counts({(MAGAZIJN, "pesten"): 1, (KANTOOR, "pesten"): 4,
                          (PRODUCTIE, "pesten"): 3})
    # first release: the organisation-wide table by category (exact, allowed)
    by_category = protect_table(counts, GROUPING, ["pesten"], YEAR, RULES, groups=[],
                                column_totals=True)
    assert by_category.ok
    ledger = by_category.released
    assert [f.display for f in ledger] == ["8"]
    # second release: group x category without margins - but 8 - 4 - 3 gives Magazijn 1
    naive = [
        Figure.protected(cells([MAGAZIJN], ["pesten"], YEAR), RULES, "Magazijn · pesten · 2026"),
        Figure.exact(cells([KANTOOR], ["pesten"], YEAR), 4, "Kantoor · pesten · 2026"),
        Figure.exact(cells([PRODUCTIE], ["pesten"], YEAR), 3, "Productie · pesten · 2026"),
    ]
    assert audit(naive, [], counts, RULES).ok  # on its own the table is fine
    result = audit(naive, ledger, counts, RULES)
    assert not result.ok
    problem = next(p for p in result.problems if p.label == "Magazijn · pesten · 2026")
    assert "released earlier" in problem.explanation
    assert (problem.low, problem.high) == (1, 1)

    table = protect_table(counts, GROUPING, ["pesten"], YEAR, RULES, ledger)
    assert table.ok, table.audit.explanation
    # the earlier total (8 >= k * 3 - 1) acts as the column's total: the other cells are k+
    assert table.complementary == {(str(KANTOOR), "pesten"), (str(PRODUCTIE), "pesten")}
    assert table.figures[(str(KANTOOR), "pesten")].display == "3+"
    assert audit(table.released, ledger, counts, RULES).ok


def test_consecutive_periods_reveal_the_last_quarter() -> None:
    counts = {(MAGAZIJN, "pesten", Q1): 3, (MAGAZIJN, "pesten", Q2): 2,
              (MAGAZIJN, "pesten", Q3): 1, (MAGAZIJN, "pesten", Q4): 1}
    first = protect_table(counts, GROUPING, ["pesten"], [Q1, Q2, Q3], RULES, groups=["1"])
    assert first.ok and [f.display for f in first.released] == ["6"]
    ledger = first.released
    naive = [Figure.exact(cells([MAGAZIJN], ["pesten"], YEAR), 7, "Magazijn · pesten · 2026")]
    result = audit(naive, ledger, counts, RULES, naming=NAMES)
    assert not result.ok
    # Q4 = 7 - 6: the derived cell is described by department, category and quarter (and,
    # zero being protected like 1..k-1, e.g. "Q1 + Q2 + Q4 = 7 - Q3 >= 1" is refused too)
    found = [(p.label, p.low, p.high) for p in result.problems]
    assert ("Magazijn · pesten · 2026-Q4", 1, 1) in found
    assert all(low >= 1 for _, low, _ in found)

    # issue 12: an earlier figure of another shape over the column withholds its cells
    # (whether "3+" would be safe depends on what the earlier figure leaves open)
    table = protect_table(counts, GROUPING, ["pesten"], YEAR, RULES, ledger, groups=["1"])
    assert table.ok, table.audit.explanation
    assert [f.display for f in table.released] == []
    assert table.withheld == {("1", "pesten")}


def test_department_split_between_releases() -> None:
    # Kantoor and Productie were one group last year, Kantoor is shown alone now
    merged = DepartmentGrouping({
        "1": DepartmentGroup("1", "Magazijn", frozenset({1}), 30),
        "2": DepartmentGroup("2", "Kantoor en Productie", frozenset({2, 3}), 60),
    })
    counts = year_counts({(MAGAZIJN, "pesten"): 8, (KANTOOR, "pesten"): 3,
                          (PRODUCTIE, "pesten"): 1})
    first = protect_table(counts, merged, ["pesten"], YEAR, RULES)
    assert first.ok
    ledger = first.released
    assert first.figures[("2", "pesten")].display == "4"
    naive = [Figure.exact(cells([KANTOOR], ["pesten"], YEAR), 3, "Kantoor · pesten · 2026"),
             Figure.protected(cells([PRODUCTIE], ["pesten"], YEAR), RULES,
                              "Productie · pesten · 2026")]
    result = audit(naive, ledger, counts, RULES)
    assert not result.ok
    assert refused_for([p.explanation for p in result.problems], "'Productie · pesten · 2026'")

    # Kantoor "3+" next to Productie "< 3" would still leave Productie 0 or 1 (4 - at least
    # 3), never 2: with zero protected like 1..k-1 (issue 12) that is a disclosure too, and
    # no complement inside this table can undo the earlier exact 4
    # issue 12: the earlier merged group touches the column, so its cells are withheld
    table = protect_table(counts, GROUPING, ["pesten"], YEAR, RULES, ledger)
    assert table.ok
    assert table.released == []


def test_department_merged_between_releases() -> None:
    # the other direction: Kantoor alone first, then Kantoor + Productie together
    counts = year_counts({(KANTOOR, "pesten"): 3, (PRODUCTIE, "pesten"): 1})
    first = protect_table(counts, GROUPING, ["pesten"], YEAR, RULES, groups=["2"])
    ledger = first.released
    assert [f.display for f in ledger] == ["3"]
    naive = [Figure.exact(cells([KANTOOR, PRODUCTIE], ["pesten"], YEAR), 4, "K+P · pesten")]
    assert not audit(naive, ledger, counts, RULES).ok
    merged = DepartmentGrouping(
        {"kp": DepartmentGroup("kp", "Kantoor en Productie", frozenset({2, 3}), 60)}
    )
    table = protect_table(counts, merged, ["pesten"], YEAR, RULES, ledger)
    assert table.ok
    assert [f.display for f in table.released] == []  # issue 12: withheld, see above


def test_banded_signals_and_bands_over_time() -> None:
    # a released band 3-4 for Q1-Q3, then the year as a band 5-9 would make Q4 1-6: "at
    # least one case in Q4", refused since zero is protected like 1..k-1 (issue 12); the
    # table withholds the year (an earlier figure of another shape touches it)
    counts = {(MAGAZIJN, "pesten", Q1): 2, (MAGAZIJN, "pesten", Q2): 2,
              (MAGAZIJN, "pesten", Q4): 1}
    first = protect_table(counts, GROUPING, ["pesten"], [Q1, Q2, Q3], RULES, groups=["1"],
                          banded=True)
    assert [f.display for f in first.released] == ["3-4"]
    second = protect_table(counts, GROUPING, ["pesten"], YEAR, RULES, first.released,
                           groups=["1"], banded=True)
    assert second.ok and [f.display for f in second.released] == []  # withheld
    # but exact 5 after the band 3-4 would pin Q4 to 1..2
    exact = [Figure.exact(cells([MAGAZIJN], ["pesten"], YEAR), 5, "Magazijn · pesten · 2026")]
    result = audit(exact, first.released, counts, RULES, naming=NAMES)
    assert [(p.label, p.low, p.high) for p in result.problems] == [
        ("Magazijn · pesten · 2026-Q4", 1, 2)
    ]
    assert "holds between 1 and 2 cases" in result.problems[0].explanation


def test_re_release_with_another_value_is_refused() -> None:
    c = cells([MAGAZIJN], ["pesten"], YEAR)
    ledger = [Figure.band(c, 4, RULES, "Magazijn · pesten · 2026")]
    counts = year_counts({(MAGAZIJN, "pesten"): 6})  # e.g. cases were registered late
    candidate = [Figure.band(c, 6, RULES, "Magazijn · pesten · 2026")]
    result = audit(candidate, ledger, counts, RULES)
    assert not result.ok
    (problem,) = [p for p in result.problems if p.kind == "changed_figure"]
    assert "'3-4'" in problem.explanation and "'5-9'" in problem.explanation
    # the same interval again is fine when it is still true
    same = year_counts({(MAGAZIJN, "pesten"): 4})
    assert audit([Figure.band(c, 4, RULES, "again")], ledger, same, RULES).ok
    # protect_table repeats the earlier figure instead of changing it ...
    table = protect_table(same, GROUPING, ["pesten"], YEAR, RULES, ledger, groups=["1"])
    assert table.repeated == {("1", "pesten")}
    assert table.figures[("1", "pesten")].interval == (3, 4)
    # ... and withholds it when the earlier interval is no longer true
    late = protect_table(counts, GROUPING, ["pesten"], YEAR, RULES, ledger, groups=["1"])
    assert late.withheld == {("1", "pesten")} and not late.figures


def test_incorrect_and_contradictory_figures_are_refused() -> None:
    c = cells([MAGAZIJN], ["pesten"], [Q1])
    counts = {(MAGAZIJN, "pesten", Q1): 3, (MAGAZIJN, "werkdruk", Q1): 5}
    wrong = audit([Figure.exact(c, 4, "Magazijn · pesten · 2026-Q1")], [], counts, RULES)
    assert [p.kind for p in wrong.problems] == ["incorrect_figure"]
    # only totals over whole years may be exempt as organisation-wide
    quarter_total = Figure.exact(cells([1, 2, 3], ["werkdruk"], [Q1]), 5, "Q1",
                                 organisation_wide=True)
    assert [p.kind for p in audit([quarter_total], [], counts, RULES).problems] == [
        "incorrect_figure"
    ]
    # the ledger said 4 (a case was erased since); a row total of 8 contradicts 4 + 5 = 9
    ledger = [Figure.exact(c, 4, "Magazijn · pesten · 2026-Q1"),
              Figure.exact(cells([MAGAZIJN], ["werkdruk"], [Q1]), 5, "Magazijn · werkdruk")]
    row = [Figure.exact(cells([MAGAZIJN], ["pesten", "werkdruk"], [Q1]), 8, "Magazijn · total")]
    result = audit(row, ledger, counts, RULES)
    assert [p.kind for p in result.problems] == ["inconsistent"]
    assert "already reported" in result.problems[0].explanation


def test_a_release_that_leaks_nothing_passes() -> None:
    counts = year_counts({
        (MAGAZIJN, "pesten"): 4, (MAGAZIJN, "werkdruk"): 12,
        (KANTOOR, "pesten"): 5, (KANTOOR, "werkdruk"): 6,
        (PRODUCTIE, "pesten"): 7, (PRODUCTIE, "werkdruk"): 3,
    })
    table = protect_table(counts, GROUPING, ["pesten", "werkdruk"], YEAR, RULES,
                          column_totals=True)
    assert table.ok
    assert not table.primary and not table.complementary and not table.withheld
    assert table.figures[("1", "werkdruk")].display == "12"
    assert table.figures[(TOTAL, "werkdruk")].display == "21"
    result = audit(table.released, [], counts, RULES)
    assert result.ok and result.problems == [] and result.explanation == ""
    assert result.units_checked > 0

    banded = protect_table(counts, GROUPING, ["pesten", "werkdruk"], YEAR, RULES,
                           table.released, banded=True, column_totals=True)
    # a banded table after the exact one has the same cell sets: the exact figures are
    # repeated rather than changed into bands
    assert banded.ok and banded.repeated == set(banded.figures)


def test_explanations_never_show_a_protected_count_the_reader_cannot_derive() -> None:
    # Magazijn had 2 pesten cases in Q1. The band 3-4 for Q2 and an exact 5 for Q1+Q2 pin Q1
    # to 1..2: the explanation says exactly that, never the true 2.
    counts = {(MAGAZIJN, "pesten", Q1): 2, (MAGAZIJN, "pesten", Q2): 3}
    ledger = [Figure.band(cells([MAGAZIJN], ["pesten"], [Q2]), 3, RULES, "Magazijn · Q2")]
    candidate = [Figure.exact(cells([MAGAZIJN], ["pesten"], [Q1, Q2]), 5, "Magazijn · H1")]
    result = audit(candidate, ledger, counts, RULES, naming=NAMES)
    (problem,) = result.problems
    assert (problem.label, problem.low, problem.high) == ("Magazijn · pesten · 2026-Q1", 1, 2)
    assert "holds between 1 and 2 cases" in problem.explanation
    assert "exactly" not in problem.explanation
    assert "'Magazijn · Q2' (3-4, released earlier)" in problem.explanation


def test_unit_families_include_nested_differences() -> None:
    figures = [
        Figure.exact(cells([1, 2], ["pesten"], [Q1, Q2, Q3]), 6, "a"),
        Figure.exact(cells([1, 2], ["pesten"], YEAR), 7, "b"),
        Figure.exact(cells([1, 2, 3], ["pesten"], YEAR), 9, "c", organisation_wide=True),
    ]
    families = unit_families(figures)
    assert frozenset({1, 2}) in families.departments
    assert frozenset({1}) in families.departments
    assert frozenset({1, 2, 3}) not in families.departments
    assert frozenset({Q4}) in families.periods
    assert frozenset(YEAR) in families.periods


def test_protect_table_validates_its_input() -> None:
    with pytest.raises(ValueError, match="quarter"):
        protect_table({}, GROUPING, ["pesten"], ["2026"], RULES)
    with pytest.raises(ValueError, match="no department group"):
        protect_table({(99, "pesten", Q1): 1}, GROUPING, ["pesten"], [Q1], RULES)
    with pytest.raises(ValueError, match="unknown department groups"):
        protect_table({}, GROUPING, ["pesten"], [Q1], RULES, groups=["nope"])


def test_protected_cells_of_a_group_holding_everybody_stay_protected() -> None:
    # found by the property test: one group holds all departments, so its cells have the same
    # department set as the (exact, organisation-wide) grand total - their "< 3" must still hold
    everybody = DepartmentGrouping(
        {"all": DepartmentGroup("all", "Iedereen", frozenset({1, 2}), 60)}
    )
    counts = {(1, "pesten", Q4): 1, (1, "seksisme", Q1): 2}
    naive = [
        Figure.protected(cells([1, 2], ["pesten"], YEAR), RULES, "Iedereen · pesten · 2026"),
        Figure.protected(cells([1, 2], ["seksisme"], YEAR), RULES, "Iedereen · seksisme · 2026"),
        Figure.exact(cells([1, 2], ["pesten", "seksisme"], YEAR), 3, "Whole organisation",
                     organisation_wide=True),
    ]
    result = audit(naive, [], counts, RULES)
    # 3 minus "< 3" leaves 1..2 for the other cell: both are pinned to [1, 2]
    assert {(p.label, p.low, p.high) for p in result.problems} == {
        ("Iedereen · pesten · 2026", 1, 2),
        ("Iedereen · seksisme · 2026", 1, 2),
    }
    table = protect_table(counts, everybody, ["pesten", "seksisme"], YEAR, RULES,
                          column_totals=True)
    assert table.ok
    # each column total is the group's own cell: shown once, as "< 3"
    assert [f.display for f in table.released] == ["< 3", "< 3"]


# --------------------------------------------------------------------------------------------
# The auditor's caches: speed only, never the verdict
# --------------------------------------------------------------------------------------------


def _verdict(result: object) -> list[tuple[object, ...]]:
    problems = getattr(result, "problems", [])
    return [
        (p.kind, p.cells, p.low, p.high, p.explanation, tuple(f.label for f in p.figures))
        for p in problems
    ]


def test_tables_carried_over_from_an_earlier_audit_are_checked_again() -> None:
    # Magazijn 1, Kantoor 5. First "< 3" and the total 6: Magazijn can still be 0 (Kantoor 6),
    # and the auditor keeps such tables to start from in the next audit. Then Kantoor's exact
    # 5 pins Magazijn to 1: the table with Kantoor 6 no longer fits and must not clear it.
    counts = {(MAGAZIJN, "pesten", Q1): 1, (KANTOOR, "pesten", Q1): 5}
    small = Figure.protected(cells([MAGAZIJN], ["pesten"], [Q1]), RULES, "Magazijn · Q1")
    total = Figure.exact(cells([MAGAZIJN, KANTOOR], ["pesten"], [Q1]), 6, "Samen · Q1")
    kantoor = Figure.exact(cells([KANTOOR], ["pesten"], [Q1]), 5, "Kantoor · Q1")
    clear_cache()
    assert audit([small, total], [], counts, RULES).ok
    result = audit([kantoor], [small, total], counts, RULES)
    assert [(p.label, p.low, p.high) for p in result.problems] == [("Magazijn · Q1", 1, 1)]
    clear_cache()
    assert _verdict(audit([kantoor], [small, total], counts, RULES)) == _verdict(result)


def test_audit_results_do_not_depend_on_what_is_cached() -> None:
    # a sequence of releases over a year, each audited against all before: with the caches
    # warm from the earlier audits (as in the service) and cold must give the same answers
    counts = {
        (d, c, q): n
        for (d, c, q), n in {
            (MAGAZIJN, "pesten", Q1): 1, (MAGAZIJN, "pesten", Q2): 2, (MAGAZIJN, "werkdruk", Q1): 4,
            (KANTOOR, "pesten", Q1): 3, (KANTOOR, "werkdruk", Q3): 1, (KANTOOR, "werkdruk", Q4): 6,
            (PRODUCTIE, "pesten", Q2): 5, (PRODUCTIE, "werkdruk", Q4): 2,
        }.items()
    }
    releases = [
        protect_table(counts, GROUPING, ["pesten", "werkdruk"], YEAR, RULES,
                      column_totals=True).released,
        [Figure.band(cells([d], [c], [Q1, Q2]), sum(counts.get((d, c, q), 0) for q in (Q1, Q2)),
                     RULES, f"{d} · {c} · H1") for d in (MAGAZIJN, KANTOOR) for c in ("pesten",)],
        [Figure.exact(cells([PRODUCTIE], ["pesten", "werkdruk"], [Q2, Q3, Q4]), 7, "P · Q2-Q4")],
        [Figure.exact(cells([KANTOOR], ["werkdruk"], [Q4]), 6, "K · werkdruk · Q4")],
    ]
    ledger: list[Figure] = []
    clear_cache()
    warm = []
    for release in releases:
        result = audit(release, ledger, counts, RULES, naming=NAMES)
        warm.append(_verdict(result))
        if result.ok:
            ledger.extend(release)
    assert any(warm) and not all(warm)  # some releases pass, some are refused
    ledger = []
    for release, expected in zip(releases, warm, strict=True):
        clear_cache()
        result = audit(release, ledger, counts, RULES, naming=NAMES)
        assert _verdict(result) == expected
        if result.ok:
            ledger.extend(release)
