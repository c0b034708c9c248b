"""Small building blocks: cells, paragraphs, names and the organisation-level release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from vp_registry.core.disclosure import (
    ORGANISATION,
    OTHER_DEPARTMENTS,
    CellKey,
    DepartmentGroup,
    Figure,
)
from vp_registry.core.report.model import WITHHELD_MARK, ReportCell
from vp_registry.core.report.tally import org_cells
from vp_registry.core.report.words import format_hours, text

# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def exact_cell(value: int) -> ReportCell:
    return ReportCell(str(value), value, False)


def hours_cell(locale: str, hours: Decimal) -> ReportCell:
    return ReportCell(format_hours(locale, hours), hours, False)


def figure_cell(figure: Figure | None) -> ReportCell:
    if figure is None:
        return ReportCell(WITHHELD_MARK, None, True)
    if figure.is_exact:
        return exact_cell(figure.low)
    return ReportCell(figure.display, None, True)


def paragraphs(body: str, locale: str) -> tuple[str, ...]:
    blocks = [b.strip() for b in body.replace("\r\n", "\n").split("\n\n")]
    found = tuple(b for b in blocks if b)
    return found or (text(locale, "empty_text"),)


@dataclass
class Release:
    """Organisation-level figures of this report, checked against the ledger as they are made."""

    year: int
    ledger: Mapping[frozenset[CellKey], Figure]
    figures: list[Figure] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        earlier = self.ledger.get(figure.cells)
        if earlier is not None and earlier.interval != figure.interval:
            self.conflicts.append(
                f"'{figure.label}' was released before as '{earlier.display}'; the current "
                f"case records would show it as '{figure.display}'. A released figure is "
                "never changed, so this report cannot be released as it is."
            )
        self.figures.append(figure)
        return figure


def join_names(locale: str, names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {text(locale, 'and')} {names[-1]}"


def group_label(locale: str, group: DepartmentGroup) -> str:
    if group.key == ORGANISATION:
        return text(locale, "whole_organisation")
    if group.key == OTHER_DEPARTMENTS:
        return text(locale, "other_departments")
    return group.label


def key_figure(release: Release, name: str, value: int) -> ReportCell:
    cells = org_cells("key", name, release.year)
    release.add(Figure.exact(cells, value, f"Key figure: {name} · {release.year}",
                             organisation_wide=True))
    return exact_cell(value)


def count_heading(locale: str, dimension: str) -> str:
    """The count column's heading: conversations for channels, cases otherwise."""
    return text(locale, "conversations_plain" if dimension == "channel" else "cases")
