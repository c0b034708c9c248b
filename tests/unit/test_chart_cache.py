"""Report charts are drawn once per content (issue 15): a preview shown again with the same
figures gets exactly the SVG drawing would give, without matplotlib; any change in a label,
value, display, column or title draws afresh; the cache is bounded."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from vp_registry.core.report.model import ReportCell, ReportRow, ReportTable
from vp_registry.render import charts


def _table(**changes: Any) -> ReportTable:
    table = ReportTable(
        key="categories", title="Nieuwe meldingen naar soort gedrag",
        columns=("Soort gedrag", "Meldingen"),
        rows=(ReportRow("Pesten", (ReportCell("8", 8),)),
              ReportRow("Werkdruk", (ReportCell("5", 5),)),
              ReportRow("Totaal", (ReportCell("13", 13),), total=True)),
        chart="bar")
    return dataclasses.replace(table, **changes)


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The keys of the tables matplotlib drew (an empty cache before and after)."""
    keys: list[str] = []
    real = charts.draw

    def counting(table: ReportTable) -> Any:
        keys.append(table.key)
        return real(table)

    charts._drawn_svg.cache_clear()
    monkeypatch.setattr(charts, "draw", counting)
    yield keys
    charts._drawn_svg.cache_clear()


def test_the_same_content_is_drawn_once_and_gives_the_same_svg(drawn: list[str]) -> None:
    first = charts.chart_svg(_table())
    assert first is not None and drawn == ["categories"]
    again = charts.chart_svg(_table())  # an equal table, another object (a new preview)
    assert again == first and drawn == ["categories"]
    charts._drawn_svg.cache_clear()
    assert charts.chart_svg(_table()) == first and len(drawn) == 2  # drawing gives the same


CHANGES = {
    "display": {"rows": (ReportRow("Pesten", (ReportCell("9", 8),)),
                         ReportRow("Werkdruk", (ReportCell("5", 5),)))},
    "value": {"rows": (ReportRow("Pesten", (ReportCell("8", Decimal("8.5")),)),
                       ReportRow("Werkdruk", (ReportCell("5", 5),)))},
    "label": {"rows": (ReportRow("Pesterijen", (ReportCell("8", 8),)),
                       ReportRow("Werkdruk", (ReportCell("5", 5),)))},
    "column": {"columns": ("Soort gedrag", "Aantal")},
    "key": {"key": "trend_categories"},
    "title": {"title": "Andere titel"},
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_any_change_draws_afresh(drawn: list[str], change: dict[str, Any]) -> None:
    before = charts.chart_svg(_table())
    after = charts.chart_svg(_table(**change))
    assert len(drawn) == 2 and after is not None and after != before


def test_a_table_without_a_chart_is_not_drawn_nor_kept(drawn: list[str]) -> None:
    hidden = _table(rows=(ReportRow("Pesten", (ReportCell("< 3", None, True),)),))
    assert charts.chart_svg(hidden) is None and charts.chart_svg(_table(chart=None)) is None
    assert drawn == [] and charts._drawn_svg.cache_info().currsize == 0


def test_the_cache_is_bounded(drawn: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    titles: list[str] = []

    def sketch(table: ReportTable, title: str) -> str:  # no matplotlib: only the count
        titles.append(title)
        return f"<svg>{title}</svg>"

    monkeypatch.setattr(charts, "_draw_svg", sketch)
    for number in range(charts.CACHED_CHARTS + 3):
        assert charts.chart_svg(_table(title=f"Titel {number}")) == f"<svg>Titel {number}</svg>"
    assert charts._drawn_svg.cache_info().currsize == charts.CACHED_CHARTS
    charts.chart_svg(_table(title=f"Titel {charts.CACHED_CHARTS + 2}"))  # the newest stays
    charts.chart_svg(_table(title="Titel 0"))  # the oldest went first
    assert len(titles) == charts.CACHED_CHARTS + 4 and titles[-1] == "Titel 0"
