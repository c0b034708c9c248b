"""Counting one year's cases: the true counts live only here and in the auditor's input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from vp_registry.core.disclosure import (
    CellKey,
    periods_of_year,
)
from vp_registry.core.facts import CaseFacts
from vp_registry.core.report.model import NOT_RECORDED, ORGANISATION_LEVEL
from vp_registry.core.taxonomy import (
    Channel,
    EmploymentType,
    Gender,
    Outcome,
    Referral,
    Relation,
)

# --------------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------------

DIMENSIONS: Final[dict[str, tuple[str, ...]]] = {
    "relation": tuple(Relation),
    "outcome": tuple(Outcome),
    "referral": tuple(Referral),
    "channel": tuple(Channel),
    "gender": tuple(Gender),
    "employment": tuple(EmploymentType),
}
OPTIONAL: Final = frozenset({"relation", "outcome", "referral", "gender", "employment"})


KEY_FIGURES: Final = ("carried_over", "opened", "closed", "open_at_end", "conversations")
TIME_FIGURES: Final = ("conversation_minutes", "other_case_minutes")
OPENED_FIGURES: Final = frozenset({"opened", "open_at_end", "closed"})
"""Key figures that give away the cases opened in the year (open at the end = carried over +
opened - closed; closed - carried over <= opened), withheld next to a hidden category total."""
CARRIED_FIGURES: Final = frozenset({"carried_over", "open_at_end", "closed"})
"""Key figures that give away the cases carried over (cases opened before the year: closed -
opened <= carried over), withheld unless the carried-over number is already public."""
CLOSED_PARTITIONS: Final = frozenset({"outcome", "referral"})
"""Breakdowns whose lines add up to the cases closed in the year."""
OPENED_PARTITIONS: Final = frozenset({"relation", "gender", "employment"})
"""Breakdowns whose lines add up to the cases opened in the year."""


def org_cells(dimension: str, value: str, year: int) -> frozenset[CellKey]:
    return frozenset((ORGANISATION_LEVEL, f"{dimension}:{value}", q)
                     for q in periods_of_year(year))


@dataclass
class Tally:
    """All true counts of one year; lives only inside this module (never in the report)."""

    year: int
    atoms: Counter[CellKey] = field(default_factory=Counter)  # department table
    org: Counter[CellKey] = field(default_factory=Counter)  # organisation-level atoms
    dimension: dict[str, Counter[str]] = field(default_factory=dict)
    key: Counter[str] = field(default_factory=Counter)
    category_totals: Counter[str] = field(default_factory=Counter)
    case_departments: set[int] = field(default_factory=set)


_LINE_NAMES: Final[dict[str, dict[str | None, str]]] = {
    dimension: {
        **{str(v): f"{dimension}:{v}" for v in values},
        **({None: f"{dimension}:{NOT_RECORDED}"} if dimension in OPTIONAL else {}),
    }
    for dimension, values in DIMENSIONS.items()
}


def line_name(dimension: str, raw: str | None) -> str:
    """The organisation-level line name (``"relation:manager"``) of a recorded value."""
    try:
        return _LINE_NAMES[dimension][raw]
    except KeyError:
        if raw is None:
            raise ValueError(f"a {dimension} is required") from None
        raise ValueError(f"unknown {dimension} {raw!r} in the case data") from None


Lines = Counter[tuple[str, int]]
"""(line name, quarter index) -> count or minutes; turned into atoms at the end."""


_QUARTER_OF_MONTH: Final = (-1, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3)
"""The quarter index (0-3) of a month (1-12)."""

Opened = Counter[tuple[int, tuple[str, ...], int]]
"""(department, categories, quarter index) -> cases opened."""
People = Counter[tuple[int, str | None, str | None, str | None]]
"""(quarter index, relation, gender, employment type) -> cases opened."""
Closings = Counter[tuple[int, str | None, str | None]]
"""(quarter index, outcome, referral) -> cases closed."""
Talks = Counter[tuple[int, str]]
"""(quarter index, channel) -> conversations."""


@dataclass
class _Raw:
    """One year's cases tallied on their recorded values (turned into lines afterwards)."""

    edges: list[int] = field(default_factory=lambda: [0, 0])  # carried over, open at the end
    opened: Opened = field(default_factory=Counter)
    people: People = field(default_factory=Counter)
    closings: Closings = field(default_factory=Counter)
    closed_minutes: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    talks: Talks = field(default_factory=Counter)
    talk_minutes: list[int] = field(default_factory=lambda: [0, 0, 0, 0])


def count_year(year: int, cases: Sequence[CaseFacts]) -> Tally:
    """Every true count of ``year``.

    Issue 15: one pass tallies each case by its recorded values - two or three counter
    additions per case instead of one per figure line -, then the lines and atoms are made
    from those tallies. The atoms and category totals come in the order of their first case
    (as a per-case count would insert them: the order the auditor receives them in)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    raw, quarter_of = _Raw(), _QUARTER_OF_MONTH
    edges, opened_by, people, closings = raw.edges, raw.opened, raw.people, raw.closings
    talks, closed_minutes, talk_minutes = raw.talks, raw.closed_minutes, raw.talk_minutes
    for case in cases:
        opened, closed = case.opened_on, case.closed_on
        if closed is not None and closed < opened:
            raise ValueError(f"case {case.case_id} is closed before it was opened")
        if opened < start and (closed is None or closed >= start):
            edges[0] += 1
        if opened <= end and (closed is None or closed > end):
            edges[1] += 1
        if start <= opened <= end:
            if not case.categories:
                raise ValueError(f"case {case.case_id} has no category")
            q = quarter_of[opened.month]
            opened_by[(case.department_id, case.categories, q)] += 1
            people[(q, case.relation, case.gender, case.employment_type)] += 1
        if closed is not None and start <= closed <= end:
            q = quarter_of[closed.month]
            closings[(q, case.outcome, case.referral)] += 1
            closed_minutes[q] += case.minutes_spent
        for contact in case.contacts:
            held_on = contact.held_on
            if start <= held_on <= end:
                q = quarter_of[held_on.month]
                talks[(q, contact.channel)] += 1
                talk_minutes[q] += contact.minutes
    return _tally(year, raw)


def _tally(year: int, raw: _Raw) -> Tally:
    """The year's tallies from the raw ones."""
    t = Tally(year, dimension={d: Counter() for d in DIMENSIONS})
    quarters = periods_of_year(year)
    for (department, categories, q), count in raw.opened.items():  # in order of first case
        t.case_departments.add(department)
        for category in dict.fromkeys(categories) if len(categories) > 1 else categories:
            t.atoms[(department, category, quarters[q])] += count
            t.category_totals[category] += count
    _add_lines(t, _lines(raw))
    return t


def _lines(raw: _Raw) -> Lines:
    """The organisation-level lines (a closing or conversation puts its quarter's minutes
    line there, also with 0 minutes)."""
    lines: Lines = Counter()
    carried, at_end = raw.edges
    if carried:
        lines[("key:carried_over", 0)] += carried
    if at_end:
        lines[("key:open_at_end", 3)] += at_end
    for (q, relation, gender, employment), count in raw.people.items():
        lines[("key:opened", q)] += count
        lines[(line_name("relation", relation), q)] += count
        lines[(line_name("gender", gender), q)] += count
        lines[(line_name("employment", employment), q)] += count
    for (q, outcome, referral), count in raw.closings.items():
        lines[("key:closed", q)] += count
        lines[("time:other_case_minutes", q)] += 0
        outcome_line = line_name("outcome", outcome)
        lines[(outcome_line, q)] += count
        if outcome_line == _REFERRAL_LINE:
            lines[(line_name("referral", referral), q)] += count
    for (q, channel), count in raw.talks.items():
        lines[("key:conversations", q)] += count
        lines[("time:conversation_minutes", q)] += 0
        lines[(line_name("channel", channel), q)] += count
    for q in range(4):
        _add_minutes(lines, ("time:other_case_minutes", q), raw.closed_minutes[q])
        _add_minutes(lines, ("time:conversation_minutes", q), raw.talk_minutes[q])
    return lines


def _add_minutes(lines: Lines, line: tuple[str, int], minutes: int) -> None:
    if line in lines:  # a quarter with closings (conversations)
        lines[line] += minutes


_REFERRAL_LINE: Final = f"outcome:{Outcome.REFERRAL}"


def _add_lines(t: Tally, lines: Lines) -> None:
    quarters = periods_of_year(t.year)
    for (name, q), value in lines.items():
        t.org[(ORGANISATION_LEVEL, name, quarters[q])] += value
        dimension, line = name.split(":", 1)
        if dimension in t.dimension:
            t.dimension[dimension][line] += value
        else:
            t.key[line] += value


def report_true_counts(year: int, cases: Sequence[CaseFacts]) -> dict[CellKey, int]:
    """The true counts of every atom the report's figures use, for the auditor (counsellor
    side only: it includes the values of protected cells)."""
    t = count_year(year, cases)
    return {**{a: v for a, v in t.atoms.items() if v}, **{a: v for a, v in t.org.items() if v}}
