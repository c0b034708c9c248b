"""Report charts draw names as typed: a "$" in a category or department name is text, not
matplotlib mathtext (``R&D $\\foo$`` made the annual report fail with ParseFatalException, and
``$5 en $10`` came out as italic maths)."""

from __future__ import annotations

import dataclasses
import io
import xml.etree.ElementTree as ET
import zipfile
from datetime import date

import pytest

from tests.unit.test_report_figures import (
    ACTIVITIES,
    CASES,
    CATEGORIES,
    DEPARTMENTS,
    PREVIOUS,
    RULES,
    SIGNALS,
    TEXTS,
    YEAR,
)
from vp_registry.core.report import AnnualReport, build_report
from vp_registry.render import render
from vp_registry.render.charts import SVG_NS, chart_png, chart_svg

CRASHING = r"R&D $\foo$"  # an unknown mathtext command: ParseFatalException
ITALIC = "Kosten $5 en $10"  # valid mathtext: drawn as "5 en" in italics, dollars gone
DEPARTMENT = r"Afdeling $\alpha$ & co"


@pytest.fixture(scope="module")
def report() -> AnnualReport:
    names = {"pesten": CRASHING, "seksisme": ITALIC}
    categories = [(code, names.get(code, name)) for code, name in CATEGORIES]
    departments = [dataclasses.replace(d, name=DEPARTMENT) if d.name == "Kantoor" else d
                   for d in DEPARTMENTS]
    return build_report(YEAR, CASES, departments, categories, ACTIVITIES, SIGNALS, PREVIOUS,
                        TEXTS, RULES, (), "nl", organisation="Voorbeeld $x$ BV",
                        issued_on=date(2026, 2, 12))


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # noqa: S314  # our own chart
    return ["".join(t.itertext()) for t in root.iter(f"{{{SVG_NS}}}text")]


@pytest.mark.parametrize("key", ["categories", "trend_categories"])
def test_names_with_dollars_are_drawn_literally(report: AnnualReport, key: str) -> None:
    table = report.table(key)
    assert table.chart is not None and not table.has_suppressed
    svg = chart_svg(table)
    assert svg is not None
    texts = svg_texts(svg)
    assert CRASHING in texts and ITALIC in texts
    assert chart_png(table) is not None


def test_whole_report_renders_with_such_names(report: AnnualReport) -> None:
    """Every format renders; the names come out as typed. The department table of this report
    is all withheld, so the formats people read fold it into a sentence without department
    names (render.readable); the data formats keep the grid with the department's name."""
    html = render(report, "html").decode("utf-8")
    assert "R&amp;D $\\foo$" in html and "Kosten $5 en $10" in html
    docx = render(report, "docx")
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    assert "R&amp;D $\\foo$" in body
    with zipfile.ZipFile(io.BytesIO(render(report, "csv"))) as archive:
        grid = "".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    assert DEPARTMENT in grid and CRASHING in grid
