"""The department-level units an audit checks: every published D x C x P product, built as sparse
rows of atom indices."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from vp_registry.core.disclosure.cells import (
    _T,
    CellKey,
    _FloatArray,
    _IntArray,
    cell_set,
)
from vp_registry.core.disclosure.figures import (
    Figure,
)


@dataclass(frozen=True)
class UnitFamilies:
    """The department-level units implied by a set of figures: every product D x C x P.

    D: each department set of a department-level figure, each of its single departments, and
    the difference of two such sets when one contains the other (a group minus a department
    published on its own); minus the department sets of organisation-wide figures.
    C and P: likewise for category sets and quarter sets (so "year minus Q1-Q3" = Q4 and "all
    categories minus bullying" are units). ``explicit``: department-level figures whose cells
    are not such a product (the service layer may build those), and department-level figures
    over the whole organisation (one group holding everybody), whose own promise - e.g. a
    ``< k`` - still holds although their department set is not a unit.
    """

    departments: tuple[frozenset[int], ...]
    categories: tuple[frozenset[str], ...]
    periods: tuple[frozenset[str], ...]
    explicit: tuple[frozenset[CellKey], ...]

    def units(self) -> set[frozenset[CellKey]]:
        """All units as cell sets (slow for big families; the auditor avoids this)."""
        out = set(self.explicit)
        for ds in self.departments:
            for cs in self.categories:
                for ps in self.periods:
                    out.add(cell_set(ds, cs, ps))
        return out


def _with_differences(sets: set[frozenset[_T]]) -> set[frozenset[_T]]:
    out = set(sets)
    for a in sets:
        for b in sets:
            if b < a:
                out.add(a - b)
    return out


@dataclass
class _Sets:
    """What :func:`unit_families` collects from figures before it takes differences."""

    departments: set[frozenset[int]] = field(default_factory=set)
    categories: set[frozenset[str]] = field(default_factory=set)
    periods: set[frozenset[str]] = field(default_factory=set)
    organisation: set[frozenset[int]] = field(default_factory=set)
    explicit: set[frozenset[CellKey]] = field(default_factory=set)
    products: list[tuple[frozenset[int], frozenset[CellKey]]] = field(default_factory=list)

    def add(self, figures: Iterable[Figure]) -> _Sets:
        for f in figures:
            depts, d_sets, c_sets, p_sets, product = f.unit_sets
            if f.organisation_wide:
                self.organisation.add(depts)
                continue
            self.departments.update(d_sets)
            self.categories.update(c_sets)
            self.periods.update(p_sets)
            if not product:
                self.explicit.add(f.cells)
            else:
                self.products.append((depts, f.cells))
        return self

    def copy(self) -> _Sets:
        return _Sets(set(self.departments), set(self.categories), set(self.periods),
                     set(self.organisation), set(self.explicit), list(self.products))


def unit_families(figures: Iterable[Figure]) -> UnitFamilies:
    """Collect the unit families of :class:`UnitFamilies` from published figures."""
    return _families(_Sets().add(figures))


_LAST = threading.local()  # this thread's last ledger and its sets (unit_families_after)


def unit_families_after(ledger: Sequence[Figure], candidate: Sequence[Figure]) -> UnitFamilies:
    """``unit_families([*ledger, *candidate])``, with the ledger's sets remembered for the last
    ledger seen in this thread: when that one's figure objects begin ``ledger`` (a review adds
    its answers one by one), only the rest is collected. Kept per thread on the objects'
    identity (the remembered figures are held, so an identity is never reused), so nothing
    is shared between requests or organisations."""
    seen: tuple[Figure, ...] = getattr(_LAST, "figures", ())
    if len(seen) <= len(ledger) and all(a is b for a, b in zip(seen, ledger, strict=False)):
        sets = _LAST.sets.copy().add(ledger[len(seen):]) if seen else _Sets().add(ledger)
    else:
        sets = _Sets().add(ledger)
    _LAST.figures, _LAST.sets = tuple(ledger), sets
    return _families(sets.copy().add(candidate))


def _families(sets: _Sets) -> UnitFamilies:
    dept_sets = _with_differences(sets.departments) - sets.organisation
    # a department-level figure over the whole organisation (one group holding everybody)
    # still keeps its own promise, e.g. that a "< k" shown for it cannot be narrowed
    explicit = set(sets.explicit)
    explicit.update(cells for depts, cells in sets.products if depts in sets.organisation)

    def ordered(found: set[frozenset[_T]]) -> tuple[frozenset[_T], ...]:
        return tuple(sorted(found, key=lambda s: (len(s), sorted(map(str, s)))))

    return UnitFamilies(
        ordered(dept_sets),
        ordered(_with_differences(sets.categories)),
        ordered(_with_differences(sets.periods)),
        tuple(sorted(explicit, key=lambda s: (len(s), sorted(s)))),
    )


@dataclass(frozen=True)
class _UnitBatch:
    """Units to check, as rows of global atom indices (CSR layout: ``atoms[ptr[u]:ptr[u+1]]``).

    ``origins[u]`` is ``(d, c, p)`` for the product of the ``d``-th department set, ``c``-th
    category set and ``p``-th period set of the families, or ``(-1 - j, 0, 0)`` for the
    ``j``-th explicit unit.
    """

    ptr: _IntArray
    atoms: _IntArray
    truths: _IntArray
    origins: _IntArray

    @property
    def size(self) -> int:
        return int(self.truths.size)

    def cells(self, u: int, families: UnitFamilies) -> frozenset[CellKey]:
        d, c, p = (int(v) for v in self.origins[u])
        if d < 0:
            return families.explicit[-1 - d]
        return cell_set(families.departments[d], families.categories[c], families.periods[p])


def _gather(ptr: _IntArray, values: _IntArray, rows: _IntArray) -> tuple[_IntArray, _IntArray]:
    """Rows ``rows`` of a CSR layout: (length per row, their values concatenated)."""
    counts = ptr[rows + 1] - ptr[rows]
    starts = np.cumsum(counts) - counts
    offsets = np.repeat(ptr[rows] - starts, counts) + np.arange(int(counts.sum()))
    return counts, values[offsets]


def _row_products(
    left: tuple[_IntArray, _IntArray], right: tuple[_IntArray, _IntArray], width: int
) -> tuple[_IntArray, _IntArray]:
    """Row-wise products of two CSR layouts: row i holds ``a * width + b`` for all pairs."""
    left_counts, left_values = left
    right_counts, right_values = right
    counts = left_counts * right_counts
    total = int(counts.sum())
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    per_right = np.repeat(right_counts, counts)
    a = left_values[np.repeat(np.cumsum(left_counts) - left_counts, counts) + within // per_right]
    b = right_values[np.repeat(np.cumsum(right_counts) - right_counts, counts) + within % per_right]
    return counts, a * width + b


def _set_layout(
    sets: Sequence[frozenset[_T]], position: Mapping[_T, int], width: int
) -> tuple[_IntArray, _IntArray, _FloatArray]:
    """Sets as a CSR layout of sorted positions, and as a dense 0/1 matrix."""
    rows = [sorted(position[v] for v in s) for s in sets]
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(r) for r in rows])
    values = np.fromiter((v for r in rows for v in r), dtype=np.int64, count=int(ptr[-1]))
    dense = np.zeros((len(rows), width))
    dense[np.repeat(np.arange(len(rows)), np.diff(ptr)), values] = 1.0
    return ptr, values, dense


def _positions(values: Iterable[_T]) -> dict[_T, int]:
    """Each distinct value's position in sorted order."""
    return {v: i for i, v in enumerate(sorted(set(values)))}


def _units_to_check(
    families: UnitFamilies,
    true_counts: Mapping[CellKey, int],
    atom_index: Mapping[CellKey, int],
) -> _UnitBatch:
    """Every unit whose atoms are all published, whatever its true count (issue 12: which
    units are checked must not depend on the data). A unit with an unpublished atom is
    skipped: that atom can grow freely, and its published part is a unit checked on its own.
    The true counts are carried only as the units' values in the true table (a witness).
    """
    d_pos = _positions(d for ds in families.departments for d in ds)
    c_pos = _positions(c for cs in families.categories for c in cs)
    q_pos = _positions(q for ps in families.periods for q in ps)
    shape = (len(d_pos), len(c_pos), len(q_pos))
    cube = np.zeros(shape)
    index_cube = np.full(shape, -1, dtype=np.int64)
    for (d, c, q), value in true_counts.items():
        if value and d in d_pos and c in c_pos and q in q_pos:
            cube[d_pos[d], c_pos[c], q_pos[q]] = value
    for (d, c, q), i in atom_index.items():
        if d in d_pos and c in c_pos and q in q_pos:
            index_cube[d_pos[d], c_pos[c], q_pos[q]] = i
    d_ptr, d_values, d_dense = _set_layout(families.departments, d_pos, shape[0])
    c_ptr, c_values, c_dense = _set_layout(families.categories, c_pos, shape[1])
    p_ptr, p_values, p_dense = _set_layout(families.periods, q_pos, shape[2])

    def per_unit(values: _FloatArray) -> _FloatArray:
        """Sum ``values`` (a cube) over every unit D x C x P: an array (D sets, C, P)."""
        by_dept = (d_dense @ values.reshape(shape[0], shape[1] * shape[2])).reshape(
            d_dense.shape[0], shape[1], shape[2]
        )
        result: _FloatArray = np.matmul(c_dense, by_dept) @ p_dense.T
        return result

    truths = np.rint(per_unit(cube)).astype(np.int64)
    published = per_unit((index_cube < 0).astype(np.float64)) < 0.5
    d_sel, c_sel, p_sel = np.nonzero(published)
    by_dc = _row_products(
        _gather(d_ptr, d_values, d_sel), _gather(c_ptr, c_values, c_sel), shape[1]
    )
    counts, flat = _row_products(by_dc, _gather(p_ptr, p_values, p_sel), shape[2])
    atoms = [index_cube.reshape(-1)[flat]]
    lengths = [counts]
    unit_truths = [truths[d_sel, c_sel, p_sel]]
    origins = [np.column_stack([d_sel, c_sel, p_sel]).astype(np.int64)]
    for j, cells in enumerate(families.explicit):
        idx = np.fromiter((atom_index.get(a, -1) for a in cells), dtype=np.int64)
        if idx.size == 0 or bool((idx < 0).any()):
            continue
        truth = sum(true_counts.get(c, 0) for c in cells)
        atoms.append(idx)
        lengths.append(np.array([idx.size], dtype=np.int64))
        unit_truths.append(np.array([truth], dtype=np.int64))
        origins.append(np.array([[-1 - j, 0, 0]], dtype=np.int64))
    ptr = np.zeros(sum(len(x) for x in lengths) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(np.concatenate(lengths))
    return _UnitBatch(
        ptr, np.concatenate(atoms), np.concatenate(unit_truths), np.concatenate(origins)
    )


class _Partition:
    """Members per label (e.g. the atoms of each component), ascending."""

    def __init__(self, labels: _IntArray) -> None:
        self._order = np.argsort(labels, kind="stable")
        sorted_labels = labels[self._order]
        self._labels = sorted_labels

    def members(self, labels: Iterable[int]) -> _IntArray:
        parts = [
            self._order[
                np.searchsorted(self._labels, label, "left") : np.searchsorted(
                    self._labels, label, "right"
                )
            ]
            for label in labels
        ]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate(parts))


def _group_by_components(
    units: _UnitBatch, atom_comp: _IntArray
) -> list[tuple[frozenset[int], _IntArray]]:
    """Units grouped by the set of components their atoms touch, in order of appearance."""
    if units.size == 0:
        return []
    comps = atom_comp[units.atoms]
    starts = units.ptr[:-1]
    first = np.minimum.reduceat(comps, starts)
    single = first == np.maximum.reduceat(comps, starts)
    parts: dict[frozenset[int], list[_IntArray]] = {}
    single_units = np.flatnonzero(single)
    order = np.argsort(first[single_units], kind="stable")
    boundaries = np.flatnonzero(np.diff(first[single_units][order])) + 1
    for chunk in np.split(single_units[order], boundaries):
        if chunk.size:
            parts[frozenset({int(first[chunk[0]])})] = [chunk]
    multi = np.flatnonzero(~single)
    if multi.size:  # the component sets of all units spanning several, in one sort
        lengths, flat = _gather(units.ptr, units.atoms, multi)
        width = int(atom_comp.max()) + 1
        pairs = np.unique(np.repeat(multi, lengths) * width + atom_comp[flat])
        owner, comp = (pairs // width).tolist(), (pairs % width).tolist()
        spanning: dict[frozenset[int], list[int]] = {}
        start = 0
        for end in [*(np.flatnonzero(np.diff(pairs // width)) + 1).tolist(), len(owner)]:
            spanning.setdefault(frozenset(comp[start:end]), []).append(owner[start])
            start = end
        for key, found in spanning.items():
            parts.setdefault(key, []).append(np.array(found, dtype=np.int64))
    grouped = [(key, np.sort(np.concatenate(chunks))) for key, chunks in parts.items()]
    return sorted(grouped, key=lambda item: int(item[1][0]))
