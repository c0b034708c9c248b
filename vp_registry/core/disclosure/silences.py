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

A *rise slot* (session 8) is a group x category's last quarter against the quarter before.
The rise rule is one linear inequality (``core.signals.RiseRule``), so both answers are
linear rules: the rise's (``RuleConstraint.linear_rise``) and its absence's
(``RuleConstraint.no_rise``). A rise slot is held when neither rule discloses anything
against the ledger and the answers before it (the concentration slots come first, then the
rise slots, in the same order); a held rise slot records the rule its counts satisfy, as a
rule of the review (``ReviewAnswers.constraints``); a rise slot not held offers no rise.

Next to a concentration over the same quarters the two kinds interfere (issue 12, session 8):
with the rise rule ``now - 2 x before >= k + 1`` both rise answers are safe next to the
concentration slot's ``< k`` or ``k+``, but not next to every *band* that concentration could
be released with - the rise's next to "3-4" leaves the window's other quarters empty, its
absence next to "5-9" or "10+" says they hold at least one case (all of it in the last
quarter would have been a rise). So a concentration whose window a published rule touches
is released as ``k+`` only, the review's own answer, which says nothing new
(``services.signals.publishing.publication``): decided from the ledger's rules, public.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

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
class RiseSlot:
    """One group x category's rise at a review: the rule when it rises, and its absence."""

    key: tuple[str, str]  # (group key, category)
    rise: RuleConstraint
    absence: RuleConstraint

    @property
    def category(self) -> str:
        return self.key[1]


@dataclass(frozen=True)
class ReviewAnswers:
    """What a review makes public: the held slots and the figure each one records; the held
    rise slots and the rule each one records."""

    held: frozenset[tuple[str, str]]
    figures: tuple[Figure, ...]
    rises: frozenset[tuple[str, str]] = frozenset()
    constraints: tuple[RuleConstraint, ...] = ()

    def holds(self, key: tuple[str, str]) -> bool:
        return key in self.held

    def holds_rise(self, key: tuple[str, str]) -> bool:
        return key in self.rises


def answers(
    slots: Sequence[Slot], counts: Mapping[CellKey, int], ledger: Sequence[Figure],
    rules: DisclosureRules, constraints: Sequence[RuleConstraint] = (),
    rise_slots: Sequence[RiseSlot] = (),
) -> ReviewAnswers:
    """Which slots a review holds and what each one records (see the module docstring).

    A slot whose cells the ledger already holds keeps that figure (held when it says
    ``< k`` or at least k; nothing new is recorded); a rise slot whose rule or absence the
    ledger already holds keeps it. ``counts`` decide only a held slot's answer, never whether
    it is held.
    """
    shapes = _shapes(slots, rise_slots)
    concentrations = _concentrations(slots, counts, ledger, rules, constraints, shapes)
    known = [*ledger, *concentrations.figures]
    rises: set[tuple[str, str]] = set()
    recorded: list[RuleConstraint] = []
    for slot in rise_slots:
        given = [*constraints, *recorded]
        if any(slot.rise.same_rule(r) or slot.absence.same_rule(r) for r in given):
            rises.add(slot.key)
            continue
        if not all(rule_is_safe(rule, known, rules, given, counts, shapes[slot.category])
                   for rule in (slot.rise, slot.absence)):
            continue
        rises.add(slot.key)
        recorded.append(slot.rise if slot.rise.holds(counts) else slot.absence)
    return replace(concentrations, rises=frozenset(rises), constraints=tuple(recorded))


def _shapes(slots: Sequence[Slot], rise_slots: Sequence[RiseSlot]
            ) -> dict[str, list[Figure]]:
    """The review's groups, quarters and years per category (``totals.structure``): of the
    concentration slots, or of the rise slots' quarters where a category has none."""
    cells: dict[str, list[frozenset[CellKey]]] = {}
    for slot in slots:
        cells.setdefault(slot.key[1], []).append(slot.cells)
    for rise in rise_slots:
        if rise.category not in {s.key[1] for s in slots}:
            cells.setdefault(rise.category, []).append(rise.rise.atoms)
    return {category: structure(groups) for category, groups in cells.items()}


def _concentrations(
    slots: Sequence[Slot], counts: Mapping[CellKey, int], ledger: Sequence[Figure],
    rules: DisclosureRules, constraints: Sequence[RuleConstraint],
    shapes: Mapping[str, Sequence[Figure]],
) -> ReviewAnswers:
    """The concentration slots' part of :func:`answers`."""
    known: list[Figure] = list(ledger)
    by_cells = {f.cells: f for f in ledger}
    held: set[tuple[str, str]] = set()
    recorded: list[Figure] = []
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


def rule_is_safe(
    rule: RuleConstraint, ledger: Sequence[Figure], rules: DisclosureRules,
    constraints: Sequence[RuleConstraint], counts: Mapping[CellKey, int],
    shapes: Sequence[Figure],
) -> bool:
    """The rule (a rise slot's answer) discloses nothing against ``ledger`` and
    ``constraints`` - whether or not the true counts satisfy it (they are only a witness);
    a rule the ledger makes impossible cannot be given, so it cannot disclose either."""
    result = audit(list(shapes), ledger, counts, rules, constraints=constraints,
                   decision=True, candidate_rules=[rule])
    return not any(p.kind == "disclosure" for p in result.problems)
