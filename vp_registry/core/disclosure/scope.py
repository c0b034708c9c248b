"""The part of an audit a candidate can change (issue 12, session 7: the held-slot rule's
speed).

The constraint system splits into connected components (figures and rules that share
atoms). The set of tables consistent with the published figures is the Cartesian product of
the components' own sets, so a unit whose atoms lie only in components without a candidate
figure has exactly the values it had with the ledger alone: adding the candidate cannot
narrow it. (Proof: let ``S`` be the components touched by the candidate's figures - after the
candidate merged them - and ``R`` the rest. The constraints of ``R`` are ledger constraints
only, the candidate adds rows inside ``S`` alone, and a table is consistent iff its
restriction to each component satisfies that component's rows; so for a unit ``u`` inside
``R`` the values ``u`` can take are those allowed by ``R``'s rows, the same with or without
the candidate - provided ``S`` is feasible, which the audit checks.) So the question "does
this candidate let a reader narrow a unit?" is answered on the units that touch ``S``. That
reads the figures and the structure only (simulatable, like the full audit). It differs from
the full audit only where the ledger alone already narrows a unit of ``R``: the full audit
refuses every later release for it, the scoped one does not (that unit is public already and
no refusal takes it back) - used where only the new answer is being decided (a review slot,
a total's possible values), never for the ledger's own approval.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
from scipy import sparse

from vp_registry.core.disclosure.cells import CellKey, _FloatArray, _IntArray
from vp_registry.core.disclosure.figures import Figure, RuleConstraint
from vp_registry.core.disclosure.units import UnitFamilies


def same_categories(candidate: Sequence[Figure], ledger: Sequence[Figure],
                    constraints: Sequence[RuleConstraint],
                    ) -> tuple[list[Figure], list[RuleConstraint]]:
    """The ledger figures and rules of the candidate's categories - closed under figures and
    rules that span several categories - which is all a scoped audit needs besides the unit
    families (taken from the whole ledger by the caller).

    Why nothing else matters: rows link categories only through a figure or rule spanning
    several, so the candidate's components lie inside the closed set ``C*``; the unit
    families' category sets are figures' category sets or differences of them, so one that
    meets ``C*`` lies inside it; hence every atom of a unit touching the candidate's
    components, and every row on such an atom (which also decides whether the atom is
    published), belongs to a kept figure or rule.
    """
    cats = {c for f in candidate for c in f.categories}
    rule_cats = [r.categories for r in constraints]
    wide = [f.categories for f in ledger if len(f.categories) > 1]
    wide += [rc for rc in rule_cats if len(rc) > 1]
    changed = True
    while changed:
        changed = False
        for spanned in wide:
            if not spanned.isdisjoint(cats) and not spanned <= cats:
                cats |= spanned
                changed = True
    return ([f for f in ledger if not f.categories.isdisjoint(cats)],
            [r for r, rc in zip(constraints, rule_cats, strict=True) if not rc.isdisjoint(cats)])


def candidate_components(candidate: Sequence[Figure], atom_index: Mapping[CellKey, int],
                         atom_comp: _IntArray) -> frozenset[int]:
    """The components holding an atom of a candidate figure that says something (a ``0+``
    figure is no constraint row: it only names units)."""
    found: set[int] = set()
    for f in candidate:
        if f.low == 0 and f.high is None:
            continue
        found.update(int(atom_comp[atom_index[a]]) for a in f.cells if a in atom_index)
    return frozenset(found)


def within(families: UnitFamilies, atom_index: Mapping[CellKey, int], atom_comp: _IntArray,
           scope: frozenset[int]) -> UnitFamilies:
    """The unit families cut to the units that can touch ``scope``: category sets meeting a
    category of its atoms (a D x C x P unit over other categories has no atom there), and
    the explicit units with an atom there. Units of the kept categories outside ``scope``
    are dropped later, per component (``auditor._check_components``)."""
    in_scope = {a for a, i in atom_index.items() if int(atom_comp[i]) in scope}
    categories = {a[1] for a in in_scope}
    return replace(
        families,
        categories=tuple(c for c in families.categories if not c.isdisjoint(categories)),
        explicit=tuple(e for e in families.explicit if not e.isdisjoint(in_scope)),
    )


def touches(comps: frozenset[int], scope: frozenset[int] | None) -> bool:
    """Do units over ``comps`` need checking (``scope`` None: every unit does)?"""
    return scope is None or not comps.isdisjoint(scope)


def shape_key(incidence: sparse.csr_matrix, lows: _FloatArray, highs: _FloatArray,
              comp_rows: _IntArray, comp_atoms: _IntArray, unit_matrix: sparse.csr_matrix,
              k: int) -> bytes:
    """A digest of everything the verdict on these units depends on - the component's rows
    over its atoms in their order (coefficients, low, high; as a set, order-free), the units
    as sets of local atom positions, and k - and nothing else: no atom names, no counts.

    Why two slots of different groups may share a verdict: the auditor's questions about a
    unit are LPs and MILPs over the rows (``component._Component``), which see atoms only
    through their positions in the matrix; the pool of witness tables and the true table
    only settle questions faster, never differently. So components with the same rows and
    units in the same positions get the same verdict (e.g. two groups each silent in the
    review before, same shapes).
    """
    indptr, indices, data = incidence.indptr, incidence.indices, incidence.data
    rows: list[tuple[bytes, bytes, float, float]] = []
    for r in comp_rows.tolist():
        start, end = int(indptr[r]), int(indptr[r + 1])
        local = np.searchsorted(comp_atoms, indices[start:end])
        order = np.argsort(local, kind="stable")
        rows.append((local[order].astype(np.int64).tobytes(), data[start:end][order].tobytes(),
                     float(lows[r]), float(highs[r])))
    rows.sort()
    units = sorted(unit_matrix.indices[unit_matrix.indptr[j]:unit_matrix.indptr[j + 1]]
                   .astype(np.int64).tobytes() for j in range(unit_matrix.shape[0]))
    return hashlib.sha256(repr((k, int(comp_atoms.size), rows, units)).encode()).digest()
