"""Which units of a component are disclosed: cheap witnesses first, then LPs and MILPs."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse

from vp_registry.core.disclosure.cells import (
    _FloatArray,
    _IntArray,
)
from vp_registry.core.disclosure.component import (
    _Component,
)
from vp_registry.core.disclosure.solver import (
    _LPSolution,
)

_SWAP_WITNESSES = True
"""Settle units by moving cases between interchangeable atoms of a consistent table - the true
table, pooled tables and every spread or batch LP table as it is found (speed only: the
verdict is the same without it, see tests/unit/test_disclosure_rules_in_ledger.py)."""


_SPREAD_WITNESSES = True
"""Before the per-unit LPs, look for one table giving many open units k-1 cases at once
(:meth:`_Component.spread`; speed only, like ``_SWAP_WITNESSES``)."""


_SPREAD_ROUNDS: Final = 2


def _values_by(
    unit_matrix: sparse.csr_matrix, rows: _IntArray, witnesses: _FloatArray, k: int
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """For ``rows``: does some witness table (a column) give the unit 0, does some give it
    k-1 or more? One sparse product."""
    if rows.size == 0 or witnesses.shape[1] == 0:
        none = np.zeros(rows.size, dtype=bool)
        return none, none.copy()
    values = np.asarray(unit_matrix[rows] @ witnesses)
    zero = np.asarray((values < 0.5).any(axis=1), dtype=bool)
    reach = np.asarray((values > k - 1.5).any(axis=1), dtype=bool)
    return zero, reach


def _check_units(
    comp: _Component,
    unit_matrix: sparse.csr_matrix,
    truth: _IntArray,
    truth_ok: bool,
    k: int,
) -> tuple[npt.NDArray[np.bool_], dict[int, dict[float, _LPSolution]]]:
    """Is each unit (row) disclosed? Safe when its consistent values include all of 0..k-1
    or are all at least k - a question about the published constraints only.

    Returns which units are disclosed, with the LPs already solved for them (for
    :meth:`_Component.explain`). "Can be 0" and "can reach k-1" are shown by integer tables
    that satisfy every constraint of the component (the true table, the true table with the
    unit zeroed, pooled tables, LP vertices) or, for reaching, by an atom no finite figure
    bounds; "at least k" by a figure of at least k inside the unit. What is left goes to LPs
    and MILPs one by one (:meth:`_Component.decide`). The true table only ever serves as one
    consistent table among others: which units are checked never depends on it.
    """
    checks = _Checks(comp, unit_matrix, k)
    checks.from_structure()
    if truth_ok:
        checks.from_truth(truth)
    tables = [truth] if truth_ok else []
    tables += list(comp.pool[-4:])
    if _SWAP_WITNESSES:
        checks.by_moving_cases(tables)
    checks.absorb(np.flatnonzero(~(checks.zero_ok & checks.reach_ok)), comp.witness_matrix())
    checks.from_cache()
    if _SPREAD_WITNESSES:
        checks.by_spreading()
    checks.by_batches()
    return checks.one_by_one()


class _Checks:
    """The state of one :func:`_check_units` call: which units are shown able to be 0 and
    to reach k-1, which are still open, and the verdicts so far."""

    def __init__(self, comp: _Component, unit_matrix: sparse.csr_matrix, k: int) -> None:
        self.comp, self.units, self.k = comp, unit_matrix, k
        m = unit_matrix.shape[0]
        self.zero_ok = np.zeros(m, dtype=bool)
        self.reach_ok = np.zeros(m, dtype=bool)
        self.disclosed = np.zeros(m, dtype=bool)
        self.open_mask = np.ones(m, dtype=bool)

    def atoms_of(self, j: int) -> _IntArray:
        atoms: _IntArray = self.units.indices[self.units.indptr[j] : self.units.indptr[j + 1]]
        return atoms

    def key_of(self, j: int) -> tuple[bytes, int]:
        return self.atoms_of(j).tobytes(), self.k

    def absorb(self, rows: _IntArray, tables: _FloatArray) -> None:
        """What the witness tables (columns) show for ``rows``."""
        zero, reach = _values_by(self.units, rows, tables, self.k)
        self.zero_ok[rows[zero]] = True
        self.reach_ok[rows[reach]] = True

    def settle(self, rows: _IntArray) -> None:
        """Units of ``rows`` that are now answered both ways are safe: cache and close them."""
        for j in rows[self.zero_ok[rows] & self.reach_ok[rows]]:
            self.comp.verdicts[self.key_of(int(j))] = False
        self.open_mask &= ~(self.zero_ok & self.reach_ok)

    def from_structure(self) -> None:
        """An atom no finite figure bounds reaches anything; a unit holding all atoms of a
        figure whose low is k or more is at least k (safe; explain never sees these)."""
        comp, units = self.comp, self.units
        if bool(comp.atom_unbounded.any()):
            self.reach_ok |= (units @ comp.atom_unbounded.astype(np.float64)) > 0.5
        big = np.flatnonzero((comp.lows >= self.k) & ~comp.negative_rows)
        if big.size:
            sizes = np.asarray(comp.matrix[big].sum(axis=1)).reshape(-1)
            inside = sparse.csr_matrix(units @ comp.matrix[big].T)
            covered = np.asarray((inside.toarray() > sizes[np.newaxis, :] - 0.5).any(axis=1))
            self.zero_ok |= covered
            self.reach_ok |= covered

    def from_truth(self, truth: _IntArray) -> None:
        """The true table (consistent) and the true table with the unit zeroed: only the sums
        of constraints that share atoms with the unit go down, by the unit's true count in
        them; none may drop below its low."""
        comp, k = self.comp, self.k
        values = self.units @ truth.astype(np.float64)
        self.zero_ok |= values < 0.5
        self.reach_ok |= values > k - 1.5
        rows = np.flatnonzero(~self.zero_ok)
        if rows.size == 0:
            return
        sub = self.units[rows]
        weighted = sparse.csr_matrix(
            (truth[sub.indices].astype(np.float64), sub.indices, sub.indptr), shape=sub.shape
        )
        removed = sparse.coo_matrix(comp.matrix @ weighted.T)
        base = comp.matrix @ truth.astype(np.float64)
        short = base[removed.row] - removed.data < comp.lows[removed.row] - 0.5
        fails = np.zeros(rows.size, dtype=bool)
        fails[removed.col[short]] = True
        self.zero_ok[rows[~fails]] = True

    def by_moving_cases(self, tables: list[_IntArray]) -> None:
        """Moving cases between atoms of one class (exactly the same constraint rows and
        coefficients) keeps every constraint: from a consistent table, a unit can be emptied
        when each class it holds cases of has an atom outside it, and can take all the cases
        of the classes it touches."""
        comp = self.comp
        open_rows = np.flatnonzero(~(self.zero_ok & self.reach_ok))
        if open_rows.size == 0 or not tables:
            return
        classes = comp.column_class
        n_classes = int(classes.max()) + 1 if classes.size else 0
        one_hot = sparse.csr_matrix(
            (np.ones(comp.n), (np.arange(comp.n), classes)), shape=(comp.n, n_classes))
        sub = self.units[open_rows]
        in_unit = (sub @ one_hot).toarray()  # atoms of each class inside the unit
        class_size = np.asarray(one_hot.sum(axis=0)).reshape(-1)
        touches = in_unit > 0.5
        has_outside = in_unit < class_size[np.newaxis, :] - 0.5
        for table in tables:
            cases = table.astype(np.float64)
            mass_total = one_hot.T @ cases
            weighted = sparse.csr_matrix(
                (cases[sub.indices], sub.indices, sub.indptr), shape=sub.shape)
            mass_in = (weighted @ one_hot).toarray()
            can_zero = ~((mass_in > 0.5) & ~has_outside).any(axis=1)
            reach = (np.where(touches, mass_total[np.newaxis, :], 0.0)).sum(axis=1)
            self.zero_ok[open_rows[can_zero]] = True
            self.reach_ok[open_rows[reach > self.k - 1.5]] = True

    def from_cache(self) -> None:
        """Open units decided in an earlier audit of the same component."""
        self.open_mask = ~(self.zero_ok & self.reach_ok)
        for j in np.flatnonzero(self.open_mask):
            cached = self.comp.verdicts.get(self.key_of(int(j)))
            if cached is not None:
                self.open_mask[j] = False
                self.disclosed[j] = cached

    def by_spreading(self) -> None:
        """One table giving as many open units as possible k-1 cases (:meth:`_Solver.spread`)."""
        for _ in range(_SPREAD_ROUNDS):
            rows = np.flatnonzero(self.open_mask & ~self.reach_ok)
            if rows.size == 0:
                break
            witness = self.comp.spread(self.units[rows], self.k - 1)
            if witness is None:
                break
            self.comp.add_witness(witness)
            before = int(self.reach_ok[rows].sum())
            self.absorb(np.flatnonzero(self.open_mask), witness[:, np.newaxis].astype(np.float64))
            if _SWAP_WITNESSES:
                self.by_moving_cases([witness])
            self.settle(np.flatnonzero(self.open_mask))
            if int(self.reach_ok[rows].sum()) == before:
                break

    def by_batches(self) -> None:
        """Minimise the sum of the units still needing 0, maximise those still needing k-1;
        an integral optimum settles many at once."""
        for sign, needed in ((1.0, self.zero_ok), (-1.0, self.reach_ok)):
            for _ in range(8):
                rows = np.flatnonzero(self.open_mask & ~needed)
                if rows.size == 0:
                    break
                objective = sign * np.asarray(
                    self.units[rows].sum(axis=0), dtype=np.float64
                ).reshape(-1)
                status, x, _ = self.comp.lp(objective)
                witness = self.comp._integral(x) if status == 0 else None
                if witness is None:
                    break
                self.comp.add_witness(witness)
                before = int(needed[rows].sum())
                self.absorb(rows, witness[:, np.newaxis].astype(np.float64))
                if _SWAP_WITNESSES:
                    self.by_moving_cases([witness])
                self.settle(np.flatnonzero(self.open_mask))
                if int(needed[rows].sum()) == before:
                    break

    def one_by_one(self) -> tuple[npt.NDArray[np.bool_], dict[int, dict[float, _LPSolution]]]:
        """LPs first, MILP only where the LP does not decide; every table found on the way
        is tried on the units still to come."""
        comp, open_mask = self.comp, self.open_mask
        pending = np.flatnonzero(open_mask)
        objective = np.asarray(self.units[pending].sum(axis=0), dtype=np.float64).reshape(-1)
        solved: dict[int, dict[float, _LPSolution]] = {}
        for j in pending:
            if not open_mask[j]:
                continue
            lidx = self.atoms_of(int(j))
            open_mask[j] = False
            objective[lidx] -= 1.0
            verdict, found, solved_here = comp.decide(
                lidx, self.k, objective, zero_known=bool(self.zero_ok[j]),
                reach_known=bool(self.reach_ok[j]))
            comp.verdicts[self.key_of(int(j))] = verdict
            self.disclosed[j] = verdict
            if verdict:
                solved[int(j)] = solved_here
            if found:
                rows = np.flatnonzero(open_mask)
                self.absorb(rows, np.column_stack(found).astype(np.float64))
                cleared = rows[self.zero_ok[rows] & self.reach_ok[rows]]
                for c in cleared:
                    comp.verdicts[self.key_of(int(c))] = False
                    objective[self.atoms_of(int(c))] -= 1.0
                open_mask[cleared] = False
        return self.disclosed, solved
