"""Simulatable disclosure control (issue 12): the auditor's verdict is a function of what is
published (candidate + ledger) only, and zero is protected exactly like 1..k-1.

Criterion: for every protected unit the values a reader can derive contain all of 0..k-1, or
lie at or above k.
"""

from __future__ import annotations

from vp_registry.core.disclosure import (
    CellKey,
    DisclosureRules,
    Figure,
    audit,
    cell_set,
    clear_cache,
    periods_of_year,
)

RULES = DisclosureRules()
YEAR = periods_of_year(2026)
A, B = 1, 2


def _cells(dept: int) -> frozenset[CellKey]:
    return cell_set([dept], ["pesten"], YEAR)


def _column(shown_a: Figure, total: int) -> list[Figure]:
    return [
        shown_a,
        Figure.protected(_cells(B), RULES, "B"),
        Figure.exact(_cells(A) | _cells(B), total, "total", organisation_wide=True),
    ]


def test_a_derivable_zero_is_refused_like_a_derivable_one() -> None:
    # total 3, A shown 3: B is derivably 0 - as much a disclosure as B = 1
    figures = _column(Figure.exact(_cells(A), 3, "A"), 3)
    clear_cache()
    result = audit(figures, [], {(A, "pesten", YEAR[0]): 3}, RULES)
    assert not result.ok
    assert any(p.kind == "disclosure" and p.cells == _cells(B) for p in result.problems)


def test_a_cell_narrowed_below_k_minus_one_is_refused() -> None:
    # A "3+", B "< 3", total 4: B is 0 or 1, never 2 - the reader learns "not 2"
    figures = _column(Figure.at_least_k(_cells(A), RULES, "A"), 4)
    clear_cache()
    result = audit(figures, [], {(A, "pesten", YEAR[0]): 3, (B, "pesten", YEAR[0]): 1}, RULES)
    assert not result.ok
    problem = next(p for p in result.problems if p.cells == _cells(B))
    assert (problem.low, problem.high) == (0, 1)


def test_the_verdict_does_not_depend_on_which_consistent_table_is_true() -> None:
    figures = _column(Figure.at_least_k(_cells(A), RULES, "A"), 4)
    verdicts = set()
    for a_count, b_count in ((4, 0), (3, 1)):
        clear_cache()
        truth = {(A, "pesten", YEAR[0]): a_count}
        if b_count:
            truth[(B, "pesten", YEAR[0])] = b_count
        result = audit(figures, [], truth, RULES)
        verdicts.add((result.ok, tuple((p.kind, p.cells, p.low, p.high) for p in result.problems)))
    assert len(verdicts) == 1


def test_a_column_with_room_for_every_small_value_passes() -> None:
    # A "3+", B "< 3", total 5: B can be 0, 1 or 2 (A absorbs the rest)
    figures = _column(Figure.at_least_k(_cells(A), RULES, "A"), 5)
    clear_cache()
    assert audit(figures, [], {(A, "pesten", YEAR[0]): 5}, RULES).ok


# --------------------------------------------------------------------------------------------
# protect_table: the displayed table, over every small data set of one column
# --------------------------------------------------------------------------------------------

from itertools import product  # noqa: E402

from vp_registry.core.disclosure import (  # noqa: E402
    DepartmentGroup,
    DepartmentGrouping,
    protect_table,
)


def _grouping(n: int) -> DepartmentGrouping:
    return DepartmentGrouping({
        str(d): DepartmentGroup(str(d), f"D{d}", frozenset({d}), 20) for d in range(1, n + 1)
    })


def _shown(table: object) -> tuple[object, ...]:
    assert hasattr(table, "figures") and hasattr(table, "ok")
    if not table.ok:
        return ("refused",)
    return tuple(sorted((key, f.display) for key, f in table.figures.items()))


def test_a_column_with_its_exact_total_never_narrows_a_protected_cell() -> None:
    # every data set of 2 or 3 groups with up to 7 cases in all, through the real protect_table;
    # a reader who knows the algorithm learns exactly "one of the data sets shown the same"
    k = RULES.k
    for n in (2, 3):
        grouping = _grouping(n)
        seen: dict[tuple[object, ...], list[tuple[int, ...]]] = {}
        for values in product(range(8), repeat=n):
            if sum(values) > 7:
                continue  # every view of a total up to 7 is complete: all its data sets are here
            counts = {(d, "pesten", YEAR[0]): v for d, v in enumerate(values, 1) if v}
            table = protect_table(counts, grouping, ["pesten"], YEAR, RULES, column_totals=True)
            seen.setdefault(_shown(table), []).append(values)
        for shown, datasets in seen.items():
            for d in range(n):
                possible = {values[d] for values in datasets}
                if min(possible) >= k:
                    continue
                assert set(range(k)) <= possible, (n, shown, d, sorted(possible))


def test_units_that_pin_each_other_are_both_reported() -> None:
    # D3 pesten = 3 - (D1+D2 pesten >= 3) = 0, so D3 seksisme = 4 - 0 - 3 = 1: seksisme and
    # pesten+seksisme imply each other's bounds, and neither may hide the other
    q = YEAR[0]

    def c(depts: list[int], cats: list[str]) -> frozenset[CellKey]:
        return cell_set(depts, cats, [q])

    figures = [
        Figure.exact(c([1, 2, 3], ["pesten"]), 3, "all pesten"),
        Figure.at_least_k(c([1, 2], ["pesten"]), RULES, "D1+D2 pesten"),
        Figure.protected(c([3], ["pesten"]), RULES, "D3 pesten"),
        Figure.protected(c([3], ["seksisme"]), RULES, "D3 seksisme"),
        Figure.exact(c([3], ["werkdruk"]), 3, "D3 werkdruk"),
        Figure.exact(c([3], ["pesten", "seksisme", "werkdruk"]), 4, "D3 all"),
    ]
    counts = {(2, "pesten", q): 3, (3, "seksisme", q): 1, (3, "werkdruk", q): 3}
    clear_cache()
    result = audit(figures, [], counts, RULES)
    assert not result.ok
    assert ("D3 seksisme", 1, 1) in [(p.label, p.low, p.high) for p in result.problems]
