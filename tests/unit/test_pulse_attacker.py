"""An algorithm-aware attacker for pulse results (issue 16).

A manager who read our (open source) code sees, for every closed round, the released results
(``core.pulse.results.compute_results`` - the results page and its CSV print exactly that),
the pulse signals derived from them (``services.pulse.signals.candidates_of``) and the annual
report's pulse section (``core.report.pulse_section.pulse_blocks``). This attacker plays that
manager for small organisations: for every group the results hide in a round, and for every
count 0..m-1 it could have had with extreme answers (all 1, all 4, all 7, half 1 and half 7),
it looks for a data set that reproduces the manager's whole view - re-running the real
pipeline on it - and reports each target no such data set was found for. The promise
(issue 16, docs/decisions.md "Pulse survey"): a hidden group could have had any count below
the minimum and any answers; no count, band count or mean is narrowed, also not by
subtraction from the organisation figure, the "other groups together" row, the trend between
rounds, a signal or the report.

The search is the attacker's own (nothing of the release path's decisions is used to decide
what is possible): candidate data sets change the hidden group to the target and, where the
view needs it, give the other hidden groups of the round the rest of the hidden responses or
none; every candidate is verified by the real pipeline, so a candidate that does not
reproduce the view is simply not a witness. Bound and what it misses: responses answer every
statement with one raw value (1..7), so the search may miss a witness that needs mixed
answers - it can at worst report a false leak, never hide one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import product
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vp_registry.core.pulse import results as pulse_results
from vp_registry.core.pulse.disclosure import OTHER_GROUPS, SCOPE_ALL, Disclosure, decide
from vp_registry.core.pulse.grouping import PulseGroup
from vp_registry.core.pulse.questions import SAFETY_STATEMENTS
from vp_registry.core.pulse.results import Response, RoundMeta, RoundResult, compute_results
from vp_registry.core.report.pulse_section import PulseFacts, pulse_blocks
from vp_registry.services.pulse.signals import candidates_of

Round = dict[str, tuple[int, ...]]  # group key -> the raw answer of each response (1..7)
World = tuple[Round, ...]
Pipeline = Callable[..., RoundResult]
YEAR = 2026


def groups_of(n: int) -> tuple[PulseGroup, ...]:
    return tuple(PulseGroup(str(i), f"Afdeling {i}", (i,), 10 + i) for i in range(1, n + 1))


def merged_first_two(n: int) -> tuple[PulseGroup, ...]:
    """The same departments with 1 and 2 merged into one group (a round that invited them
    when department 1 was below the minimum size): a group and its parts across rounds."""
    return (PulseGroup("2", "Afdeling 2 (met 1)", (1, 2), 23), *groups_of(n)[2:])


def _responses(data: Round) -> list[Response]:
    return [Response(key, dict.fromkeys((s.code for s in SAFETY_STATEMENTS), value))
            for key, values in data.items() for value in values]


@dataclass(frozen=True)
class Organisation:
    groups: tuple[PulseGroup, ...]
    minimum: int
    pipeline: Pipeline = compute_results
    later_groups: tuple[PulseGroup, ...] | None = None  # round 2 on, when grouped otherwise

    def groups_in(self, number: int) -> tuple[PulseGroup, ...]:
        return self.groups if number == 1 or self.later_groups is None else self.later_groups

    def results(self, world: World) -> tuple[RoundResult, ...]:
        out: list[RoundResult] = []
        for number, data in enumerate(world, start=1):
            meta = RoundMeta(number, f"Ronde {number}", date(YEAR, 2 * number, 1),
                             date(YEAR, 2 * number, 20), False, 40)
            out.append(self.pipeline(_responses(data), self.groups_in(number), self.minimum,
                                     statements=SAFETY_STATEMENTS, meta=meta,
                                     previous=out[-1] if out else None))
        return tuple(out)

    def view(self, world: World) -> tuple[Any, ...]:
        """Everything a manager sees: results, signals, the report section (both languages)."""
        results = self.results(world)
        signals = tuple(c for r in results for c in candidates_of(r, released=True))
        facts = PulseFacts(results, (), self.minimum)
        return (results, signals, pulse_blocks("nl", YEAR, facts),
                pulse_blocks("en", YEAR, facts))


def targets(minimum: int) -> Iterator[tuple[int, ...]]:
    """Counts 0..m-1 with extreme answers: all low, all middle, all high, and both ends."""
    yield ()
    for count in range(1, minimum):
        for value in (1, 4, 7):
            yield (value,) * count
        if count >= 2:
            yield (1,) * (count // 2) + (7,) * (count - count // 2)


def _minus(whole: Sequence[int], part: Sequence[int]) -> list[int] | None:
    left = Counter(whole)
    left.subtract(part)
    return None if any(v < 0 for v in left.values()) else sorted(left.elements())


def candidates(world: World, number: int, group: str, target: tuple[int, ...],
               hidden: Sequence[str], minimum: int) -> Iterator[World]:
    """Data sets with ``target`` in ``group`` of round ``number``: the rest unchanged; the
    other hidden groups emptied; or the other hidden groups sharing the rest of the hidden
    responses (in a few orders, each group below the minimum)."""
    data = world[number]
    others = [h for h in hidden if h != group]

    def with_round(changes: dict[str, tuple[int, ...]]) -> World:
        return (*world[:number], {**data, **changes}, *world[number + 1:])

    yield with_round({group: target})
    if not others:
        return
    yield with_round({group: target, **dict.fromkeys(others, ())})
    rest = _minus([v for h in hidden for v in data[h]], target)
    if rest is None or len(rest) > (minimum - 1) * len(others):
        return
    for order in (rest, rest[::-1], rest[::2] + rest[1::2]):
        shares: dict[str, list[int]] = {h: [] for h in others}
        for index, value in enumerate(order):
            shares[others[index // (minimum - 1)]].append(value)
        yield with_round({group: target, **{h: tuple(v) for h, v in shares.items()}})
        spread = {h: [] for h in others}  # round robin: as even as possible
        for index, value in enumerate(order):
            spread[others[index % len(others)]].append(value)
        yield with_round({group: target, **{h: tuple(v) for h, v in spread.items()}})


def attack(organisation: Organisation, world: World) -> list[str]:
    """Every (round, hidden group, target) without a data set reproducing the view."""
    truth = organisation.view(world)
    findings = []
    for number, result in enumerate(truth[0]):
        hidden = [g.key for g in result.groups if not g.shown and g.key != OTHER_GROUPS]
        for group in hidden:
            for target in targets(organisation.minimum):
                if not any(organisation.view(candidate) == truth for candidate in
                           candidates(world, number, group, target, hidden,
                                      organisation.minimum)):
                    findings.append(f"round {number + 1}, group {group}: "
                                    f"{len(target)} responses {target} impossible")
    return findings


# ----------------------------------------------------------------------- the organisations


@st.composite
def organisations(draw: st.DrawFn) -> tuple[Organisation, World]:
    minimum = draw(st.integers(3, 5))
    size = draw(st.integers(2, 4))
    organisation = Organisation(groups_of(size), minimum, later_groups=draw(
        st.sampled_from([None, merged_first_two(size)])))
    answer = st.integers(1, 7)
    world: list[Round] = []
    for number in (1, 2):
        data: Round = {}
        for group in organisation.groups_in(number):
            count = draw(st.sampled_from([0, 1, minimum - 1, minimum, minimum + 1,
                                          draw(st.integers(0, minimum + 2))]))
            data[group.key] = tuple(sorted(draw(st.lists(answer, min_size=count,
                                                         max_size=count))))
        world.append(data)
    return organisation, tuple(world)


@settings(max_examples=100)
@given(organisations())
def test_no_hidden_group_is_narrowed_by_anything_a_manager_sees(
        case: tuple[Organisation, World]) -> None:
    organisation, world = case
    assert attack(organisation, world) == []


# ---------------------------------------------------------------------- named examples

MINIMUM = 5


def test_two_hidden_groups_with_an_exact_other_row_are_not_pinned() -> None:
    """Rule 2's range: with two hidden groups there is no 'other groups' row, so 3 + 4
    responses in round 1 say nothing about either; round 2 shows all three groups."""
    organisation = Organisation(groups_of(3), MINIMUM)
    world: World = ({"1": (5, 5, 6, 6, 7), "2": (2, 3, 3), "3": (1, 7, 7, 7)},
                    {"1": (5, 6, 6, 6, 6), "2": (4, 4, 4, 5, 5), "3": (3, 3, 4, 4, 4)})
    assert attack(organisation, world) == []


def _leaky_decide(counts: dict[str, int], minimum: int) -> Disclosure:
    """A deliberately leaky rule: the organisation figure always covers every group."""
    decision = decide(counts, minimum)
    return Disclosure(decision.shown, decision.hidden, False, SCOPE_ALL)


def test_the_attacker_finds_a_leaky_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Organisation minus the shown groups is the hidden group: its count and answers."""
    monkeypatch.setattr(pulse_results, "decide", _leaky_decide)
    organisation = Organisation(groups_of(2), MINIMUM)
    world: World = ({"1": (5, 5, 6, 6, 7), "2": (2, 3)},
                    {"1": (5, 6, 6, 6, 6), "2": (4, 4, 4, 5, 5)})
    findings = attack(organisation, world)
    assert "round 1, group 2: 0 responses () impossible" in findings
    assert "round 1, group 2: 2 responses (7, 7) impossible" in findings


def _withdrawn_rule_2(counts: dict[str, int], minimum: int) -> Disclosure:
    """The rule of 7c6ed18 (withdrawn): hidden groups whose total lies in
    m..(m-1)(|H|-1) were counted into the organisation figure ("scope all")."""
    decision = decide(counts, minimum)
    total, groups = sum(counts[h] for h in decision.hidden), len(decision.hidden)
    if groups >= 2 and minimum <= total <= (minimum - 1) * (groups - 1):
        return Disclosure(decision.shown, decision.hidden, False, SCOPE_ALL)
    return decision


def test_the_attacker_finds_the_withdrawn_rule_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counts stayed open under it, the answers did not: three hidden groups with 0, 2
    and 1 responses, all answering 1, make an organisation figure whose bands (3 low) say
    that every hidden respondent answered low (the example the property found at 19:15)."""
    monkeypatch.setattr(pulse_results, "decide", _withdrawn_rule_2)
    organisation = Organisation(groups_of(3), 3)
    world: World = ({"1": (4, 5, 6), "2": (5, 5, 6), "3": (6, 6, 7)},
                    {"1": (), "2": (1, 1), "3": (1,)})
    findings = attack(organisation, world)
    assert "round 2, group 2: 1 responses (7,) impossible" in findings
    assert not any(f.startswith("round 2, group 2: 0 responses") for f in findings)
    monkeypatch.setattr(pulse_results, "decide", decide)
    assert attack(organisation, world) == []  # the rule in force shows none of them


# ------------------------------------------------- every data set of a tiny organisation


def exhaustive_findings(organisation: Organisation, most: int) -> list[str]:
    """Enumerate EVERY data set of one round (each group 0..``most`` responses answering 1 or
    7), group them by the manager's whole view, and report each hidden group whose possible
    (count, answers) in its class miss one of the 0..m-1 counts with any mix of 1 and 7."""
    keys = [g.key for g in organisation.groups]
    options = [tuple([1] * ones + [7] * (count - ones))
               for count in range(most + 1) for ones in range(count + 1)]
    classes: dict[str, list[Round]] = {}
    for choice in product(options, repeat=len(keys)):
        data = dict(zip(keys, choice, strict=True))
        classes.setdefault(repr(organisation.view((data,))), []).append(data)
    wanted = {option for option in options if len(option) < organisation.minimum}
    findings = []
    for worlds in classes.values():
        hidden = [g.key for g in organisation.results((worlds[0],))[0].groups if not g.shown]
        for key in hidden:
            missing = wanted - {world[key] for world in worlds}
            if missing:
                findings.append(f"{key} in a view of {len(worlds)} data sets: "
                                f"{sorted(missing)[:3]} impossible")
    return findings


def test_every_data_set_of_a_tiny_organisation_leaves_hidden_groups_open() -> None:
    """The search above is a shortcut; here the manager's view is computed for every data set
    of three groups (0-4 responses of 1s and 7s each, 3,375 data sets), not searched."""
    assert exhaustive_findings(Organisation(groups_of(3), 3), 4) == []


def test_enumeration_finds_the_leaky_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pulse_results, "decide", _leaky_decide)
    assert exhaustive_findings(Organisation(groups_of(2), 3), 4)
