"""The held-slot rule's speed-ups change no decision (issue 12, session 7).

``audit(..., decision=True)`` checks only the units a candidate's figures can change (its own
components, ``core/disclosure/scope.py``, with the proof) and stops at the first disclosure.
Its verdict - "does the candidate let a reader narrow a unit?" - must be the full audit's
whenever the ledger alone narrows nothing (the case the proof covers): compared here on
random small ledgers of windows, bands, silences, organisation totals and rise rules. And the
units' grouping by components, now in one sort, against the one-by-one loop it replaced, and
the unit families from a remembered ledger against those of the whole.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from vp_registry.core.disclosure import (
    CellKey,
    DisclosureRules,
    Figure,
    RuleConstraint,
    audit,
    cell_set,
    clear_cache,
)
from vp_registry.core.disclosure.units import (
    _group_by_components,
    _UnitBatch,
    unit_families,
    unit_families_after,
)

RULES = DisclosureRules(first_quarter="2025-Q3")
K = RULES.k
QUARTERS = ("2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
CATEGORIES = ("p", "s")
GROUPS = ((1,), (2, 3), (4,))


def _figure(cells: frozenset[CellKey], value: int, rng: random.Random, label: str) -> Figure:
    kind = rng.choice(("protected", "k+", "band", "exact"))
    if value < K or kind == "protected":
        return (Figure.protected(cells, RULES, label) if value < K
                else Figure.at_least_k(cells, RULES, label))
    if kind == "k+":
        return Figure.at_least_k(cells, RULES, label)
    return Figure.band(cells, value, RULES, label) if kind == "band" else Figure.exact(
        cells, value, label)


def _world(seed: int) -> tuple[dict[CellKey, int], list[Figure], list[RuleConstraint],
                                list[list[Figure]]]:
    """Random counts, a ledger made from them, its rules, and candidate releases."""
    rng = random.Random(seed)
    counts = {(d, c, q): rng.choice((0, 0, 1, 2, 3, 5)) for g in GROUPS for d in g
              for c in CATEGORIES for q in QUARTERS}

    def random_figure(label: str) -> Figure:
        group, category = rng.choice(GROUPS), rng.choice(CATEGORIES)
        start = rng.randrange(len(QUARTERS))
        cells = cell_set(group, [category], QUARTERS[start:start + rng.choice((1, 2, 4))])
        return _figure(cells, sum(counts[a] for a in cells), rng, label)

    ledger: list[Figure] = []
    for i in range(rng.randint(2, 7)):
        f = random_figure(f"l{i}")
        if all(g.cells != f.cells for g in ledger):
            ledger.append(f)
    constraints: list[RuleConstraint] = []
    if rng.random() < 0.5:  # an organisation total of a year
        category = rng.choice(CATEGORIES)
        cells = cell_set([d for g in GROUPS for d in g], [category], QUARTERS[2:])
        ledger.append(Figure.exact(cells, sum(counts[a] for a in cells), "total",
                                   organisation_wide=True))
    if rng.random() < 0.5:  # a rise and its rule
        group, category, i = rng.choice(GROUPS), rng.choice(CATEGORIES), rng.randint(1, 5)
        now = cell_set(group, [category], [QUARTERS[i]])
        before = cell_set(group, [category], [QUARTERS[i - 1]])
        pair = [_figure(now, sum(counts[a] for a in now), rng, "now"),
                _figure(before, sum(counts[a] for a in before), rng, "before")]
        if all(g.cells not in (now, before) for g in ledger):
            ledger += pair
            constraints += RuleConstraint.rise(pair[0], pair[1])
    candidates = [[random_figure(f"c{j}")] for j in range(4)]
    return counts, ledger, constraints, candidates


def _disclosed(candidate: list[Figure], ledger: list[Figure], counts: dict[CellKey, int],
               constraints: list[RuleConstraint], *, decision: bool) -> bool:
    result = audit(candidate, ledger, counts, RULES, constraints=constraints,
                   decision=decision)
    return any(p.kind == "disclosure" for p in result.problems)


def _released_world(seed: int) -> tuple[dict[CellKey, int], list[Figure],
                                        list[RuleConstraint], list[list[Figure]]]:
    """The first world from ``seed`` on whose ledger alone discloses nothing - as every ledger
    the release path writes (the proof's premise); a random ledger may narrow a unit."""
    for attempt in range(seed * 1000, seed * 1000 + 1000):
        counts, ledger, constraints, candidates = _world(attempt)
        if not _disclosed([], ledger, counts, constraints, decision=False):
            return counts, ledger, constraints, candidates
    raise AssertionError(f"no world without a disclosure from seed {seed}")


@pytest.mark.parametrize("seed", range(24))
def test_the_decision_audit_gives_the_full_audits_verdict(seed: int) -> None:
    counts, ledger, constraints, candidates = _released_world(seed)
    for candidate in candidates:
        # the answers a review could give on these cells, whatever the true count
        for alternative in ([Figure.protected(candidate[0].cells, RULES, "lt")],
                            [Figure.at_least_k(candidate[0].cells, RULES, "ge")], candidate):
            clear_cache()
            full = _disclosed(alternative, ledger, counts, constraints, decision=False)
            clear_cache()
            assert _disclosed(alternative, ledger, counts, constraints,
                              decision=True) == full, (ledger, alternative)


def _grouped_one_by_one(units: _UnitBatch, atom_comp: np.ndarray
                        ) -> list[tuple[frozenset[int], list[int]]]:
    """The reference: each unit's component set on its own (the loop before session 7)."""
    parts: dict[frozenset[int], list[int]] = {}
    for u in range(units.size):
        key = frozenset(atom_comp[units.atoms[units.ptr[u]:units.ptr[u + 1]]].tolist())
        parts.setdefault(key, []).append(u)
    return sorted(((key, sorted(found)) for key, found in parts.items()),
                  key=lambda item: item[1][0])


@pytest.mark.parametrize("seed", range(5))
def test_units_are_grouped_by_their_components_as_one_by_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(60):
        n_atoms = int(rng.integers(1, 40))
        atom_comp = rng.integers(0, int(rng.integers(1, 8)), n_atoms)
        lengths = rng.integers(1, 6, int(rng.integers(1, 30)))
        ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        units = _UnitBatch(ptr, rng.integers(0, n_atoms, int(ptr[-1])),
                           np.zeros(lengths.size, dtype=np.int64),
                           np.zeros((lengths.size, 3), dtype=np.int64))
        grouped = [(key, members.tolist())
                   for key, members in _group_by_components(units, atom_comp)]
        assert grouped == _grouped_one_by_one(units, atom_comp)


def test_the_remembered_ledger_gives_the_same_unit_families() -> None:
    """``unit_families_after`` remembers the last ledger's sets (a review grows it figure by
    figure); whatever comes next - longer, shorter, another list - it must give the families
    of everything."""
    rng = random.Random(7)
    _, ledger, _, candidates = _world(3)
    pool = [f for _, more, _, cand in (_world(s) for s in range(8)) for f in [*more, *cand[0]]]
    current = list(ledger)
    for step in range(60):
        move = rng.random()
        if move < 0.6:
            current.append(rng.choice(pool))
        elif move < 0.8:
            current = current[: rng.randrange(len(current) + 1)]
        else:
            current = rng.sample(pool, rng.randrange(1, 8))
        candidate = rng.choice(candidates)
        assert unit_families_after(current, candidate) == unit_families(
            [*current, *candidate]), step
