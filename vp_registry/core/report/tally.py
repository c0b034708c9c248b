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


def count_year(year: int, cases: Sequence[CaseFacts]) -> Tally:
    """Every true count of ``year`` in one pass over the cases (issue 15: the loop does per
    case only dictionary look-ups and additions, in the order the cases come - the tallies'
    keys are inserted in the same order as a plain per-case count would)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    t = Tally(year, dimension={d: Counter() for d in DIMENSIONS})
    lines: Lines = Counter()
    opened_lines = _Opened(t, lines, periods_of_year(year))
    quarter_of, channels = _QUARTER_OF_MONTH, _LINE_NAMES["channel"]
    for case in cases:
        opened, closed = case.opened_on, case.closed_on
        if closed is not None and closed < opened:
            raise ValueError(f"case {case.case_id} is closed before it was opened")
        if opened < start and (closed is None or closed >= start):
            lines[("key:carried_over", 0)] += 1
        if opened <= end and (closed is None or closed > end):
            lines[("key:open_at_end", 3)] += 1
        if start <= opened <= end:
            opened_lines.count(case, quarter_of[opened.month])
        if closed is not None and start <= closed <= end:
            _count_closed(lines, case, quarter_of[closed.month])
        for contact in case.contacts:
            held_on = contact.held_on
            if start <= held_on <= end:
                q = quarter_of[held_on.month]
                lines[("key:conversations", q)] += 1
                lines[("time:conversation_minutes", q)] += contact.minutes
                channel = channels.get(contact.channel) or line_name("channel", contact.channel)
                lines[(channel, q)] += 1
    _add_lines(t, lines)
    return t


class _Opened:
    """Counts a case opened in the year: the department table's atoms and the opened lines."""

    def __init__(self, t: Tally, lines: Lines, quarters: list[str]) -> None:
        self.t, self.lines, self.quarters = t, lines, quarters
        self.relations = _LINE_NAMES["relation"]
        self.genders = _LINE_NAMES["gender"]
        self.employment = _LINE_NAMES["employment"]

    def count(self, case: CaseFacts, q: int) -> None:
        lines, t, quarter = self.lines, self.t, self.quarters[q]
        lines[("key:opened", q)] += 1
        categories = case.categories
        if len(categories) > 1:
            categories = tuple(dict.fromkeys(categories))
        elif not categories:
            raise ValueError(f"case {case.case_id} has no category")
        department = case.department_id
        t.case_departments.add(department)
        atoms, totals = t.atoms, t.category_totals
        for category in categories:
            atoms[(department, category, quarter)] += 1
            totals[category] += 1
        relation, gender, employment = case.relation, case.gender, case.employment_type
        lines[(self.relations.get(relation) or line_name("relation", relation), q)] += 1
        lines[(self.genders.get(gender) or line_name("gender", gender), q)] += 1
        lines[(self.employment.get(employment) or line_name("employment", employment), q)] += 1


def _count_closed(lines: Lines, case: CaseFacts, q: int) -> None:
    """A case closed in the year: closed, its other time, outcome and referral."""
    lines[("key:closed", q)] += 1
    lines[("time:other_case_minutes", q)] += case.minutes_spent
    outcome = line_name("outcome", case.outcome)
    lines[(outcome, q)] += 1
    if outcome == _REFERRAL_LINE:
        lines[(line_name("referral", case.referral), q)] += 1


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
