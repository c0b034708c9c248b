"""One component's part of an audit: the cached component, its verdict on a set of units, and
the unit rows over its atoms (moved out of ``auditor``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse

from vp_registry.core.disclosure.cache import _CACHE, _DONORS, _VERDICTS
from vp_registry.core.disclosure.cells import CellKey, _IntArray
from vp_registry.core.disclosure.checking import _check_units
from vp_registry.core.disclosure.component import _Component
from vp_registry.core.disclosure.figures import DisclosureProblem
from vp_registry.core.disclosure.scope import shape_key
from vp_registry.core.disclosure.solver import _LPSolution
from vp_registry.core.disclosure.system import _System
from vp_registry.core.disclosure.units import (
    UnitFamilies,
    _gather,
    _group_by_components,
    _Partition,
    _UnitBatch,
)

_RESULTS: Final = 8  # unit sets remembered per component


def decide_components(
    system: _System, units: _UnitBatch, families: UnitFamilies,
    describe: Callable[[frozenset[CellKey]], str], k: int, scope: frozenset[int],
) -> list[DisclosureProblem]:
    """``audit(decision=True)``: is a unit touching ``scope`` narrowed? The first one found
    (nothing explained), a contradiction, or nothing. A component shape decided before
    (``scope.shape_key``, per organisation) is not solved again."""
    atoms_by_comp = _Partition(system.atom_comp)
    rows_by_comp = _Partition(system.cons_comp)
    for comps, members in _group_by_components(units, system.atom_comp):
        if comps.isdisjoint(scope):
            continue  # its values are the ledger's alone (.scope)
        comp_atoms = atoms_by_comp.members(comps)
        comp_rows = rows_by_comp.members(comps)
        unit_matrix = _unit_matrix(units, members, comp_atoms, len(system.atoms))
        shape = shape_key(system.incidence, system.lows, system.highs, comp_rows, comp_atoms,
                          unit_matrix, k)
        known = _VERDICTS.get(shape)
        first = members
        if known is None:
            comp, truth_local, truth_ok = _with_truth(system, comp_atoms, comp_rows)
            if not truth_ok and not comp.check_feasible():
                return [DisclosureProblem("inconsistent", frozenset(), "",
                                          "these figures contradict each other")]
            disclosed, _ = _checked(comp, unit_matrix, truth_local, truth_ok, k)
            known = bool(disclosed.any())
            _VERDICTS.put(shape, known)
            first = members[disclosed]
        if known:
            return [_narrowed(first, units, families, describe)]
    return []


def _narrowed(members: _IntArray, units: _UnitBatch, families: UnitFamilies,
              describe: Callable[[frozenset[CellKey]], str]) -> DisclosureProblem:
    """A decision audit's answer: a unit of these ``members`` can be narrowed (named by the
    first; from a remembered shape, the first of the part's units)."""
    cells = units.cells(int(members[0]), families)
    return DisclosureProblem("disclosure", cells, describe(cells), "a unit could be narrowed")


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


def _with_truth(system: _System, comp_atoms: _IntArray, comp_rows: _IntArray
                ) -> tuple[_Component, _IntArray, bool]:
    """The cached component, the true table over its atoms, and whether that table meets the
    component's rows (then it is one of the witnesses too; if not, the figures may contradict
    each other - the caller checks)."""
    comp = _component(system, comp_atoms, comp_rows)
    truth_local = system.truth[comp_atoms]
    truth_ok = comp.is_solution(truth_local)
    if truth_ok and not any(np.array_equal(truth_local, w) for w in comp.pool):
        comp.add_witness(truth_local)
    return comp, truth_local, truth_ok


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
