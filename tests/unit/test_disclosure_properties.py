"""Property test: no release sequence lets an attacker narrow a small cell into [1, k-1].

Random small organisations and random release sequences go through ``protect_table`` (and,
for "naive" releases that skip complementary suppression, through ``audit`` alone) against the
accumulated ledger. An INDEPENDENT attacker written here - bounds propagation and exhaustive
branching over bounded integer tables, no LP and nothing from the module's solver - then checks
every protected figure and every department-level unit: if its true count is 1..k-1, some
table consistent with every released figure must give it 0 or at least k.

The attacker only searches tables whose atoms stay below a generous bound; that can only make
it find *fewer* consistent tables, i.e. it is, if anything, stricter than a real reader.

More examples (e.g. before changing the auditor): ``DISCLOSURE_PROPERTY_EXAMPLES=3000 pytest
tests/unit/test_disclosure_properties.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product

from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from vp_registry.core.disclosure import (
    CellKey,
    DepartmentGroup,
    DepartmentGrouping,
    DisclosureRules,
    Figure,
    audit,
    clear_cache,
    protect_table,
)

MAX_EXAMPLES = int(os.environ.get("DISCLOSURE_PROPERTY_EXAMPLES", "150"))

QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")  # all four: whole-year totals
CATEGORIES = ("pesten", "seksisme", "werkdruk")

# --------------------------------------------------------------------------------------------
# The independent attacker
# --------------------------------------------------------------------------------------------

Constraint = tuple[tuple[int, ...], int, int | None]  # variable indices, low, high (None = open)


def _propagate(constraints: Sequence[Constraint], lo: list[int], hi: list[int]) -> bool:
    """Tighten variable bounds until nothing changes; False when a constraint cannot hold."""
    changed = True
    while changed:
        changed = False
        for variables, low, high in constraints:
            min_sum = sum(lo[v] for v in variables)
            max_sum = sum(hi[v] for v in variables)
            if (high is not None and min_sum > high) or max_sum < low:
                return False
            for v in variables:
                if high is not None:
                    new_hi = high - (min_sum - lo[v])
                    if new_hi < hi[v]:
                        hi[v] = new_hi
                        max_sum = sum(hi[w] for w in variables)
                        changed = True
                new_lo = low - (max_sum - hi[v])
                if new_lo > lo[v]:
                    lo[v] = new_lo
                    min_sum = sum(lo[w] for w in variables)
                    changed = True
                if lo[v] > hi[v]:
                    return False
    return True


def _exists(constraints: Sequence[Constraint], lo: list[int], hi: list[int],
            rules: Sequence[LinearRule] = ()) -> bool:
    """Is there an integer point within [lo, hi] satisfying every constraint and rule?"""
    lo, hi = list(lo), list(hi)
    while True:
        if not _propagate(constraints, lo, hi):
            return False
        tightened = _propagate_rules(rules, lo, hi)
        if tightened is None:
            return False
        if not tightened:
            break
    open_vars = [v for v in range(len(lo)) if lo[v] < hi[v]]
    if not open_vars:
        return True
    v = min(open_vars, key=lambda i: hi[i] - lo[i])
    mid = (lo[v] + hi[v]) // 2
    left_hi = list(hi)
    left_hi[v] = mid
    if _exists(constraints, lo, left_hi, rules):
        return True
    right_lo = list(lo)
    right_lo[v] = mid + 1
    return _exists(constraints, right_lo, hi, rules)


@dataclass(frozen=True)
class RuleFact:
    """A published rule a reader applies: ``sum(coefficient x cells) >= low`` (issue 12).

    A released rise of ``now`` over ``before`` means ``now - 2 x before >= 0`` and ``now -
    before >= 2`` (and ``now >= k``); a concentration means its window holds at least the
    threshold. The reader knows them, so the attacker uses them.
    """

    terms: tuple[tuple[frozenset[CellKey], int], ...]
    low: int


def rise_facts(now: frozenset[CellKey], before: frozenset[CellKey], k: int) -> list[RuleFact]:
    return [RuleFact(((now, 1), (before, -2)), 0), RuleFact(((now, 1), (before, -1)), 2),
            RuleFact(((now, 1),), k)]


LinearRule = tuple[tuple[tuple[int, int], ...], int]  # ((variable, coefficient), ...), low


def _propagate_rules(rules: Sequence[LinearRule], lo: list[int], hi: list[int]) -> bool | None:
    """Tighten bounds with ``sum(a x) >= low``; None when one cannot hold, else whether a
    bound changed."""
    changed = False
    for terms, low in rules:
        best = sum(a * (hi[v] if a > 0 else lo[v]) for v, a in terms)
        if best < low:
            return None
        for v, a in terms:
            rest = best - a * (hi[v] if a > 0 else lo[v])
            need = low - rest  # a * x_v >= need
            if a > 0:
                new_lo = -(-need // a)
                if new_lo > lo[v]:
                    lo[v], changed = new_lo, True
            else:
                new_hi = (-need) // (-a)  # a < 0: x <= need / a, rounded down
                if new_hi < hi[v]:
                    hi[v], changed = new_hi, True
            if lo[v] > hi[v]:
                return None
            best = sum(a2 * (hi[w] if a2 > 0 else lo[w]) for w, a2 in terms)
    return changed


def consistent_values_allow(
    figures: Sequence[Figure], unit: frozenset[CellKey], bound: int, k: int,
    facts: Sequence[RuleFact] = (),
) -> tuple[bool, bool]:
    """(some consistent table gives the unit 0, some gives it >= k).

    Atoms with the same membership in every figure and in the unit are interchangeable, so
    each such class is one variable (its sum); the search space shrinks a lot.
    """
    distinct = sorted({(f.cells, f.low, f.high) for f in figures}, key=repr)
    for fact in facts:  # the cell sets of rule facts must also separate atom classes
        distinct += [(cells, 0, None) for cells, _ in fact.terms]
    atoms = set(unit).union(*(cells for cells, _, _ in distinct))
    classes: dict[tuple[tuple[int, ...], bool], int] = {}
    class_of: dict[CellKey, int] = {}
    for atom in sorted(atoms):
        signature = (
            tuple(i for i, (cells, _, _) in enumerate(distinct) if atom in cells),
            atom in unit,
        )
        class_of[atom] = classes.setdefault(signature, len(classes))
    n = len(classes)
    constraints: list[Constraint] = [
        (tuple(sorted({class_of[a] for a in cells})), low, high) for cells, low, high in distinct
    ]
    rules: list[LinearRule] = []
    for fact in facts:
        coefficients: dict[int, int] = {}
        for cells, a in fact.terms:
            for v in {class_of[x] for x in cells}:
                coefficients[v] = coefficients.get(v, 0) + a
        rules.append((tuple((v, a) for v, a in sorted(coefficients.items()) if a), fact.low))
    unit_vars = tuple(sorted({class_of[a] for a in unit}))
    zero_hi = [0 if v in unit_vars else bound for v in range(n)]
    can_zero = _exists(constraints, [0] * n, zero_hi, rules)
    can_reach = _exists([*constraints, (unit_vars, k, None)], [0] * n, [bound] * n, rules)
    return can_zero, can_reach


def _closure(sets: set[frozenset[object]]) -> set[frozenset[object]]:
    return sets | {a - b for a in sets for b in sets if b < a}


def department_units(figures: Iterable[Figure]) -> set[frozenset[CellKey]]:
    """Every department-level unit (written independently of the module, same definition).

    Departments: each department set of a department-level figure, its single departments and
    differences of nested sets, minus the department sets of organisation-wide figures;
    categories and quarters likewise. Plus the cell set of every department-level figure.
    """
    ds: set[frozenset[object]] = set()
    cs: set[frozenset[object]] = set()
    ps: set[frozenset[object]] = set()
    organisation: set[frozenset[object]] = set()
    units: set[frozenset[CellKey]] = set()
    for f in figures:
        depts = frozenset(d for d, _, _ in f.cells)
        if f.organisation_wide:
            organisation.add(depts)
            continue
        units.add(f.cells)
        ds |= {depts} | {frozenset([d]) for d in depts}
        cats = frozenset(c for _, c, _ in f.cells)
        cs |= {cats} | {frozenset([c]) for c in cats}
        qs = frozenset(q for _, _, q in f.cells)
        ps |= {qs} | {frozenset([q]) for q in qs}
    for d_set in _closure(ds) - organisation:
        for c_set in _closure(cs):
            for p_set in _closure(ps):
                units.add(
                    frozenset(
                        (int(str(d)), str(c), str(q)) for d, c, q in product(d_set, c_set, p_set)
                    )
                )
    return units


def assert_no_disclosure(ledger: Sequence[Figure], counts: dict[CellKey, int], k: int,
                         facts: Sequence[RuleFact] = ()) -> int:
    """Attack the whole ledger (and the rules' facts); return how many small units were checked."""
    bound = sum(counts.values()) + 2 * k
    checked = 0
    for unit in sorted(department_units(ledger), key=lambda u: (len(u), sorted(u))):
        truth = sum(counts.get(a, 0) for a in unit)
        if not 1 <= truth <= k - 1:
            continue
        checked += 1
        can_zero, can_reach = consistent_values_allow(ledger, unit, bound, k, facts)
        assert can_zero or can_reach, (
            f"unit {sorted(unit)} (true count {truth}) is narrowed into [1, {k - 1}] by "
            f"{[(f.label, f.display) for f in ledger]}"
        )
    return checked


# --------------------------------------------------------------------------------------------
# Random organisations and releases
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    group_of: tuple[int, ...]  # per department: its group number in this release
    breakdown: bool
    categories: tuple[str, ...]
    quarters: tuple[str, ...]
    banded: bool
    row_totals: bool  # naive releases only: protect_table has no row totals (issue 12)
    column_totals: bool
    grand_total: bool  # naive releases only
    naive: bool  # skip protect_table's column rule: audit must catch leaks


def grouping_for(release: Release, departments: Sequence[int]) -> DepartmentGrouping:
    if not release.breakdown:
        whole = DepartmentGroup("organisation", "Whole organisation", frozenset(departments), 60)
        return DepartmentGrouping({"organisation": whole}, breakdown_allowed=False)
    members: dict[int, set[int]] = {}
    for dept, group in zip(departments, release.group_of, strict=True):
        members.setdefault(group, set()).add(dept)
    groups = {
        f"g{g}": DepartmentGroup(f"g{g}", "+".join(f"D{d}" for d in sorted(ids)),
                                 frozenset(ids), 20)
        for g, ids in sorted(members.items())
    }
    return DepartmentGrouping(groups, breakdown_allowed=True)


def naive_release(
    counts: dict[CellKey, int],
    grouping: DepartmentGrouping,
    release: Release,
    rules: DisclosureRules,
) -> list[Figure]:
    """Primary protection only, plus margins - the kind of release a careless tool would make."""
    k = rules.k
    quarters, cats = release.quarters, release.categories
    figures: list[Figure] = []
    seen: set[frozenset[CellKey]] = set()

    def add(cells: frozenset[CellKey], label: str, organisation: bool) -> None:
        if cells in seen:
            return
        seen.add(cells)
        value = sum(counts.get(a, 0) for a in cells)
        if organisation and len(quarters) == len(QUARTERS):  # a whole year
            figures.append(Figure.exact(cells, value, label, organisation_wide=True))
        elif value < k:
            figures.append(Figure.protected(cells, rules, label))
        elif release.banded:
            figures.append(Figure.band(cells, value, rules, label))
        else:
            figures.append(Figure.exact(cells, value, label))

    def cells_of(depts: Iterable[int], categories: Iterable[str]) -> frozenset[CellKey]:
        return frozenset(product(depts, categories, quarters))

    if grouping.breakdown_allowed:
        for g in grouping.groups.values():
            for c in cats:
                add(cells_of(g.department_ids, [c]), f"{g.label}·{c}", False)
            if release.row_totals:
                add(cells_of(g.department_ids, cats), f"{g.label}·all", False)
    everyone = grouping.department_ids
    if release.column_totals:
        for c in cats:
            add(cells_of(everyone, [c]), f"all·{c}", True)
    if release.grand_total:
        add(cells_of(everyone, cats), "all·all", True)
    return figures


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, list[int], dict[CellKey, int], list[Release]]:
    k = draw(st.sampled_from([3, 3, 4]))
    n_depts = draw(st.integers(2, 4))
    departments = list(range(1, n_depts + 1))
    n_cats = draw(st.integers(1, 3))
    n_quarters = draw(st.integers(1, 4))
    while n_depts * n_cats * n_quarters > 24:  # keep the attacker's search small
        n_cats -= 1
    cats = CATEGORIES[:n_cats]
    quarters = QUARTERS[:n_quarters]
    # counts skewed to small values so that protected cells are common
    value = st.sampled_from([0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6])
    counts: dict[CellKey, int] = {}
    for atom in product(departments, cats, quarters):
        v = draw(value)
        if v:
            counts[atom] = v
    releases = []
    for _ in range(draw(st.integers(1, 3))):
        releases.append(
            Release(
                group_of=tuple(draw(st.integers(0, n_depts - 1)) for _ in departments),
                breakdown=draw(st.sampled_from([True, True, True, False])),
                categories=tuple(
                    draw(st.lists(st.sampled_from(cats), min_size=1, unique=True).map(sorted))
                ),
                quarters=draw(
                    st.one_of(
                        st.just(quarters),
                        st.lists(st.sampled_from(quarters), min_size=1, unique=True).map(
                            lambda qs: tuple(sorted(qs))
                        ),
                    )
                ),
                banded=draw(st.booleans()),
                row_totals=draw(st.booleans()),
                column_totals=draw(st.booleans()),
                grand_total=draw(st.booleans()),
                naive=draw(st.sampled_from([False, False, True])),
            )
        )
    return k, departments, counts, releases


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_no_release_sequence_narrows_a_small_cell(
    scenario: tuple[int, list[int], dict[CellKey, int], list[Release]],
) -> None:
    k, departments, counts, releases = scenario
    rules = DisclosureRules(k=k, band_edges=(k, k + 2, k + 6))
    ledger: list[Figure] = []
    for release in releases:
        grouping = grouping_for(release, departments)
        if release.naive:
            candidate = naive_release(counts, grouping, release, rules)
            result = audit(candidate, ledger, counts, rules)
            note(f"naive release ok={result.ok}: {[(f.label, f.display) for f in candidate]}")
            # the caches (and the tables carried over from earlier audits) only save time
            clear_cache()
            cold = audit(candidate, ledger, counts, rules)
            assert [(p.kind, p.cells, p.low, p.high) for p in cold.problems] == [
                (p.kind, p.cells, p.low, p.high) for p in result.problems
            ]
            event(f"naive release {'passed' if result.ok else 'refused'}")
            if not result.ok:
                continue
        else:
            table = protect_table(
                counts, grouping, release.categories, release.quarters, rules, ledger,
                banded=release.banded, column_totals=release.column_totals,
            )
            note(f"table ok={table.ok}: {[(f.label, f.display) for f in table.released]}")
            event(f"table {'ok' if table.ok else 'refused'}")
            event(f"table complementary suppressions > 0: {bool(table.complementary)}")
            if not table.ok:
                # a refusal must say why, in words
                assert table.audit.problems and table.audit.explanation
                continue
            candidate = table.released
            # what protect_table hands out must pass an independent audit call too
            assert audit(candidate, ledger, counts, rules).ok
            # figures are never small exact counts outside organisation-wide totals
            for f in candidate:
                if not f.organisation_wide:
                    assert not (f.is_exact and f.low < k), f
        ledger.extend(candidate)
        checked = assert_no_disclosure(ledger, counts, k)
        event(f"small units attacked: {'0' if not checked else '1-9' if checked < 10 else '10+'}")
        event(f"ledger has organisation-wide totals: {any(f.organisation_wide for f in ledger)}")


def test_attacker_finds_the_classic_leak() -> None:
    """Sanity check of the attacker itself: total minus the visible cell pins the small one."""
    rules = DisclosureRules()
    a = frozenset({(1, "pesten", "2026-Q1")})
    b = frozenset({(2, "pesten", "2026-Q1")})
    figures = [
        Figure.protected(a, rules, "A"),
        Figure.exact(b, 5, "B"),
        Figure.exact(a | b, 6, "A+B"),
    ]
    counts = {(1, "pesten", "2026-Q1"): 1, (2, "pesten", "2026-Q1"): 5}
    assert consistent_values_allow(figures, a, 20, 3) == (False, False)
    try:
        assert_no_disclosure(figures, counts, 3)
    except AssertionError:
        pass
    else:  # pragma: no cover - the attacker must see this leak
        raise AssertionError("the attacker missed total-minus-cell")
    assert not audit(figures, [], counts, rules).ok


@settings(
    max_examples=MAX_EXAMPLES // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios(), st.data())
def test_rise_signals_and_their_rule_narrow_no_small_cell(
    scenario: tuple[int, list[int], dict[CellKey, int], list[Release]], data: st.DataObject,
) -> None:
    """Signals as ``services.signals.publishing.publication`` builds them, after the tables: a rise
    publishes the bands of its quarter and the one before, and a reader also knows the rule
    (now >= k, now >= 2 x before, now - before >= 2); a concentration its window's band, at
    least the threshold k. The attacker uses the rule's inequalities as constraints."""
    k, departments, counts, releases = scenario
    rules = DisclosureRules(k=k, band_edges=(k, k + 2, k + 6))
    quarters = sorted({q for _, _, q in counts} | {QUARTERS[0], QUARTERS[1]})
    ledger: list[Figure] = []
    facts: list[RuleFact] = []
    for release in releases:
        grouping = grouping_for(release, departments)
        table = protect_table(
            counts, grouping, release.categories, release.quarters, rules, ledger,
            banded=release.banded, column_totals=release.column_totals,
        )
        if table.ok:
            ledger.extend(table.released)
    grouping = grouping_for(releases[-1], departments)
    for _ in range(data.draw(st.integers(1, 4))):
        group = data.draw(st.sampled_from(sorted(grouping.groups)))
        ids = grouping.groups[group].department_ids
        category = data.draw(st.sampled_from(CATEGORIES))
        at = data.draw(st.integers(1, len(quarters) - 1))
        now = frozenset(product(ids, [category], [quarters[at]]))
        before = frozenset(product(ids, [category], [quarters[at - 1]]))
        window = frozenset(product(ids, [category], quarters[: at + 1]))
        n, b = (sum(counts.get(a, 0) for a in cells) for cells in (now, before))
        w = sum(counts.get(a, 0) for a in window)
        if data.draw(st.booleans()) and n >= k and n >= 2 * b and n - b >= 2:
            figures = [Figure.band(now, n, rules, "now"), Figure.band(before, b, rules, "before")]
            new_facts = rise_facts(now, before, k)
        elif w >= k:
            figures = [Figure.band(window, w, rules, "window")]
            new_facts = [RuleFact(((window, 1),), k)]
        else:
            continue
        result = audit(figures, ledger, counts, rules)
        event(f"signal {'released' if result.ok else 'refused'}")
        if result.ok:
            ledger.extend(figures)
            facts.extend(new_facts)
    note(f"ledger {[(f.label, f.display) for f in ledger]}")
    assert_no_disclosure(ledger, counts, k, facts)


def test_the_attacker_applies_the_rise_rule() -> None:
    """Sanity check: "now" in 3-4 and "now + before" in 5-9 leave before in 1..6 (it can reach
    3); with the rise rule (before <= now / 2, now - before >= 2) only 1 or 2 are left."""
    now = frozenset({(1, "pesten", "2026-Q2")})
    before = frozenset({(1, "pesten", "2026-Q1")})
    figures = [Figure(now, 3, 4, "now"), Figure(now | before, 5, 9, "both")]
    assert consistent_values_allow(figures, before, 20, 3) == (False, True)
    facts = rise_facts(now, before, 3)
    assert consistent_values_allow(figures, before, 20, 3, facts) == (False, False)
    try:
        assert_no_disclosure(figures, {(1, "pesten", "2026-Q2"): 4,
                                       (1, "pesten", "2026-Q1"): 1}, 3, facts)
    except AssertionError:
        pass
    else:  # pragma: no cover - the attacker must apply the rule
        raise AssertionError("the attacker ignored the rise rule")
