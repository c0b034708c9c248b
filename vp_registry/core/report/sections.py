"""The trend, signal and activity sections (6-8).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal

from vp_registry.core.disclosure import (
    DisclosureRules,
)
from vp_registry.core.report.cells import exact_cell, hours_cell
from vp_registry.core.report.model import (
    WITHHELD_MARK,
    ActivityFacts,
    Block,
    FrozenAggregates,
    ReleasedSignalFacts,
    ReportCell,
    ReportRow,
    ReportTable,
)
from vp_registry.core.report.words import NOT_AVAILABLE_MARK, format_date, labels, text
from vp_registry.core.taxonomy import (
    ActivityType,
)


def trend_blocks(
    locale: str,
    year: int,
    previous: Sequence[FrozenAggregates],
    current: FrozenAggregates,
    codes: Sequence[str],
    labels: Mapping[str, str],
    category_cells: Mapping[str, ReportCell],
) -> tuple[Block, ...]:
    if not previous:
        return (text(locale, "trends_none"),)
    years = [*previous, current]
    year_columns = tuple(str(a.year) for a in years)
    key_rows = tuple(
        ReportRow(text(locale, word), tuple(
            ReportCell(WITHHELD_MARK, None, True) if (v := getattr(a, attr)) is None
            else exact_cell(v) for a in years))
        for word, attr in (("new_cases", "cases_opened"), ("closed_cases", "cases_closed"),
                           ("conversations_plain", "conversations"))
    )
    key_table = ReportTable("trend_key_figures", text(locale, "trend_key_table"),
                            (text(locale, "measure"), *year_columns), key_rows, chart="grouped")
    earlier_labels: dict[str, str] = {}
    for a in previous:
        for c in a.categories:
            earlier_labels.setdefault(c.code, c.label)
    all_codes = [*codes, *(c for c in earlier_labels if c not in codes)]
    cat_rows = []
    for code in all_codes:
        cells = []
        for a in previous:
            counts = a.category_counts()
            cells.append(exact_cell(counts[code]) if code in counts
                         else ReportCell(NOT_AVAILABLE_MARK, None, False))
        cells.append(category_cells.get(code, ReportCell(NOT_AVAILABLE_MARK, None, False)))
        cat_rows.append(ReportRow(labels.get(code) or earlier_labels[code], tuple(cells)))
    cat_table = ReportTable(
        "trend_categories", text(locale, "trend_cat_table"),
        (text(locale, "category"), *year_columns), tuple(cat_rows),
        text(locale, "trend_cat_note"), chart="grouped",
    )
    return (text(locale, "trends_intro"), key_table, cat_table)


def signal_blocks(
    locale: str, year: int, signals: Sequence[ReleasedSignalFacts], rules: DisclosureRules
) -> tuple[Block, ...]:
    bands = ", ".join(rules.band_label(edge) for edge in rules.band_edges)
    if not signals:
        return (text(locale, "signals_intro", bands=bands),
                text(locale, "signals_none", year=year))
    actions = labels(locale, "action")
    rows = []
    for s in signals:
        follow = text(locale, "no_follow_up")
        if s.follow_up:
            follow = s.follow_up
            if s.follow_up_on is not None:
                follow = f"{format_date(locale, s.follow_up_on)}: {follow}"
        suggested = "; ".join(actions.get(a, a) for a in s.suggested_actions)
        rows.append(ReportRow(s.period, tuple(ReportCell(v) for v in (
            s.group, s.category, s.band, s.context, suggested, follow))))
    table = ReportTable(
        "signals", text(locale, "signals_table", year=year),
        tuple(text(locale, w) for w in ("period", "department", "category", "number",
                                        "context", "actions", "follow_up")),
        tuple(rows), text=True,
    )
    return (text(locale, "signals_intro", bands=bands), table)


def activity_blocks(
    locale: str, year: int, activities: Sequence[ActivityFacts]
) -> tuple[tuple[Block, ...], Decimal]:
    mine = sorted((a for a in activities if a.held_on.year == year),
                  key=lambda a: (a.held_on, a.activity_type))
    total = sum((a.hours for a in mine), Decimal(0))
    if not mine:
        return (text(locale, "activities_intro"), text(locale, "activities_none", year=year)), total
    names = labels(locale, "activity")
    number: Counter[str] = Counter(a.activity_type for a in mine)
    hours: dict[str, Decimal] = {}
    for a in mine:
        hours[a.activity_type] = hours.get(a.activity_type, Decimal(0)) + a.hours
    rows = [
        ReportRow(names[t], (exact_cell(number[t]), hours_cell(locale, hours.get(t, Decimal(0)))))
        for t in ActivityType
    ]
    rows.append(ReportRow(text(locale, "total"),
                          (exact_cell(len(mine)), hours_cell(locale, total)), total=True))
    by_type = ReportTable(
        "activities", text(locale, "act_table", year=year),
        (text(locale, "activity"), text(locale, "number"), text(locale, "hours")),
        tuple(rows), chart="bar", chart_column=1,
    )
    listing = ReportTable(
        "activity_list", text(locale, "act_list", year=year),
        (text(locale, "date"), text(locale, "activity"), text(locale, "hours"),
         text(locale, "description")),
        tuple(ReportRow(format_date(locale, a.held_on), (
            ReportCell(names[a.activity_type]), hours_cell(locale, a.hours),
            ReportCell(a.description))) for a in mine),
        text=True,
    )
    return (text(locale, "activities_intro"), by_type, listing), total
