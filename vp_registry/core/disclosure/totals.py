"""May an organisation-wide total be shown exact next to what the ledger says of its groups?
(issue 12, "The absence of a signal is public" in docs/decisions.md)

The ledger bounds a column's groups (a review's silence ``< k``, a candidate's ``k+``, a
released band); an exact total then pins a group as soon as it exceeds the sum of the others'
upper bounds (silences 0-2 and 0-2, total 3: both groups 1-2), or falls short of the others'
lower bounds. Whether the total is shown must not depend on its value - "x" would then say
which values it has - so, like ``services.signals.publishing.audit_release`` does for a
signal's bands, the total is audited for EVERY value it could have (``< k`` below k, each
exact value from k on) against the ledger, and shown only when none discloses anything. The
decision reads the ledger and the structure only: a reader could take it themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
from scipy.optimize import linprog

from vp_registry.core.disclosure.auditor import audit
from vp_registry.core.disclosure.cells import CellKey, _quarter_index
from vp_registry.core.disclosure.figures import (
    DisclosureRules,
    Figure,
    RuleConstraint,
)


def bounds_the_column(cells: frozenset[CellKey], ledger: Sequence[Figure]) -> bool:
    """Does an earlier figure (not an organisation-wide total) say something about atoms of
    this column?"""
    return any(not f.organisation_wide and not f.cells.isdisjoint(cells) for f in ledger)


def department_atoms(ledger: Sequence[Figure]) -> frozenset[CellKey]:
    """The atoms earlier department-level figures touch: :func:`bounds_the_column` is
    ``not cells.isdisjoint(department_atoms(ledger))`` (one pass for many columns)."""
    return frozenset(a for f in ledger if not f.organisation_wide for a in f.cells)


def structure(groups: Sequence[frozenset[CellKey]]) -> list[Figure]:
    """Figures that say nothing (``0+``) but make the auditor check what a reader checks:
    every group of ``groups`` (cells of one category over some quarters) and every quarter
    and calendar year of them, as units - the auditor's units come from published shapes,
    and a group next to a total or a silence is public structure (issue 12)."""
    if not groups:
        return []
    quarters = sorted({a[2] for cells in groups for a in cells}, key=_quarter_index)
    first = sorted(groups, key=sorted)[0]
    depts = sorted({a[0] for a in first})
    category = next(iter(first))[1]
    years = sorted({q[:4] for q in quarters})
    periods = [[q] for q in quarters] + [[f"{y}-Q{n}" for n in range(1, 5)] for y in years]
    out = [Figure(cells, 0, None, "structure") for cells in groups]
    out += [Figure(frozenset((d, category, q) for d in depts for q in period), 0, None,
                   "structure") for period in periods]
    return out


def every_value_safe(
    cells: frozenset[CellKey], label: str, ledger: Sequence[Figure], rules: DisclosureRules,
    counts: Mapping[CellKey, int], constraints: Sequence[RuleConstraint] = (),
    groups: Sequence[frozenset[CellKey]] = (),
) -> bool:
    """No value the total over ``cells`` could have discloses a unit, given ``ledger``.

    The values tried: ``< k`` (when the ledger allows a total below k) and every exact value
    from k up to the largest the ledger allows (when the ledger leaves the column unbounded:
    up to the sum of its figures' bounds plus k - above that every group bounded by the
    ledger can take each of its values and the unbounded ones take the rest). Values the ledger
    rules out are skipped (the auditor finds them inconsistent). The extremes come first: the
    highest and lowest values are where a total pins its groups. ``groups``: the column's
    group cells, checked as units (:func:`structure`).
    """
    k = rules.k
    shapes = structure(groups)
    for value in _values(cells, ledger, rules, constraints):
        figure = (Figure(cells, 0, k - 1, label, True) if value is None
                  else Figure.exact(cells, value, label, organisation_wide=True))
        result = audit([figure, *shapes], ledger, counts, rules, constraints=constraints,
                       decision=True)  # its own components only (.scope)
        if any(p.kind == "disclosure" for p in result.problems):
            return False
    return True


def _values(cells: frozenset[CellKey], ledger: Sequence[Figure], rules: DisclosureRules,
            constraints: Sequence[RuleConstraint]) -> Iterator[int | None]:
    k = rules.k
    low, high = _range(cells, ledger, rules, constraints)
    if low < k:
        yield None
    first, last = max(low, k), high
    while first <= last:  # extremes first
        yield last
        if first < last:
            yield first
        first, last = first + 1, last - 1


def _related(cells: frozenset[CellKey], ledger: Sequence[Figure],
             constraints: Sequence[RuleConstraint]) -> tuple[list[Figure], list[RuleConstraint],
                                                             set[CellKey]]:
    """The figures and rules linked to ``cells`` through shared atoms, and their atoms."""
    atoms = set(cells)
    figures: list[Figure] = []
    rules: list[RuleConstraint] = []
    left_f, left_r = list(ledger), list(constraints)
    changed = True
    while changed:
        changed = False
        for f in list(left_f):
            if not atoms.isdisjoint(f.cells):
                figures.append(f)
                left_f.remove(f)
                atoms |= f.cells
                changed = True
        for r in list(left_r):
            coefficients = r.coefficients()
            if not atoms.isdisjoint(coefficients):
                rules.append(r)
                left_r.remove(r)
                atoms |= set(coefficients)
                changed = True
    return figures, rules, atoms


def _range(cells: frozenset[CellKey], ledger: Sequence[Figure], rules: DisclosureRules,
           constraints: Sequence[RuleConstraint]) -> tuple[int, int]:
    """The smallest and largest sum of ``cells`` the ledger allows (LP relaxation, rounded
    outwards; an unbounded maximum becomes the sum of the linked figures' bounds plus k)."""
    figures, rules_linked, atom_set = _related(cells, ledger, constraints)
    atoms = sorted(atom_set)
    index = {a: i for i, a in enumerate(atoms)}
    rows: list[np.ndarray] = []
    rhs: list[float] = []
    for f in figures:
        row = np.zeros(len(atoms))
        row[[index[a] for a in f.cells]] = 1.0
        if f.high is not None:
            rows.append(row)
            rhs.append(f.high)
        rows.append(-row)
        rhs.append(-f.low)
    for r in rules_linked:
        row = np.zeros(len(atoms))
        for a, w in r.coefficients().items():
            row[index[a]] = -w
        rows.append(row)
        rhs.append(-r.low)
    start = None if rules.first_quarter is None else _quarter_index(rules.first_quarter)
    bounds = [(0.0, 0.0) if start is not None and a[0] >= 0 and _quarter_index(a[2]) < start
              else (0.0, None) for a in atoms]
    objective = np.zeros(len(atoms))
    objective[[index[a] for a in cells]] = 1.0
    a_ub = np.array(rows) if rows else None
    b_ub = np.array(rhs) if rows else None
    lowest = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    highest = linprog(-objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    low = int(np.floor(lowest.fun + 1e-9)) if lowest.status == 0 else 0
    if highest.status == 0:
        high = int(np.ceil(-highest.fun - 1e-9))
    else:  # unbounded (or, defensively, anything else): every bound of the column plus k
        high = sum(f.low + (f.high or 0) for f in figures) + rules.k
    return max(low, 0), max(high, 0)
