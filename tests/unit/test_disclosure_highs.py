"""The auditor's LPs through HiGHS directly (core/disclosure/highs.py, issue 12 speed)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import sparse

from vp_registry.core.disclosure import highs


def _problem(cost: list[float], rows: list[list[float]], lower: list[float],
             upper: list[float]) -> highs.Problem:
    matrix = sparse.csr_matrix(np.array(rows, dtype=np.float64))
    n = matrix.shape[1]
    return highs.Problem(highs.Columns(matrix), np.arange(n), np.array(cost),
                         np.full(n, np.inf), np.array(lower), np.array(upper))


def test_an_lp_with_ranged_rows_an_added_row_and_an_added_column() -> None:
    # minimise x0 + 2 x1 with 3 <= x0 + x1 <= 5 and x0 <= 1: x = (1, 2)
    problem = _problem([1.0, 2.0], [[1, 1], [1, 0]], [3.0, -np.inf], [5.0, 1.0])
    assert problem.solve() == (0, pytest.approx(np.array([1.0, 2.0])))
    # and x1 >= 3 (an added row): x = (0, 3)
    problem.add_rows(sparse.csr_matrix(np.array([[0.0, 1.0]])), np.array([3.0]),
                     np.array([np.inf]))
    status, x = problem.solve() or (None, None)
    assert status == 0 and x is not None and np.allclose(x, [0.0, 3.0])
    # a column in the first row with cost -1, at most 1: x = (0, 3, 1)
    problem.add_columns(sparse.csc_matrix(np.array([[1.0], [0.0], [0.0]])), np.array([-1.0]),
                        np.array([1.0]))
    status, x = problem.solve() or (None, None)
    assert status == 0 and x is not None and np.allclose(x, [0.0, 3.0, 1.0])


def test_infeasible_and_unbounded_lps_say_so() -> None:
    assert _problem([0.0], [[1.0]], [2.0], [1.0]).solve() == (2, None)
    assert _problem([-1.0], [[1.0]], [1.0], [np.inf]).solve() == (3, None)


def test_taking_columns_keeps_each_columns_entries() -> None:
    matrix = sparse.csr_matrix(np.array([[1.0, 0, 2], [0, 3, 4], [5, 0, 0]]))
    starts, indices, values = highs.Columns(matrix).take(np.array([2, 0]))
    assert starts.tolist() == [0, 2, 4]
    assert indices.tolist() == [0, 1, 0, 2]
    assert values.tolist() == [2.0, 4.0, 1.0, 5.0]


def test_solving_prints_nothing() -> None:
    """highspy.Highs() prints a banner to stdout the first time; the command line's output
    (e.g. 'report build') must stay clean, so the module uses the core class."""
    code = (
        "import numpy as np\n"
        "from scipy import sparse\n"
        "from vp_registry.core.disclosure import highs\n"
        "m = sparse.csr_matrix(np.array([[1.0, 1.0]]))\n"
        "p = highs.Problem(highs.Columns(m), np.arange(2), np.array([1.0, 1.0]),\n"
        "                  np.full(2, np.inf), np.array([1.0]), np.array([np.inf]))\n"
        "assert p.solve()[0] == 0\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout == "" and done.stderr == ""
