"""What a pulse round's results show, under the pulse disclosure rule (issue 16).

:func:`compute_results` is *the* function from (responses, groups, settings) to what a manager
sees: the service computes released results with it (from per-item histograms counted by the
database, :func:`results_from_tallies`), and the algorithm-aware attacker test calls it
directly. The decisions are :func:`vp_registry.core.pulse.disclosure.decide`'s.

* A shown group: its response count, per item the mean answer and the low/middle/high bands,
  its scale score (:mod:`.scoring`), its response rate's basis (headcount, public).
* A hidden group: ``shown=False``, every figure ``None``.
* The organisation: every group when none is hidden, else the shown ones only
  (``RoundResult.scope`` ``"shown"``), or nothing; a hidden group's responses are in no figure.
* A round that is still open gives no answer figures at all (a reader watching them change
  would see single responses): only the organisation's count once it reaches the minimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from vp_registry.core.pulse import scoring
from vp_registry.core.pulse.disclosure import (
    ORGANISATION_KEY,
    SCOPE_ALL,
    SCOPE_NONE,
    SCOPE_SHOWN,
    decide,
)
from vp_registry.core.pulse.grouping import PulseGroup
from vp_registry.core.pulse.questions import SCALE_POINTS, Statement
from vp_registry.core.taxonomy import N_

ORGANISATION_LABEL = N_("Whole organisation")
SHOWN_GROUPS_LABEL = N_("Total of the departments shown")
DECIMALS = 2


@dataclass(frozen=True)
class Response:
    """One response: the group chosen and an answer 1..7 to every statement of the round."""

    group_key: str
    answers: Mapping[str, int]


@dataclass(frozen=True)
class GroupTally:
    """A group's responses counted: how many, and per statement how many gave 1..7."""

    responses: int
    histograms: Mapping[str, tuple[int, ...]]


@dataclass(frozen=True)
class ItemResult:
    code: str
    mean: float | None  # the mean answer as given (not reversed); None when withheld
    bands: tuple[int | None, ...]  # low 1-3, middle 4, high 5-7; None when withheld


@dataclass(frozen=True)
class GroupResult:
    label: str
    department_ids: tuple[int, ...]
    responses: int | None  # None: fewer than the minimum (or withheld while open)
    score: float | None  # the scale score, higher is safer
    items: tuple[ItemResult, ...]
    shown: bool
    key: str = ""
    headcount: int = 0  # public structure: the people invited in this group


@dataclass(frozen=True)
class RoundMeta:
    """What a result says about its round (all public to its readers)."""

    round_id: int = 0
    title: str = ""
    opens_on: date = date.min
    closes_on: date = date.min
    open_round: bool = False  # no invitation codes: anyone with the link could answer
    invited: int = 0  # codes issued (0 for an open round)
    closed: bool = True  # answers no longer accepted: figures may be shown


@dataclass(frozen=True)
class RoundResult:
    round_id: int
    title: str
    opens_on: date
    closes_on: date
    open_round: bool
    invited: int
    groups: tuple[GroupResult, ...]  # the round's groups in order
    organisation: GroupResult
    trend: dict[str, float | None] = field(default_factory=dict)  # group key -> score change
    scope: str = SCOPE_ALL  # what the organisation figure covers (core.pulse.disclosure)
    minimum: int = 5
    statements: tuple[Statement, ...] = ()
    closed: bool = True


def tally(responses: Sequence[Response], groups: Sequence[PulseGroup],
          statements: Sequence[Statement]) -> dict[str, GroupTally]:
    """Count responses per group and statement. ValueError for an unknown group or an
    answer missing or off the scale (every statement must be answered)."""
    counts = {g.key: 0 for g in groups}
    hist = {g.key: {s.code: [0] * SCALE_POINTS for s in statements} for g in groups}
    for response in responses:
        if response.group_key not in counts:
            raise ValueError(f"unknown group {response.group_key!r}")
        counts[response.group_key] += 1
        for statement in statements:
            value = response.answers.get(statement.code)
            if value is None or not scoring.is_answer(value):
                raise ValueError(f"no valid answer to {statement.code}")
            hist[response.group_key][statement.code][value - 1] += 1
    return {key: GroupTally(counts[key], {c: tuple(h) for c, h in hist[key].items()})
            for key in counts}


def compute_results(responses: Sequence[Response], groups: Sequence[PulseGroup],
                    minimum: int, *, statements: Sequence[Statement],
                    meta: RoundMeta | None = None,
                    previous: RoundResult | None = None) -> RoundResult:
    """What a manager sees of a round with these responses (the pulse disclosure rule)."""
    return results_from_tallies(tally(responses, groups, statements), groups, minimum,
                                statements=statements, meta=meta, previous=previous)


def _combined(tallies: Sequence[GroupTally], statements: Sequence[Statement]) -> GroupTally:
    histograms = {s.code: tuple(sum(t.histograms.get(s.code, (0,) * SCALE_POINTS)[i]
                                    for t in tallies) for i in range(SCALE_POINTS))
                  for s in statements}
    return GroupTally(sum(t.responses for t in tallies), histograms)


def _shown(key: str, label: str, department_ids: tuple[int, ...], headcount: int,
           counted: GroupTally, statements: Sequence[Statement]) -> GroupResult:
    items = []
    for statement in statements:
        histogram = counted.histograms.get(statement.code, (0,) * SCALE_POINTS)
        mean = scoring.histogram_mean(histogram)
        items.append(ItemResult(statement.code, None if mean is None else round(mean, DECIMALS),
                                scoring.histogram_bands(histogram)))
    score = scoring.score_from_histograms(statements, counted.histograms)
    return GroupResult(label, department_ids, counted.responses,
                       None if score is None else round(score, DECIMALS), tuple(items), True,
                       key, headcount)


def _hidden(key: str, label: str, department_ids: tuple[int, ...], headcount: int,
            statements: Sequence[Statement], responses: int | None = None) -> GroupResult:
    items = tuple(ItemResult(s.code, None, (None, None, None)) for s in statements)
    return GroupResult(label, department_ids, responses, None, items, False, key, headcount)


def _ids(groups: Sequence[PulseGroup]) -> tuple[int, ...]:
    return tuple(sorted(d for g in groups for d in g.department_ids))


def results_from_tallies(tallies: Mapping[str, GroupTally], groups: Sequence[PulseGroup],
                         minimum: int, *, statements: Sequence[Statement],
                         meta: RoundMeta | None = None,
                         previous: RoundResult | None = None) -> RoundResult:
    """:func:`compute_results` from counted responses (a group missing from ``tallies`` has
    none)."""
    meta = meta or RoundMeta()
    empty = GroupTally(0, {})
    counted = {g.key: tallies.get(g.key, empty) for g in groups}
    if not meta.closed:
        return _while_open(counted, groups, minimum, statements, meta)
    decision = decide({g.key: counted[g.key].responses for g in groups}, minimum)
    rows = [_shown(g.key, g.label, g.department_ids, g.headcount, counted[g.key], statements)
            if g.key in decision.shown else
            _hidden(g.key, g.label, g.department_ids, g.headcount, statements)
            for g in groups]
    covered = [g for g in groups if g.key in decision.covered]
    label = SHOWN_GROUPS_LABEL if decision.scope == SCOPE_SHOWN else ORGANISATION_LABEL
    if decision.scope == SCOPE_NONE:
        organisation = _hidden(ORGANISATION_KEY, label, _ids(groups),
                               sum(g.headcount for g in groups), statements)
    else:
        organisation = _shown(ORGANISATION_KEY, label, _ids(covered),
                              sum(g.headcount for g in covered),
                              _combined([counted[g.key] for g in covered], statements),
                              statements)
    return _assemble(meta, tuple(rows), organisation, decision.scope, minimum, statements,
                     previous)


def _while_open(counted: Mapping[str, GroupTally], groups: Sequence[PulseGroup],
                minimum: int, statements: Sequence[Statement], meta: RoundMeta) -> RoundResult:
    total = sum(t.responses for t in counted.values())
    rows = tuple(_hidden(g.key, g.label, g.department_ids, g.headcount, statements)
                 for g in groups)
    organisation = _hidden(ORGANISATION_KEY, ORGANISATION_LABEL, _ids(groups),
                           sum(g.headcount for g in groups), statements,
                           responses=total if total >= minimum else None)
    return _assemble(meta, rows, organisation, SCOPE_NONE, minimum, statements, None)


def _assemble(meta: RoundMeta, rows: tuple[GroupResult, ...], organisation: GroupResult,
              scope: str, minimum: int, statements: Sequence[Statement],
              previous: RoundResult | None) -> RoundResult:
    return RoundResult(meta.round_id, meta.title, meta.opens_on, meta.closes_on,
                       meta.open_round, meta.invited, rows, organisation,
                       trend(rows, organisation, previous), scope, minimum,
                       tuple(statements), meta.closed)


def trend(rows: Sequence[GroupResult], organisation: GroupResult,
          previous: RoundResult | None) -> dict[str, float | None]:
    """Score change per group key against an earlier released round: only between shown
    figures over exactly the same departments (None where there is nothing to compare)."""
    if previous is None:
        return {}
    before = {(g.department_ids): g for g in (*previous.groups, previous.organisation)
              if g.shown and g.score is not None}
    changes: dict[str, float | None] = {}
    for row in (*rows, organisation):
        earlier = before.get(row.department_ids)
        if row.shown and row.score is not None and earlier is not None and \
                earlier.score is not None:
            changes[row.key] = round(row.score - earlier.score, DECIMALS)
        else:
            changes[row.key] = None
    return changes
