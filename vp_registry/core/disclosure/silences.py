"""The silence of a signal review, made a ledger fact (issue 12, "The absence of a signal is
public" in docs/decisions.md).

A reader may assume a signal review at every quarter start that offers every candidate: a
group x category over the review's window (a *slot*) with no candidate then says "fewer than
k cases there", one with a candidate "at least k". That fact is public whether or not anybody
released anything, so it has to be in the ledger, and a slot may only be *held* - offer a
candidate at all - when both answers are safe against everything released before:

* a slot is held when the auditor finds no disclosure for ``< k`` on its cells *and* for
  ``k+`` on its cells, each added to the ledger (and the slots decided before it at the same
  review). That is a function of the ledger and the public structure only, never of the
  count in the slot, so "held" says nothing;
* a held slot's answer is recorded: ``< k`` (no candidate: the silence) or ``k+`` (a
  candidate existed; a released band later narrows it, which the auditor allows for an
  open-ended ``k+`` on the same cells);
* a slot that is not held offers no candidate whatever its count: its silence is the rule's,
  not the data's, and nothing is recorded.

Slots are decided one after the other in a fixed order (group, then category), each against
the ledger plus the answers recorded before it at the same review: an earlier answer is
public when the later decision is taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vp_registry.core.disclosure.auditor import audit
from vp_registry.core.disclosure.cells import CellKey
from vp_registry.core.disclosure.figures import (
    DisclosureRules,
    Figure,
    RuleConstraint,
)
from vp_registry.core.disclosure.totals import structure


@dataclass(frozen=True)
class Slot:
    """One group x category over one review window: the cells a concentration would count."""

    key: tuple[str, str]  # (group key, category)
    cells: frozenset[CellKey]
    label: str


@dataclass(frozen=True)
class ReviewAnswers:
    """What a review makes public: the held slots and the figure each one records."""

    held: frozenset[tuple[str, str]]
    figures: tuple[Figure, ...]

    def holds(self, key: tuple[str, str]) -> bool:
        return key in self.held


def answers(
    slots: Sequence[Slot], counts: Mapping[CellKey, int], ledger: Sequence[Figure],
    rules: DisclosureRules, constraints: Sequence[RuleConstraint] = (),
) -> ReviewAnswers:
    """Which slots a review holds and what each one records (see the module docstring).

    A slot whose cells the ledger already holds keeps that figure (held when it says
    ``< k`` or at least k; nothing new is recorded). ``counts`` decide only a held slot's
    answer, never whether it is held.
    """
    known: list[Figure] = list(ledger)
    by_cells = {f.cells: f for f in ledger}
    held: set[tuple[str, str]] = set()
    recorded: list[Figure] = []
    shapes = {category: structure([s.cells for s in slots if s.key[1] == category])
              for category in {slot.key[1] for slot in slots}}  # one category's atoms each
    for slot in slots:
        earlier = by_cells.get(slot.cells)
        if earlier is not None:
            if (earlier.high is not None and earlier.high < rules.k) or earlier.low >= rules.k:
                held.add(slot.key)
            continue
        if not is_safe(slot, known, rules, constraints, counts, shapes[slot.key[1]]):
            continue
        held.add(slot.key)
        value = sum(counts.get(a, 0) for a in slot.cells)
        figure = (Figure.protected(slot.cells, rules, slot.label) if value < rules.k
                  else Figure.at_least_k(slot.cells, rules, slot.label))
        recorded.append(figure)
        known.append(figure)
        by_cells[figure.cells] = figure
    return ReviewAnswers(frozenset(held), tuple(recorded))


def is_safe(
    slot: Slot, ledger: Sequence[Figure], rules: DisclosureRules,
    constraints: Sequence[RuleConstraint], counts: Mapping[CellKey, int],
    shapes: Sequence[Figure] = (),
) -> bool:
    """Neither ``< k`` nor ``k+`` on the slot discloses anything against ``ledger``.

    The true counts are only the auditor's first witness; an answer the truth does not
    satisfy is audited all the same (its ``incorrect_figure`` is not a disclosure), and an
    answer the ledger makes impossible cannot be given, so it cannot disclose either.
    ``shapes``: the review's groups, quarters and years, checked as units
    (``totals.structure``).
    """
    for figure in (Figure.protected(slot.cells, rules, slot.label),
                   Figure.at_least_k(slot.cells, rules, slot.label)):
        result = audit([figure, *shapes], ledger, counts, rules, constraints=constraints,
                       decision=True)  # its own components only (.scope)
        if any(p.kind == "disclosure" for p in result.problems):
            return False
    return True
