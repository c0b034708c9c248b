"""The auditor: checks a candidate release against itself and the whole ledger."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from vp_registry.core.disclosure.cells import (
    CellKey,
    _quarter_index,
    _whole_years,
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
from vp_registry.core.disclosure.parts import (
    _checked,
    _unit_matrix,
    _with_truth,
    decide_components,
)
from vp_registry.core.disclosure.scope import candidate_components, same_categories, within
from vp_registry.core.disclosure.system import _System
from vp_registry.core.disclosure.units import (
    UnitFamilies,
    _group_by_components,
    _Partition,
    _UnitBatch,
    _units_to_check,
    unit_families_after,
)


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
    decision: bool = False,
    scoped: bool = False,
    candidate_rules: Sequence[RuleConstraint] = (),
) -> AuditResult:
    """Check a candidate release against itself and the whole ledger; see the package docstring.

    ``constraints``: the published rules a reader applies to the figures (a rise's
    inequalities, from the ledger and the candidate); they join the constraint system.
    ``decision``: only whether the candidate discloses something - the units its figures can
    change (:mod:`.scope`: ``constraints`` only the ledger's and rules on its own cells), up
    to the first disclosure, unexplained. ``scoped``: the same units, every problem
    explained (to explain a decision's refusal). ``candidate_rules``: rules the candidate
    publishes (a review's rise answer, issue 12), in the system and in the scope.

    Refuses (``ok=False``) when a published unit could be narrowed (its consistent values
    neither include all of 0..k-1 nor are all at least k), when a figure was released before
    with another interval, when a candidate figure does not match the counts, or when the
    figures contradict each other.
    """
    if any(v < 0 for v in true_counts.values()):
        raise ValueError("case counts cannot be negative")
    naming = naming or Naming()
    # every published D x C x P product and explicit unit, whatever its true count (the
    # verdict must be a function of the published figures only)
    families = unit_families_after(ledger, candidate)
    if decision or scoped:  # the rest cannot change (.scope)
        ledger, constraints = same_categories(candidate, ledger, constraints)
    constraints = [*constraints, *_own_rules(candidate, candidate_rules)]
    all_figures = [*ledger, *candidate]
    labels: dict[frozenset[CellKey], str] = {}
    for f in all_figures:
        labels.setdefault(f.cells, f.label)

    def describe(cells: frozenset[CellKey]) -> str:
        return labels.get(cells) or naming.describe(cells)

    problems = _changed_figures(candidate, ledger) + _incorrect_figures(candidate, true_counts)
    if rules.first_quarter is not None:
        constraints = _with_start(all_figures, constraints, true_counts, rules.first_quarter,
                                  describe, problems)
    system = _System.build(all_figures, constraints, true_counts)
    scope: frozenset[int] | None = None
    if decision or scoped:
        scope = _scope(system, candidate, candidate_rules)
        families = within(families, system.atom_index, system.atom_comp, scope)
    units = _units_to_check(families, true_counts, system.atom_index)
    units_checked = len(families.explicit) + (
        len(families.departments) * len(families.categories) * len(families.periods))
    problems += (decide_components(system, units, families, describe, rules.k, scope)
                 if decision and scope is not None else _check_components(
                     system, units, families, describe, set(map(id, ledger)), rules.k, scope))
    return AuditResult(not problems, problems, units_checked=units_checked)


def _scope(system: _System, candidate: Sequence[Figure],
           candidate_rules: Sequence[RuleConstraint]) -> frozenset[int]:
    """The components of the candidate's figures and of its own rules (.scope)."""
    return candidate_components(candidate, system.atom_index, system.atom_comp) | {
        int(system.atom_comp[system.atom_index[a]])
        for rule in candidate_rules for a in rule.atoms if a in system.atom_index}


def _own_rules(candidate: Sequence[Figure], candidate_rules: Sequence[RuleConstraint]
               ) -> Sequence[RuleConstraint]:
    """The candidate's own rules, whose categories its figures must cover (so that
    ``same_categories`` kept every ledger row they can meet)."""
    cats = {c for f in candidate for c in f.categories}
    if any(not r.categories <= cats for r in candidate_rules):
        raise ValueError("a candidate rule needs a candidate figure of its categories")
    return candidate_rules


def decide(
    candidate: Sequence[Figure], ledger: Sequence[Figure], true_counts: Mapping[CellKey, int],
    rules: DisclosureRules = DEFAULT_RULES, *, naming: Naming | None = None,
    constraints: Sequence[RuleConstraint] = (),
) -> AuditResult:
    """:func:`audit` with ``decision=True``, and when it objects the same units again with
    every problem explained (``scoped=True``) - the release decision of a preview or check.
    Where the ledger alone narrows nothing it is the full audit's verdict (.scope); a
    release's approval (``services.signals.ledger.approve``) still runs the full audit."""
    result = audit(candidate, ledger, true_counts, rules, naming=naming,
                   constraints=constraints, decision=True)
    if result.ok:
        return result
    explained = audit(candidate, ledger, true_counts, rules, naming=naming,
                      constraints=constraints, scoped=True)
    return explained if not explained.ok else result


def _changed_figures(
    candidate: Sequence[Figure], ledger: Sequence[Figure]
) -> list[DisclosureProblem]:
    """A released figure is never re-released with another value."""
    problems: list[DisclosureProblem] = []
    seen: dict[frozenset[CellKey], Figure] = {f.cells: f for f in ledger}
    for f in candidate:
        before = seen.get(f.cells)
        if f.low == 0 and f.high is None:
            continue  # "0+" says nothing, so it changes nothing (e.g. totals.structure)
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


def _with_start(
    figures: Sequence[Figure], constraints: Sequence[RuleConstraint],
    true_counts: Mapping[CellKey, int], first_quarter: str,
    describe: Callable[[frozenset[CellKey]], str], problems: list[DisclosureProblem],
) -> list[RuleConstraint]:
    """The registry's first quarter is public: department atoms before it are empty, a rule
    the reader applies (-atom >= 0); a count there contradicts the setting (a problem)."""
    early = _before_start(figures, constraints, first_quarter)
    problems += _counted_before_start(early, true_counts, first_quarter, describe)
    return [*constraints, *(
        RuleConstraint(((frozenset({a}), -1),), 0,
                       f"no cases before the registry's first quarter {first_quarter}")
        for a in early)]


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


def _check_components(
    system: _System, units: _UnitBatch, families: UnitFamilies,
    describe: Callable[[frozenset[CellKey]], str], ledger_ids: set[int], k: int,
    scope: frozenset[int] | None = None,
) -> list[DisclosureProblem]:
    """Solve per set of components the units touch (with ``scope``: only those touching
    it); the problems found."""
    problems: list[DisclosureProblem] = []
    inconsistent_reported: set[int] = set()
    atoms_by_comp = _Partition(system.atom_comp)
    rows_by_comp = _Partition(system.cons_comp)
    for comps, members in _group_by_components(units, system.atom_comp):
        if scope is not None and comps.isdisjoint(scope):
            continue
        comp_atoms = atoms_by_comp.members(comps)
        comp_rows = rows_by_comp.members(comps)
        comp, truth_local, truth_ok = _with_truth(system, comp_atoms, comp_rows)
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
