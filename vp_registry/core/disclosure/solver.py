"""The constraint system of one connected part of the figures: its sparse matrix, a pool of
integer witness tables, and the LP/MILP solvers (HiGHS: directly, highs.py, or via SciPy)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, linprog, milp

from vp_registry.core.disclosure import highs as _highs
from vp_registry.core.disclosure.cells import (
    CellKey,
    _FloatArray,
    _IntArray,
)

_Constraint = tuple[frozenset[CellKey], int, int | None]


_LPSolution = tuple[int, "_FloatArray | None", "_FloatArray"]


_EPS: Final = 1e-6


_LP_MARGIN: Final = 1e-4  # an LP bound settles "cannot" only when clearly beyond 0 or k


_POOL_SIZE: Final = 64


def _column_classes(matrix: sparse.csr_matrix) -> _IntArray:
    """One class number per atom (column); atoms with the same rows and coefficients share one."""
    by_column = matrix.tocsc()
    by_column.sort_indices()
    signatures: dict[tuple[bytes, bytes], int] = {}
    return np.fromiter(
        (
            signatures.setdefault(
                (
                    by_column.indices[by_column.indptr[j] : by_column.indptr[j + 1]].tobytes(),
                    by_column.data[by_column.indptr[j] : by_column.indptr[j + 1]].tobytes(),
                ),
                len(signatures),
            )
            for j in range(matrix.shape[1])
        ),
        dtype=np.int64,
        count=matrix.shape[1],
    )


class _Solver:
    """Non-negative integer atoms of one connected part of the published figures.

    Holds the sparse matrix (one row per distinct constraint), a pool of integer witness tables
    and a verdict cache, and solves LPs and MILPs over it. Nothing in it depends on the true
    counts, so it can be reused across audits whose constraints in this part are the same.
    """

    def __init__(
        self,
        matrix: sparse.csr_matrix,
        lows: _FloatArray,
        highs: _FloatArray,
        atoms: Sequence[CellKey] = (),
    ) -> None:
        self.matrix = matrix
        self.lows = lows
        self.highs = highs
        self.n = matrix.shape[1]
        self.atoms = tuple(atoms)
        self.seeded = False
        self.pool: list[_IntArray] = []
        self.verdicts: dict[tuple[bytes, int], bool] = {}  # unit -> disclosed
        # a whole unit set -> (disclosed, LPs solved), see auditor._checked
        self.results: dict[tuple[bytes, bytes, int], tuple[
            npt.NDArray[np.bool_], dict[int, dict[float, _LPSolution]]]] = {}
        self.feasible: bool | None = None
        self._stacked: _FloatArray | None = None
        # rows with a negative coefficient (published rules, e.g. a rise) bind even at low 0
        negative = np.zeros(matrix.shape[0], dtype=bool)
        coo_all = matrix.tocoo()
        negative[coo_all.row[coo_all.data < 0]] = True
        self.negative_rows = negative
        eq = lows == highs
        upper = ~eq & np.isfinite(highs)
        lower = ~eq & ((lows > 0) | negative)
        self.eq_rows = np.flatnonzero(eq)
        self.upper_rows = np.flatnonzero(upper)
        self.lower_rows = np.flatnonzero(lower)
        self.a_eq = matrix[self.eq_rows] if self.eq_rows.size else None
        self.b_eq = lows[self.eq_rows]
        parts = []
        if self.upper_rows.size:
            parts.append(matrix[self.upper_rows])
        if self.lower_rows.size:
            parts.append(-matrix[self.lower_rows])
        self.a_ub = sparse.vstack(parts, format="csr") if parts else None
        self.b_ub = np.concatenate([highs[self.upper_rows], -lows[self.lower_rows]])
        # the same rows as ranges, for HiGHS directly (highs.py): a low that binds nothing
        # (0 without a negative coefficient) is left out like above
        said = eq | upper | lower
        self.range_rows = matrix[np.flatnonzero(said)].tocsr()
        self.range_lower = np.where(eq | lower, lows, -np.inf)[said]
        self.range_upper = highs[said]
        self.range_columns = _highs.Columns(self.range_rows)
        # finite upper bound per atom (min over the figures containing it): an atom without one
        # can grow without limit
        atom_high = np.full(self.n, np.inf)
        coo = matrix.tocoo()
        np.minimum.at(atom_high, coo.col, highs[coo.row])
        self.atom_unbounded = ~np.isfinite(atom_high)
        # an atom in a rule with a negative coefficient may be bounded through the rule
        self.atom_unbounded[coo.col[negative[coo.row]]] = False
        # atoms with the same column (in exactly the same figures) are interchangeable
        self.column_class = _column_classes(matrix)

    # -- witnesses --------------------------------------------------------------------------

    def is_solution(self, x: _IntArray) -> bool:
        if x.min(initial=0) < 0:
            return False
        sums = self.matrix @ x
        return bool(np.all(sums >= self.lows - 0.5) and np.all(sums <= self.highs + 0.5))

    def _integral(self, x: npt.NDArray[np.float64] | None) -> _IntArray | None:
        if x is None:
            return None
        rounded = np.round(x)
        if np.max(np.abs(x - rounded), initial=0.0) > _EPS:
            return None
        candidate = np.maximum(rounded, 0).astype(np.int64)
        return candidate if self.is_solution(candidate) else None

    def add_witness(self, x: _IntArray) -> bool:
        """Pool a table that satisfies every constraint (anything else is dropped: False)."""
        if not self.is_solution(x):
            return False
        self.pool.append(x)
        if len(self.pool) > _POOL_SIZE:
            del self.pool[0]
        self._stacked = None
        return True

    def seed(self, donors: Sequence[_Solver], fill: _IntArray) -> None:
        """Try the witness tables of other components (e.g. this part before the latest release).

        Each donor table is carried over atom by atom (same (department, category, quarter)),
        completed with ``fill`` on the atoms it does not cover, and joins the pool only if it
        is a non-negative integer table satisfying every constraint here. So the pool stays
        sound whatever the donors are; a good donor only saves LPs.
        """
        if len(self.atoms) != self.n or fill.size != self.n:
            return
        position = {a: i for i, a in enumerate(self.atoms)}
        blocks: list[_IntArray] = []
        for donor in donors:
            pool = list(donor.pool)
            if not pool or len(donor.atoms) != donor.n:
                continue
            target = np.fromiter(
                (position.get(a, -1) for a in donor.atoms), dtype=np.int64, count=donor.n
            )
            hit = target >= 0
            if not bool(hit.any()):
                continue
            block = np.repeat(fill[:, np.newaxis], len(pool), axis=1)
            block[target[hit]] = np.column_stack(pool)[hit]
            blocks.append(block)
        if not blocks:
            return
        tables = np.concatenate(blocks[::-1], axis=1)
        sums = self.matrix @ tables.astype(np.float64)
        valid = (
            (tables >= 0).all(axis=0)
            & (sums >= self.lows[:, np.newaxis] - 0.5).all(axis=0)
            & (sums <= self.highs[:, np.newaxis] + 0.5).all(axis=0)
        )
        known = {w.tobytes() for w in self.pool}
        for column in np.flatnonzero(valid)[-_POOL_SIZE:]:
            table = np.ascontiguousarray(tables[:, column])
            if table.tobytes() not in known:
                known.add(table.tobytes())
                self.add_witness(table)

    def witness_matrix(self) -> _FloatArray:
        """The pool as columns of one (atoms x witnesses) matrix, for one product per check."""
        stacked = self._stacked
        if stacked is None:
            pool = list(self.pool)
            stacked = (
                np.column_stack(pool).astype(np.float64) if pool else np.zeros((self.n, 0))
            )
            self._stacked = stacked
        return stacked

    # -- LP / MILP --------------------------------------------------------------------------

    def _merge(
        self, objective: _FloatArray, zero: _IntArray | None, at_least: _IntArray | None
    ) -> tuple[_IntArray, _IntArray]:
        """Merge interchangeable atoms for one LP/MILP: same column, objective and bounds.

        Such atoms only ever appear through their sum, and a sum of non-negative (integer)
        variables takes exactly the non-negative (integer) values, so the merged problem has
        the same feasible values, optimum, integrality and constraint rows; a solution maps
        back by putting each merged value on one atom. Returns (one atom per merged variable,
        in atom order; the merged variable of every atom); :meth:`_pick` maps the rows.
        """
        flags = np.zeros(self.n, dtype=np.int64)
        if zero is not None:
            flags[zero] |= 1
        if at_least is not None:
            flags[at_least] |= 2
        order = np.lexsort((flags, objective, self.column_class))
        change = np.ones(self.n, dtype=bool)
        change[1:] = (
            (np.diff(self.column_class[order]) != 0)
            | (np.diff(objective[order]) != 0)
            | (np.diff(flags[order]) != 0)
        )
        first = order[change]  # lexsort is stable: the lowest atom of each merged set
        rank = np.argsort(first, kind="stable")
        merged = np.empty(self.n, dtype=np.int64)
        merged[order] = np.argsort(rank, kind="stable")[np.cumsum(change) - 1]
        reps = first[rank]
        return reps, merged

    def _pick(self, reps: _IntArray) -> sparse.csr_matrix:
        """The atoms x merged variables matrix: a merged variable's column is its
        representative atom's (merged atoms have the same column)."""
        return sparse.csr_matrix(
            (np.ones(reps.size), (reps, np.arange(reps.size))), shape=(self.n, reps.size)
        )

    def lp(
        self,
        objective: _FloatArray,
        zero: _IntArray | None = None,
        at_least: tuple[_IntArray, int] | None = None,
        *,
        merge: bool = True,
    ) -> tuple[int, _FloatArray | None, _FloatArray]:
        """Solve the LP relaxation; return (status, x, |dual| per constraint row).

        ``merge=False`` solves it over all atoms as they are through ``linprog``: the same
        optimum, but the duals (which figures are binding, named in explanations) are the
        ones the solver picks for the unmerged problem. Merged LPs have no duals when HiGHS
        is called directly (:meth:`_lp_direct`).
        """
        if merge:
            reps, merged = self._merge(objective, zero, None if at_least is None else at_least[0])
            direct = _highs.DIRECT and self._lp_direct(objective, zero, at_least, reps, merged)
            if direct:
                return direct
            pick = self._pick(reps)
            a_eq = self.a_eq @ pick if self.a_eq is not None else None
            a_ub = self.a_ub @ pick if self.a_ub is not None else None
        else:
            reps = merged = np.arange(self.n)
            a_eq, a_ub = self.a_eq, self.a_ub
        m = reps.size
        upper = np.full(m, np.inf)
        if zero is not None:
            upper[merged[zero]] = 0.0
        b_ub = self.b_ub
        if at_least is not None:
            idx, bound = at_least
            columns = np.unique(merged[idx])
            row = sparse.csr_matrix(
                (-np.ones(columns.size), (np.zeros(columns.size, dtype=np.int64), columns)),
                shape=(1, m),
            )
            a_ub = row if a_ub is None else sparse.vstack([a_ub, row], format="csr")
            b_ub = np.concatenate([b_ub, [-float(bound)]])
        res = linprog(
            objective[reps],
            A_ub=a_ub,
            b_ub=b_ub if a_ub is not None else None,
            A_eq=a_eq,
            b_eq=self.b_eq if a_eq is not None else None,
            bounds=np.column_stack([np.zeros(m), upper]),
            method="highs",
        )
        duals = np.zeros(self.matrix.shape[0])
        if res.status == 0:
            self._add_duals(duals, res, a_eq is not None, a_ub is not None)
            x = np.zeros(self.n)
            x[reps] = np.asarray(res.x, dtype=np.float64)
            return 0, x, duals
        return int(res.status), None, duals

    def _add_duals(self, duals: _FloatArray, res: OptimizeResult, eq: bool, ub: bool) -> None:
        """|dual| of each constraint row from a linprog result."""
        if eq:
            duals[self.eq_rows] += np.abs(res.eqlin.marginals)
        if ub:
            marg = np.abs(res.ineqlin.marginals)
            nu = self.upper_rows.size
            duals[self.upper_rows] += marg[:nu]
            duals[self.lower_rows] += marg[nu : nu + self.lower_rows.size]

    def _lp_direct(
        self, objective: _FloatArray, zero: _IntArray | None,
        at_least: tuple[_IntArray, int] | None, reps: _IntArray, merged: _IntArray,
    ) -> tuple[int, _FloatArray | None, _FloatArray] | None:
        """The merged LP through HiGHS directly (:mod:`.highs`); None: ask ``linprog``.
        No duals: only the unmerged LPs (explanations) use them. A merged variable's column
        is its representative atom's (merged atoms have the same column)."""
        m = reps.size
        upper = np.full(m, np.inf)
        if zero is not None:
            upper[merged[zero]] = 0.0
        problem = _highs.Problem(self.range_columns, reps, objective[reps], upper,
                                 self.range_lower, self.range_upper)
        if at_least is not None:
            idx, bound = at_least
            columns = np.unique(merged[idx])
            problem.add_rows(
                sparse.csr_matrix((np.ones(columns.size), columns, [0, columns.size]),
                                  shape=(1, m)),
                np.array([float(bound)]), np.array([np.inf]))
        found = problem.solve()
        if found is None:
            return None
        status, solution = found
        duals = np.zeros(self.matrix.shape[0])
        if solution is None:
            return status, None, duals
        x = np.zeros(self.n)
        x[reps] = solution
        return 0, x, duals

    def milp(
        self,
        objective: _FloatArray,
        zero: _IntArray | None = None,
        at_least: tuple[_IntArray, int] | None = None,
    ) -> tuple[int, _IntArray | None]:
        """Solve exactly over the integers; status 0 optimal, 2 infeasible, 3 unbounded."""
        reps, merged = self._merge(
            objective, zero, at_least[0] if at_least is not None else None
        )
        pick = self._pick(reps)
        m = reps.size
        upper = np.full(m, np.inf)
        if zero is not None:
            upper[merged[zero]] = 0.0
        constraints = [LinearConstraint(self.matrix @ pick, self.lows, self.highs)]
        if at_least is not None:
            idx, bound = at_least
            row = np.zeros(m)
            row[np.unique(merged[idx])] = 1.0
            constraints.append(LinearConstraint(row[np.newaxis, :], float(bound), np.inf))
        res = milp(
            objective[reps],
            integrality=np.ones(m),
            bounds=Bounds(np.zeros(m), upper),
            constraints=constraints,
            options={"time_limit": 30.0},
        )
        if res.status == 0 and res.x is not None:
            x = np.zeros(self.n, dtype=np.int64)
            x[reps] = np.maximum(np.round(res.x), 0).astype(np.int64)
            return 0, x
        if res.status in (2, 3):
            return int(res.status), None
        # time limit or numerical trouble: the caller must treat the question as unanswered
        return 4, None

    def check_feasible(self) -> bool:
        if self.feasible is None:
            status, x, _ = self.lp(np.zeros(self.n))
            if status != 0:
                self.feasible = False
            else:
                witness = self._integral(x)
                if witness is None:
                    mstatus, witness = self.milp(np.zeros(self.n))
                    self.feasible = mstatus == 0
                else:
                    self.feasible = True
                if witness is not None:
                    self.add_witness(witness)
        return self.feasible

    def spread(self, units: sparse.csr_matrix, cap: int) -> _IntArray | None:
        """An integer table giving as many of ``units`` (rows) as possible ``cap`` cases.

        Maximises the sum of min(unit, cap) (an LP with one capped variable per unit, so the
        optimum spreads cases over the units instead of piling them into one). The table is
        returned only when it is an integer table satisfying every constraint - a witness
        like any other (speed only).
        """
        b, n = units.shape
        if _highs.DIRECT:
            # the component's rows over the atoms, then link rows y_j - unit_j(x) <= 0 and
            # the capped variables y_j
            problem = _highs.Problem(self.range_columns, np.arange(n), np.zeros(n),
                                     np.full(n, np.inf), self.range_lower, self.range_upper)
            problem.add_rows(-units, np.full(b, -np.inf), np.zeros(b))
            rows = self.range_rows.shape[0]
            problem.add_columns(
                sparse.csc_matrix((np.ones(b), np.arange(rows, rows + b), np.arange(b + 1)),
                                  shape=(rows + b, b)),
                -np.ones(b), np.full(b, float(cap)))
            found = problem.solve()
            if found is not None:
                status, x = found
                return self._integral(x[:n]) if status == 0 and x is not None else None
        link = sparse.hstack([-units, sparse.identity(b, format="csr")], format="csr")
        objective = np.concatenate([np.zeros(n), -np.ones(b)])
        upper = np.concatenate([np.full(n, np.inf), np.full(b, float(cap))])
        parts = [link]
        if self.a_ub is not None:
            parts.insert(0, sparse.hstack(
                [self.a_ub, sparse.csr_matrix((self.a_ub.shape[0], b))], format="csr"))
        a_ub = sparse.vstack(parts, format="csr")
        b_ub = np.concatenate([self.b_ub, np.zeros(b)]) if self.a_ub is not None else np.zeros(b)
        a_eq = (sparse.hstack([self.a_eq, sparse.csr_matrix((self.a_eq.shape[0], b))],
                              format="csr") if self.a_eq is not None else None)
        res = linprog(
            objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq,
            b_eq=self.b_eq if a_eq is not None else None,
            bounds=np.column_stack([np.zeros(n + b), upper]), method="highs",
        )
        if res.status != 0 or res.x is None:
            return None
        return self._integral(np.asarray(res.x[:n], dtype=np.float64))








