"""The auditor: checks a candidate release against itself and the whole ledger."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from vp_registry.core.disclosure.cache import (
    _CACHE,
    _DONORS,
)
from vp_registry.core.disclosure.cells import (
    CellKey,
    _FloatArray,
    _IntArray,
    _quarter_index,
    _whole_years,
)
from vp_registry.core.disclosure.checking import (
    _check_units,
)
from vp_registry.core.disclosure.component import (
    _Component,
)
from vp_registry.core.disclosure.figures import (
    DEFAULT_RULES,
    AuditResult,
    DisclosureProblem,
    DisclosureRules,
    Figure,
    RuleConstraint,
)
from vp_registry.core.disclosure.grouping import (
    Naming,
)
from vp_registry.core.disclosure.solver import (
    _Constraint,
    _LPSolution,
)
from vp_registry.core.disclosure.units import (
    UnitFamilies,
    _gather,
    _group_by_components,
    _Partition,
    _UnitBatch,
    _units_to_check,
    unit_families,
)

_RESULTS: Final = 8  # unit sets remembered per component


@dataclass
class _Unit:
    cells: frozenset[CellKey]
    truth: int


def audit(
    candidate: Sequence[Figure],
    ledger: Sequence[Figure],
    true_counts: Mapping[CellKey, int],
    rules: DisclosureRules = DEFAULT_RULES,
    *,
    naming: Naming | None = None,
    constraints: Sequence[RuleConstraint] = (),
) -> AuditResult:
    """Check a candidate release against itself and the whole ledger; see the package docstring.

    ``constraints``: the published rules a reader applies to the figures (a rise's
    inequalities, from the ledger and the candidate); they join the constraint system.

    Refuses (``ok=False``) when a published unit could be narrowed (its consistent values
    neither include all of 0..k-1 nor are all at least k), when a figure was released before
    with another interval, when a candidate figure does not match the counts, or when the
    figures contradict each other.
    """
    if any(v < 0 for v in true_counts.values()):
        raise ValueError("case counts cannot be negative")
    naming = naming or Naming()
    all_figures = [*ledger, *candidate]
    labels: dict[frozenset[CellKey], str] = {}
    for f in all_figures:
        labels.setdefault(f.cells, f.label)

    def describe(cells: frozenset[CellKey]) -> str:
        return labels.get(cells) or naming.describe(cells)

    problems = _changed_figures(candidate, ledger) + _incorrect_figures(candidate, true_counts)
    if rules.first_quarter is not None:
        # the registry's first quarter is public: department atoms before it are empty, a
        # rule the reader applies (-atom >= 0); a count there contradicts the setting
        early = _before_start(all_figures, constraints, rules.first_quarter)
        problems += _counted_before_start(early, true_counts, rules.first_quarter, describe)
        constraints = [*constraints, *(
            RuleConstraint(((frozenset({a}), -1),), 0,
                           f"no cases before the registry's first quarter {rules.first_quarter}")
            for a in early)]
    system = _System.build(all_figures, constraints, true_counts)
    # every published D x C x P product and explicit unit, whatever its true count (the
    # verdict must be a function of the published figures only)
    families = unit_families(all_figures)
    units = _units_to_check(families, true_counts, system.atom_index)
    units_checked = len(families.explicit) + (
        len(families.departments) * len(families.categories) * len(families.periods)
    )
    problems += _check_components(system, units, families, describe,
                                  set(map(id, ledger)), rules.k)
    return AuditResult(not problems, problems, units_checked=units_checked)


def _changed_figures(
    candidate: Sequence[Figure], ledger: Sequence[Figure]
) -> list[DisclosureProblem]:
    """A released figure is never re-released with another value."""
    problems: list[DisclosureProblem] = []
    seen: dict[frozenset[CellKey], Figure] = {f.cells: f for f in ledger}
    for f in candidate:
        before = seen.get(f.cells)
        if before is not None and before.interval != f.interval and not _narrows(before, f):
            in_ledger = any(g.cells == f.cells and g.interval == before.interval for g in ledger)
            problems.append(
                DisclosureProblem(
                    "changed_figure",
                    f.cells,
                    f.label,
                    f"'{f.label}' was {'already released' if in_ledger else 'also given'} as "
                    f"'{before.display}'. A released figure is never changed, so it cannot be "
                    f"released again as '{f.display}': a reader who kept both would learn more "
                    "than either shows. Keep the earlier figure or leave this one out.",
                    figures=(before, f),
                )
            )
        seen.setdefault(f.cells, f)
    return problems


def _narrows(before: Figure, f: Figure) -> bool:
    """A band inside an earlier open-ended department figure on the same cells (a review's
    ``k+``, then the candidate's released band): it says more, and the audit checks that, but
    it changes nothing a reader kept (issue 12, ``silences``)."""
    return (before.high is None and not before.organisation_wide
            and not f.organisation_wide and f.low >= before.low)


def _incorrect_figures(
    candidate: Sequence[Figure], true_counts: Mapping[CellKey, int]
) -> list[DisclosureProblem]:
    """Every candidate figure must be true, and only whole-year totals organisation-wide."""
    problems: list[DisclosureProblem] = []
    for f in candidate:
        if f.organisation_wide and not _whole_years({q for _, _, q in f.cells}):
            problems.append(
                DisclosureProblem(
                    "incorrect_figure",
                    f.cells,
                    f.label,
                    f"'{f.label}' is marked as an organisation-wide total, but only totals over "
                    "whole calendar years may be shown that way. Recalculate the release.",
                    figures=(f,),
                )
            )
        if not f.contains(sum(true_counts.get(c, 0) for c in f.cells)):
            problems.append(
                DisclosureProblem(
                    "incorrect_figure",
                    f.cells,
                    f.label,
                    f"'{f.label}' would be shown as '{f.display}', which does not match the "
                    "current case records. Recalculate the release before publishing it.",
                    figures=(f,),
                )
            )
    return problems


def _before_start(
    figures: Sequence[Figure], constraints: Sequence[RuleConstraint], first_quarter: str
) -> list[CellKey]:
    """The department atoms of the figures and rules before the registry's first quarter."""
    start = _quarter_index(first_quarter)
    return sorted(
        {a for f in figures for a in f.cells if a[0] >= 0 and _quarter_index(a[2]) < start}
        | {a for rule in constraints for cells, _ in rule.terms for a in cells
           if a[0] >= 0 and _quarter_index(a[2]) < start})


def _counted_before_start(
    early: Sequence[CellKey], true_counts: Mapping[CellKey, int], first_quarter: str,
    describe: Callable[[frozenset[CellKey]], str],
) -> list[DisclosureProblem]:
    return [
        DisclosureProblem(
            "incorrect_figure", frozenset({a}), describe(frozenset({a})),
            f"Cases are recorded in {a[2]}, before the registry's first quarter "
            f"{first_quarter} (REGISTRY_START), which the published rules say "
            "is empty. Correct the opening dates or the setting first.")
        for a in early if true_counts.get(a, 0)
    ]


@dataclass(frozen=True)
class _System:
    """The constraint system of an audit: one row per distinct (cells, interval) that says
    something and one per published rule, over all atoms; split into connected components."""

    by_cells: dict[_Constraint, list[Figure]]
    figure_rows: list[_Constraint]
    keys: list[object]  # per row, the row's identity (for the component cache)
    atoms: list[CellKey]
    atom_index: dict[CellKey, int]
    incidence: sparse.csr_matrix
    lows: _FloatArray
    highs: _FloatArray
    truth: _IntArray
    atom_comp: _IntArray
    cons_comp: _IntArray

    @classmethod
    def build(cls, figures: Sequence[Figure], constraints: Sequence[RuleConstraint],
              true_counts: Mapping[CellKey, int]) -> _System:
        by_cells: dict[_Constraint, list[Figure]] = {}
        for f in figures:
            if f.low == 0 and f.high is None:
                continue
            by_cells.setdefault((f.cells, f.low, f.high), []).append(f)
        figure_rows = list(by_cells)
        # published rules: one row each, coefficients per atom (e.g. now - 2 x before >= 0)
        rule_rows: dict[tuple[frozenset[tuple[CellKey, int]], int], RuleConstraint] = {}
        for rule in constraints:
            rule_rows.setdefault((frozenset(rule.coefficients().items()), rule.low), rule)
        atoms = sorted({a for cells, _, _ in figure_rows for a in cells}
                       | {a for terms, _ in rule_rows for a, _ in terms})
        atom_index = {a: i for i, a in enumerate(atoms)}
        incidence = _incidence(figure_rows, list(rule_rows), atom_index)
        lows = np.array([lo for _, lo, _ in figure_rows] + [lo for _, lo in rule_rows],
                        dtype=np.float64)
        highs = np.array([np.inf if hi is None else hi for _, _, hi in figure_rows]
                         + [np.inf] * len(rule_rows), dtype=np.float64)
        truth = np.array([true_counts.get(a, 0) for a in atoms], dtype=np.int64)
        atom_comp, cons_comp = _components(incidence)
        keys: list[object] = [*figure_rows, *(("rule", *key) for key in rule_rows)]
        return cls(by_cells, figure_rows, keys, atoms, atom_index, incidence, lows, highs,
                   truth, atom_comp, cons_comp)

    def figures_of(self, r: int) -> list[Figure]:
        """The figures behind constraint row ``r`` (none for a published rule)."""
        return self.by_cells[self.figure_rows[r]] if r < len(self.figure_rows) else []


def _incidence(
    figure_rows: Sequence[_Constraint],
    rule_rows: Sequence[tuple[frozenset[tuple[CellKey, int]], int]],
    atom_index: Mapping[CellKey, int],
) -> sparse.csr_matrix:
    """Rows: figures (0/1) then rules (their coefficients); columns: atoms."""
    rows: list[int] = []
    cols: list[int] = []
    data: list[float] = []
    for r, (cells, _, _) in enumerate(figure_rows):
        for a in cells:
            rows.append(r)
            cols.append(atom_index[a])
            data.append(1.0)
    for r, (terms, _) in enumerate(rule_rows, start=len(figure_rows)):
        for a, w in sorted(terms):
            rows.append(r)
            cols.append(atom_index[a])
            data.append(float(w))
    return sparse.csr_matrix(
        (np.asarray(data, dtype=np.float64),
         (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
        shape=(len(figure_rows) + len(rule_rows), len(atom_index)),
    )


def _components(incidence: sparse.csr_matrix) -> tuple[_IntArray, _IntArray]:
    """The connected component of each atom and of each constraint row (figures link atoms)."""
    n_atoms = incidence.shape[1]
    if not n_atoms:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    graph = sparse.bmat([[None, incidence.T], [incidence, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    return labels[:n_atoms], labels[n_atoms:]


def _check_components(
    system: _System, units: _UnitBatch, families: UnitFamilies,
    describe: Callable[[frozenset[CellKey]], str], ledger_ids: set[int], k: int,
) -> list[DisclosureProblem]:
    """Solve per set of components the units touch; the problems found."""
    problems: list[DisclosureProblem] = []
    inconsistent_reported: set[int] = set()
    atoms_by_comp = _Partition(system.atom_comp)
    rows_by_comp = _Partition(system.cons_comp)
    for comps, members in _group_by_components(units, system.atom_comp):
        comp_atoms = atoms_by_comp.members(comps)
        comp_rows = rows_by_comp.members(comps)
        comp = _component(system, comp_atoms, comp_rows)
        truth_local = system.truth[comp_atoms]
        truth_ok = comp.is_solution(truth_local)
        if truth_ok and not any(np.array_equal(truth_local, w) for w in comp.pool):
            comp.add_witness(truth_local)
        if not truth_ok and not comp.check_feasible():
            bad = sorted(comps - inconsistent_reported)
            inconsistent_reported |= comps
            if bad:
                involved = tuple(f for r in comp_rows for f in system.figures_of(int(r)))
                problems.append(_inconsistent_problem(involved))
            continue
        unit_matrix = _unit_matrix(units, members, comp_atoms, len(system.atoms))
        disclosed, solved = _checked(comp, unit_matrix, truth_local, truth_ok, k)
        found: dict[int, tuple[frozenset[CellKey], int, int | None, set[int]]] = {}
        for j in np.flatnonzero(disclosed):
            lidx = unit_matrix.indices[unit_matrix.indptr[j] : unit_matrix.indptr[j + 1]]
            low, high, binding = comp.explain(lidx, solved.get(int(j)))
            found[int(j)] = (units.cells(int(members[j]), families), low, high, binding)
        for jj, (cells, low, high, binding) in _not_implied(found, k).items():
            unit = _Unit(cells, int(units.truths[int(members[jj])]))
            involved_list: list[Figure] = []
            for r in sorted(binding):
                involved_list.extend(system.figures_of(int(comp_rows[r])))
            problems.append(_disclosure_problem(unit, describe(unit.cells), low, high,
                                                involved_list, ledger_ids, k))
    return problems


def _component(system: _System, comp_atoms: _IntArray, comp_rows: _IntArray) -> _Component:
    """The cached component of these constraints, seeded when new."""
    key = frozenset(system.keys[r] for r in comp_rows)

    def build() -> _Component:
        sub = system.incidence[comp_rows][:, comp_atoms].tocsr()
        return _Component(sub, system.lows[comp_rows], system.highs[comp_rows],
                          [system.atoms[int(i)] for i in comp_atoms])

    comp = _CACHE.get(key, build)
    if not comp.seeded:
        # a new constraint set, typically an earlier one plus the latest figures: start
        # from the tables that worked there (each is checked against these constraints)
        comp.seeded = True
        comp.seed(_CACHE.recent(_DONORS, comp), system.truth[comp_atoms])
    return comp


def _checked(
    comp: _Component, unit_matrix: sparse.csr_matrix, truth: _IntArray, truth_ok: bool, k: int,
) -> tuple[npt.NDArray[np.bool_], dict[int, dict[float, _LPSolution]]]:
    """:func:`_check_units`, or its answer for the same units of the same constraints in an
    earlier audit (the other bands a signal could have had leave most components alone)."""
    key = (unit_matrix.indptr.tobytes(), unit_matrix.indices.tobytes(), k)
    found = comp.results.get(key)
    if found is None:
        found = _check_units(comp, unit_matrix, truth, truth_ok, k)
        comp.results[key] = found
        while len(comp.results) > _RESULTS:
            del comp.results[next(iter(comp.results))]
    return found


def _unit_matrix(
    units: _UnitBatch, members: _IntArray, comp_atoms: _IntArray, n_atoms: int
) -> sparse.csr_matrix:
    """The units ``members`` as rows over the component's atoms."""
    local = np.full(n_atoms, -1, dtype=np.int64)
    local[comp_atoms] = np.arange(comp_atoms.size)
    counts, flat = _gather(units.ptr, units.atoms, members)
    unit_matrix = sparse.csr_matrix(
        (np.ones(flat.size), local[flat], np.concatenate([[0], np.cumsum(counts)])),
        shape=(members.size, comp_atoms.size),
    )
    unit_matrix.sort_indices()
    return unit_matrix


_Found = tuple[frozenset[CellKey], int, int | None, set[int]]


def _not_implied(found: Mapping[int, _Found], k: int) -> dict[int, _Found]:
    """The disclosed units not strictly implied by another disclosed unit: that one explains
    it, and loosening it loosens this one (units implying each other are both reported)."""

    def implies(by: tuple[frozenset[CellKey], int, int | None],
                unit: tuple[frozenset[CellKey], int, int | None]) -> bool:
        """A part known to be >= 1 bounds its whole, a whole below k-1 its parts."""
        return (by[0] < unit[0] and by[1] >= 1) or (
            by[0] > unit[0] and by[2] is not None and by[2] < k - 1
        )

    return {
        jj: item for jj, item in found.items()
        if not any(implies(other[:3], item[:3]) and not implies(item[:3], other[:3])
                   for other in found.values())
    }


def _figure_list(figures: Sequence[Figure], ledger_ids: set[int]) -> str:
    names: list[str] = []
    for f in figures:
        text = f"'{f.label}' ({f.display}" + (", released earlier)" if id(f) in ledger_ids else ")")
        if text not in names:
            names.append(text)
    shown = names[:4]
    rest = len(names) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} other figure{'s' if rest > 1 else ''}"
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return shown[0] if shown else "the published figures"


def _disclosure_problem(
    unit: _Unit,
    label: str,
    low: int,
    high: int | None,
    involved: list[Figure],
    ledger_ids: set[int],
    k: int,
) -> DisclosureProblem:
    if high is not None and low == high:
        amount = f"exactly {low} case{'s' if low != 1 else ''}"
    elif high is None:
        amount = f"at least {low} case{'s' if low != 1 else ''}"
    else:
        amount = f"between {low} and {high} cases"
    explanation = (
        f"Releasing this would let a reader work out that '{label}' holds {amount}, by "
        f"combining {_figure_list(involved, ledger_ids)}. Fewer than {k} cases must never be "
        "recognisable - not even that there were any - so this release is refused. Show less "
        "detail (for example leave out a total or choose a longer period), or wait until the "
        "figures are larger."
    )
    return DisclosureProblem(
        "disclosure", unit.cells, label, explanation, low, high, tuple(involved)
    )


def _inconsistent_problem(involved: tuple[Figure, ...]) -> DisclosureProblem:
    cells = frozenset(a for f in involved for a in f.cells)
    return DisclosureProblem(
        "inconsistent",
        cells,
        involved[0].label if involved else "",
        "These figures cannot all be true together with the figures released earlier (for "
        f"example {_figure_list(involved[:4], set())}). Usually a case was added or changed in "
        "a period that was already reported; releasing them would show readers that something "
        "changed there. Release figures for other periods instead.",
        figures=involved,
    )
