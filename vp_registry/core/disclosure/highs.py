"""The auditor's LPs, solved by HiGHS directly through ``highspy`` (speed only).

SciPy's ``linprog`` checks and converts its arguments on every call (about 1.5 ms), several
times what HiGHS needs for the auditor's LPs (50-350 merged atoms). The merged LPs come here:
feasibility, a unit's minimum and maximum, "can the unit be 0", "can it reach k-1", the batch
and spread tables - their answers are a status, an optimum or a table that is then checked
against every figure. The unmerged LPs whose duals name the binding figures of a disclosed
unit (its explanation) stay on ``linprog``, so explanations do not depend on this module. A
status other than optimal, infeasible or unbounded (numerical trouble, a limit) is answered by
``linprog`` instead. :data:`DIRECT` off is the plain path;
``tests/unit/test_disclosure_rules_in_ledger.py`` compares both.
"""

from __future__ import annotations

from typing import Final

import highspy
import numpy as np
from highspy._core import _Highs
from scipy import sparse

from vp_registry.core.disclosure.cells import _FloatArray, _IntArray

DIRECT: bool = True
"""Solve through highspy (False: every LP through SciPy's linprog, the plain path)."""

_STATUS: Final = {
    highspy.HighsModelStatus.kOptimal: 0,
    highspy.HighsModelStatus.kInfeasible: 2,
    highspy.HighsModelStatus.kUnbounded: 3,
}

_INF: Final = highspy.kHighsInf


def _finite(values: _FloatArray, infinity: float) -> _FloatArray:
    return np.where(np.isfinite(values), values, infinity).astype(np.float64)


class Columns:
    """A sparse matrix by columns (CSC arrays) from which an LP takes some columns."""

    def __init__(self, matrix: sparse.spmatrix) -> None:
        csc = sparse.csc_matrix(matrix)
        csc.sort_indices()
        self.shape: tuple[int, int] = csc.shape
        self.indptr = csc.indptr.astype(np.int64)
        self.indices = csc.indices.astype(np.int32)
        self.data = csc.data.astype(np.float64)

    def take(self, columns: _IntArray) -> tuple[_IntArray, _IntArray, _FloatArray]:
        """(starts, row indices, values) of ``columns``, in that order."""
        begin = self.indptr[columns]
        lengths = self.indptr[columns + 1] - begin
        starts = np.zeros(columns.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        take = np.repeat(begin - starts[:-1], lengths) + np.arange(starts[-1])
        return starts, self.indices[take], self.data[take]


class Problem:
    """Minimise ``cost @ x`` over ``0 <= x <= col_upper`` with ranged rows
    ``row_lower <= A x <= row_upper`` (infinities allowed), A given by some ``columns``."""

    def __init__(
        self, columns: Columns, take: _IntArray, cost: _FloatArray, col_upper: _FloatArray,
        row_lower: _FloatArray, row_upper: _FloatArray,
    ) -> None:
        # highspy.Highs() prints a banner to stdout when first built; the core class does not
        self._h = h = _Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")  # small LPs: presolve costs more than it saves
        starts, indices, values = columns.take(take)
        m, n = columns.shape[0], take.size
        h.passModel(
            n, m, indices.size, int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMinimize), 0.0,
            np.ascontiguousarray(cost, dtype=np.float64), np.zeros(n),
            _finite(col_upper, _INF), _finite(row_lower, -_INF), _finite(row_upper, _INF),
            starts[:-1].astype(np.int32), indices, values, np.zeros(n, dtype=np.int32),
        )
        self.n = n

    def add_rows(self, rows: sparse.csr_matrix, lower: _FloatArray, upper: _FloatArray) -> None:
        """Rows over the problem's columns (as taken)."""
        rows = sparse.csr_matrix(rows)
        self._h.addRows(rows.shape[0], _finite(lower, -_INF), _finite(upper, _INF), rows.nnz,
                        rows.indptr[:-1].astype(np.int32), rows.indices.astype(np.int32),
                        rows.data.astype(np.float64))

    def add_columns(self, columns: sparse.csc_matrix, cost: _FloatArray,
                    upper: _FloatArray) -> None:
        """Columns over the problem's rows (added rows included)."""
        columns = sparse.csc_matrix(columns)
        count = columns.shape[1]
        self._h.addCols(count, np.ascontiguousarray(cost, dtype=np.float64), np.zeros(count),
                        _finite(upper, _INF), columns.nnz, columns.indptr[:-1].astype(np.int32),
                        columns.indices.astype(np.int32), columns.data.astype(np.float64))
        self.n += count

    def solve(self) -> tuple[int, _FloatArray | None] | None:
        """(0, x) optimal, (2, None) infeasible, (3, None) unbounded; None when HiGHS ends
        otherwise (numerical trouble, a limit): the caller then asks ``linprog``."""
        self._h.run()
        status = _STATUS.get(self._h.getModelStatus())
        if status is None or status != 0:
            return None if status is None else (status, None)
        return 0, np.asarray(self._h.getSolution().col_value, dtype=np.float64)
