"""The annual report's pulse section (issue 16, "Meet en monitor"): the year's released rounds.

Flask-free and database-free like the rest of :mod:`vp_registry.core.report`. The input is
what management already saw: the :class:`~vp_registry.core.pulse.results.RoundResult` of
every round whose results were *released* (``services.pulse.results.released_rounds_in_year``
and the latest released rounds before the year, for the trend). Nothing here counts
responses or looks at a group below the minimum: a cell is the released figure's own value,
or ``x`` where the released result shows none (fewer than ``PULSE_MIN_RESPONSES`` answers, or
not shown for the organisation rule), or ``.`` where a group was not part of a round.

Decisions (docs/decisions.md, "Pulse survey in the annual report (issue 16)"):

* **Repeats, never recomputes.** Each figure is the released one (responses, score, change);
  differences between rounds are those the released results state (``trend``) or the
  difference of two released organisation scores, which any reader can take. The section
  adds no figure to the disclosure ledger (``AnnualReport.figures`` gets nothing from it).
* **Which rounds.** The rounds whose results were released and that closed in the report
  year, oldest first; the trend table adds at most :data:`EARLIER_ROUNDS` released rounds
  before the year. A year without any says so in one sentence.
* **Charts** are drawn like every report chart (``render.charts``): only from a table
  without a hidden cell - the organisation's score per round, and the department table when
  every department is shown in every round.
* **Corrections** repeat the section of the version they correct (``core.report.correction``
  copies every section), whatever was released since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import TYPE_CHECKING, Final

from vp_registry.core.disclosure import OTHER_DEPARTMENTS
from vp_registry.core.pulse.disclosure import OTHER_GROUPS, SCOPE_ALL
from vp_registry.core.report.model import (
    WITHHELD_MARK,
    Block,
    ReportCell,
    ReportRow,
    ReportSection,
    ReportTable,
)
from vp_registry.core.report.words import NOT_AVAILABLE_MARK, format_date, percent, text

if TYPE_CHECKING:
    from vp_registry.core.pulse.results import GroupResult, RoundResult

_SPECIAL_GROUPS: Final = {OTHER_GROUPS: "pulse_other_groups",
                          OTHER_DEPARTMENTS: "other_departments"}
"""Groups named by the grouping in English: the report's words in its own language."""
EARLIER_ROUNDS: Final = 3
"""The trend table shows at most this many released rounds before the report year."""
MAX_CHART_ROUNDS: Final = 6
"""A grouped chart has at most this many series (``render.charts.MAX_SERIES``)."""


@dataclass(frozen=True)
class PulseFacts:
    """The released pulse results the report shows (oldest round first).

    ``rounds``: released rounds that closed in the report year; ``earlier``: released rounds
    before it (the report keeps the latest :data:`EARLIER_ROUNDS`); ``minimum``: the public
    ``PULSE_MIN_RESPONSES`` rule, named in the text.
    """

    rounds: tuple[RoundResult, ...] = ()
    earlier: tuple[RoundResult, ...] = ()
    minimum: int = 5


def score_text(locale: str, score: float) -> str:
    """A released score with one decimal (rounded half up), decimal comma in Dutch."""
    shown = f"{score_value(score):f}"
    return shown.replace(".", ",") if locale == "nl" else shown


def score_value(score: float) -> Decimal:
    return Decimal(repr(float(score))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _score_cell(locale: str, score: float | None) -> ReportCell:
    if score is None:
        return ReportCell(WITHHELD_MARK, None, True)
    return ReportCell(score_text(locale, score), score_value(score), False)


def _change_cell(locale: str, change: float | None) -> ReportCell:
    if change is None:
        return ReportCell(NOT_AVAILABLE_MARK, None, False)
    value = score_value(change)
    shown = score_text(locale, abs(float(value)))
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return ReportCell(f"{sign}{shown}", value, False)


def _count_cell(count: int | None) -> ReportCell:
    if count is None:
        return ReportCell(WITHHELD_MARK, None, True)
    return ReportCell(str(count), count, False)


def _rate_cell(responses: int | None, invited: int) -> ReportCell:
    if responses is None:
        return ReportCell(WITHHELD_MARK, None, True)
    if invited <= 0:
        return ReportCell(NOT_AVAILABLE_MARK, None, False)
    return ReportCell(percent(responses, invited))


def _rounds_table(locale: str, year: int, rounds: Sequence[RoundResult]) -> ReportTable:
    """Per round: closing date, responses, response rate, the organisation's score and its
    released change (``trend``) against the previous released round."""
    rows = []
    for result in rounds:
        organisation = result.organisation
        shown = organisation.shown
        responses = organisation.responses if shown else None
        rows.append(ReportRow(result.title, (
            ReportCell(format_date(locale, result.closes_on)),
            _count_cell(responses),
            _rate_cell(responses, result.invited) if result.scope == SCOPE_ALL
            else ReportCell(NOT_AVAILABLE_MARK, None, False),
            _score_cell(locale, organisation.score if shown else None),
            _change_cell(locale, result.trend.get(organisation.key) if shown else None),
        )))
    word = _words(locale)
    return ReportTable(
        "pulse_rounds", word("pulse_rounds_table", year=year),
        (word("pulse_round"), word("pulse_closed_on"), word("pulse_responses"),
         word("pulse_rate"), word("pulse_score"), word("pulse_change")),
        tuple(rows), word("pulse_rounds_note"))


def _group_rows(locale: str, rounds: Sequence[RoundResult]
                ) -> dict[tuple[int, ...], tuple[str, str]]:
    """Every group over the rounds - the same departments make the same row (a group key
    can stand for other members in another round) - to its key and label, in order of first
    appearance."""
    rows: dict[tuple[int, ...], tuple[str, str]] = {}
    for result in rounds:
        for group in result.groups:
            special = _SPECIAL_GROUPS.get(group.key)
            rows[group.department_ids] = (
                group.key, text(locale, special) if special else group.label)
    return rows


def _group_cell(locale: str, group: GroupResult | None) -> ReportCell:
    if group is None:
        return ReportCell(NOT_AVAILABLE_MARK, None, False)
    return _score_cell(locale, group.score if group.shown else None)


def _groups_table(locale: str, year: int, rounds: Sequence[RoundResult], minimum: int
                  ) -> ReportTable:
    """Each department group's released score per round; the last column its change."""
    word = _words(locale)
    latest = rounds[-1]
    rows = []
    for members, (key, label) in _group_rows(locale, rounds).items():
        by_round = [{g.department_ids: g for g in r.groups}.get(members) for r in rounds]
        last = by_round[-1]
        change = latest.trend.get(key) if last is not None and last.shown else None
        rows.append(ReportRow(label, (
            *(_group_cell(locale, group) for group in by_round),
            _change_cell(locale, change))))
    columns = tuple(r.title for r in rounds)
    chart_ok = len(rounds) <= MAX_CHART_ROUNDS
    return ReportTable(
        "pulse_groups", word("pulse_groups_table", year=year),
        (word("department"), *columns, word("pulse_change")), tuple(rows),
        word("pulse_groups_note", minimum=minimum),
        # the change column is no score: a bar chart of the latest round, or grouped rounds
        chart=("bar" if len(rounds) == 1 else None) if chart_ok else None, chart_column=0,
    )


def _trend_table(locale: str, rounds: Sequence[RoundResult]) -> ReportTable:
    word = _words(locale)
    rows = tuple(ReportRow(f"{r.title} ({format_date(locale, r.closes_on)})", (
        _score_cell(locale, r.organisation.score if r.organisation.shown else None),))
        for r in rounds)
    return ReportTable("pulse_trend", word("pulse_trend_table"),
                       (word("pulse_round"), word("pulse_score")), rows,
                       word("pulse_trend_note"), chart="bar", chart_column=0)


def pulse_blocks(locale: str, year: int, pulse: PulseFacts) -> tuple[Block, ...]:
    """The section's paragraphs and tables (see the module docstring)."""
    word = _words(locale)
    rounds = sorted(pulse.rounds, key=lambda r: (r.closes_on, r.round_id))
    intro = word("pulse_intro", minimum=pulse.minimum)
    if not rounds:
        return (word("pulse_none", year=year),)
    earlier = sorted((r for r in pulse.earlier if r.closes_on < rounds[0].closes_on),
                     key=lambda r: (r.closes_on, r.round_id))[-EARLIER_ROUNDS:]
    blocks: list[Block] = [intro, _rounds_table(locale, year, rounds)]
    open_rounds = [r.title for r in rounds if r.open_round]
    if open_rounds:
        blocks.append(word("pulse_open_note", rounds=", ".join(open_rounds)))
    partial_rounds = [r.title for r in rounds if r.scope != SCOPE_ALL]
    if partial_rounds:
        blocks.append(word("pulse_shown_note", rounds=", ".join(partial_rounds)))
    blocks.append(_groups_table(locale, year, rounds, pulse.minimum))
    blocks.append(_trend_table(locale, [*earlier, *rounds]))
    return tuple(blocks)


def pulse_section(locale: str, year: int, number: int, pulse: PulseFacts) -> ReportSection:
    return ReportSection("pulse", number, _words(locale)("s_pulse"),
                         pulse_blocks(locale, year, pulse))


def _words(locale: str) -> partial[str]:
    """``word(key, **values)``: the report vocabulary in ``locale``."""
    return partial(text, locale)
