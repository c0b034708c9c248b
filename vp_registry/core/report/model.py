"""The annual report's inputs and its finished, display-ready form (frozen dataclasses).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final, Literal

from vp_registry.core.disclosure import (
    AuditResult,
    Figure,
)
from vp_registry.core.report.words import text
from vp_registry.core.taxonomy import (
    ActivityType,
)

ORGANISATION_LEVEL: Final = -1
"""Pseudo department id of organisation-level atoms (key figures, breakdowns) in the ledger."""

WITHHELD_MARK: Final = "x"
"""A figure that is not published (as the Dutch statistics office CBS marks secret cells)."""
NOT_RECORDED: Final = "not_recorded"
MAX_EARLIER_YEARS: Final = 5
"""The trends compare the report year with at most this many earlier years."""
AGGREGATES_FORMAT: Final = 1
REPORT_FORMAT: Final = 1

ChartKind = Literal["bar", "grouped"]
Status = Literal["exact", "primary", "complementary", "withheld"]


class ReportRefused(Exception):
    """The report cannot be released as built; ``explanation`` is for the counsellor only.

    The explanation may describe small counts: show it to the counsellor, never to a manager,
    and never write it to a log (docs/design.md I-8).
    """

    def __init__(self, explanation: str, audit_result: AuditResult | None = None) -> None:
        super().__init__("The annual report cannot be released; see the explanation.")
        self.explanation = explanation
        self.audit_result = audit_result


WITHHOLDABLE_AGGREGATES: Final = frozenset({"cases_carried_over", "cases_opened",
                                             "cases_closed", "cases_open_at_end"})


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityFacts:
    """A preventive or other activity of the counsellor (not case data, not protected)."""

    held_on: date
    activity_type: ActivityType
    hours: Decimal
    description: str = ""

    def __post_init__(self) -> None:
        hours = Decimal(self.hours)
        if not hours.is_finite() or hours < 0:
            raise ValueError(f"activity hours must be a non-negative number, got {self.hours!r}")
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "activity_type", ActivityType(self.activity_type))


@dataclass(frozen=True)
class ReleasedSignalFacts:
    """A signal released to management, as released (its band), with management's follow-up.

    ``suggested_actions`` holds :class:`~vp_registry.core.taxonomy.SuggestedAction` codes
    (translated here) or free text (shown as given).
    """

    period: str
    group: str
    category: str
    band: str
    context: str = ""
    suggested_actions: tuple[str, ...] = ()
    follow_up: str | None = None
    follow_up_on: date | None = None


@dataclass(frozen=True)
class ReportTexts:
    """The counsellor's own texts: plain text, paragraphs separated by a blank line."""

    introduction: str = ""
    recommendations: str = ""


@dataclass(frozen=True)
class CategoryTotal:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class FrozenAggregates:
    """The organisation-wide figures of a finalised report, kept for later years' trends.

    Only exact organisation-wide figures (released as such), never a department cell or a
    protected line, so they may be stored in plaintext next to the finalised report.
    """

    year: int
    cases_carried_over: int | None  # None: not published (repeats no published figure)
    cases_opened: int | None  # None: not published (next to a hidden category total)
    cases_closed: int | None  # None: not published (with opened or carried over withheld)
    cases_open_at_end: int | None
    conversations: int
    conversation_minutes: int
    other_case_minutes: int
    activity_minutes: int
    categories: tuple[CategoryTotal, ...] = ()

    def category_counts(self) -> dict[str, int]:
        return {c.code: c.count for c in self.categories}

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": AGGREGATES_FORMAT,
            "year": self.year,
            "cases_carried_over": self.cases_carried_over,
            "cases_opened": self.cases_opened,
            "cases_closed": self.cases_closed,
            "cases_open_at_end": self.cases_open_at_end,
            "conversations": self.conversations,
            "conversation_minutes": self.conversation_minutes,
            "other_case_minutes": self.other_case_minutes,
            "activity_minutes": self.activity_minutes,
            "categories": [[c.code, c.label, c.count] for c in self.categories],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FrozenAggregates:
        if data.get("format") != AGGREGATES_FORMAT:
            raise ValueError(f"unknown frozen aggregates format: {data.get('format')!r}")
        ints: dict[str, Any] = {}
        for name in ("year", "cases_carried_over", "cases_opened", "cases_closed",
                     "cases_open_at_end", "conversations", "conversation_minutes",
                     "other_case_minutes", "activity_minutes"):
            value = data[name]
            if value is None and name in WITHHOLDABLE_AGGREGATES:
                ints[name] = None  # not published (issue 12: decided from public facts)
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"frozen aggregates: {name} must be a whole number >= 0")
            ints[name] = value
        categories = []
        for code, label, count in data["categories"]:
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"frozen aggregates: category {code!r} has an invalid count")
            categories.append(CategoryTotal(str(code), str(label), count))
        return cls(**ints, categories=tuple(categories))

    @classmethod
    def from_json(cls, text: str) -> FrozenAggregates:
        return cls.from_dict(json.loads(text))


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportCell:
    """What every format prints (``display``) and, only for exact figures, the number.

    ``suppressed`` cells (``< k``, ``k+``, ``x``, a band) have ``value=None``: the true count
    is not in the report. Hours are :class:`~decimal.Decimal` values.
    """

    display: str
    value: int | Decimal | None = None
    suppressed: bool = False


@dataclass(frozen=True)
class ReportRow:
    label: str
    cells: tuple[ReportCell, ...]
    total: bool = False


@dataclass(frozen=True)
class ReportTable:
    """One table; ``columns[0]`` heads the row labels, ``columns[1:]`` the cells.

    ``chart`` asks the renderers for a chart of column ``chart_column`` (an index into the
    cells) over the non-total rows (``bar``), or of every cell column per row (``grouped``).
    ``text`` marks a table of words (signals, activity list) rather than figures.
    """

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[ReportRow, ...]
    note: str = ""
    chart: ChartKind | None = None
    chart_column: int = 0
    text: bool = False

    @property
    def has_suppressed(self) -> bool:
        return any(cell.suppressed for row in self.rows for cell in row.cells)


Block = str | ReportTable
"""A section is a sequence of paragraphs (plain text) and tables, in reading order."""


@dataclass(frozen=True)
class ReportSection:
    key: str
    number: int
    title: str
    blocks: tuple[Block, ...] = ()

    @property
    def tables(self) -> tuple[ReportTable, ...]:
        return tuple(b for b in self.blocks if isinstance(b, ReportTable))

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b for b in self.blocks if isinstance(b, str))


@dataclass(frozen=True)
class AnnualReport:
    year: int
    locale: str
    title: str
    organisation: str
    draft: bool
    version: int
    issued_on: date | None
    k: int
    legend: tuple[tuple[str, str], ...]
    sections: tuple[ReportSection, ...]
    figures: tuple[Figure, ...] = field(repr=False)
    aggregates: FrozenAggregates = field(repr=False)

    def tables(self) -> Iterator[ReportTable]:
        for section in self.sections:
            yield from section.tables

    def table(self, key: str) -> ReportTable:
        for table in self.tables():
            if table.key == key:
                return table
        raise KeyError(key)

    def section(self, key: str) -> ReportSection:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def word(self, key: str, **values: object) -> str:
        """A word of the report vocabulary in the report's language (for the renderers)."""
        return text(self.locale, key, **values)

    # -- storage of a finalised report (it contains released figures only) --------------

    def to_json(self) -> str:
        from vp_registry.core.report.storage import report_to_dict  # storage uses the model

        return json.dumps(report_to_dict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, data: str) -> AnnualReport:
        from vp_registry.core.report.storage import report_from_dict

        return report_from_dict(json.loads(data))
