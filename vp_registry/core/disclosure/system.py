"""The constraint system of an audit: its rows (figures and published rules) over its atoms,
split into connected components (moved out of ``auditor``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from vp_registry.core.disclosure.cells import CellKey, _FloatArray, _IntArray
from vp_registry.core.disclosure.figures import Figure, RuleConstraint
from vp_registry.core.disclosure.solver import _Constraint


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
