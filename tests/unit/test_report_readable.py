"""Section 5 of the annual report as people read it (issue 14): a department table whose every
cell is protected ('< k' or 'x') is one sentence; otherwise only the rows and columns that carry
information are shown and a sentence names the folded ones; one line says why the totals for
the whole organisation can be exact.

Presentation only (vp_registry.render.readable): the sentences are made from the marks, so
they say nothing the grid did not. HTML (page and standalone), the PDF's text and the DOCX
are checked; the CSV and XLSX keep the full grid (tests/unit/test_report_render.py).
"""

from __future__ import annotations

import dataclasses
import io

import pytest
from docx import Document
from pypdf import PdfReader

from tests.unit.test_report_figures import golden_report
from tests.unit.test_report_render import _Tables
from vp_registry.core.report import AnnualReport, ReportCell, ReportRow, ReportTable
from vp_registry.render import render
from vp_registry.render.html import render_fragment, render_html
from vp_registry.render.readable import readable_sections

ALL_WITHHELD_NL = ("De aantallen per afdeling en soort gedrag zijn afgeschermd, daarom staat "
                   "hier geen tabel. De totalen voor de hele organisatie staan in hoofdstuk 3.")
ORG_TOTALS_NL = ("De totalen voor de hele organisatie kunnen wel precies worden genoemd: ze "
                 "gaan over de hele organisatie en een heel jaar, dus ze wijzen niet naar een "
                 "persoon. Kleine aantallen staan ook daar als '< 3'.")
ROWS_NL = ("Bij Magazijn en Overige afdelingen kwamen per soort gedrag minder dan 3 meldingen "
           "binnen of zijn de aantallen afgeschermd.")
COLUMNS_NL = ("Over Seksisme en seksuele intimidatie en Werkdruk kwamen per afdeling minder "
              "dan 3 meldingen binnen of zijn de aantallen afgeschermd; de totalen staan in "
              "hoofdstuk 3.")
MIXED_GRID = [
    ["Productie", "7", "< 3", "x"],
    ["Kantoor", "3+", "< 3", "x"],
    ["Magazijn", "< 3", "< 3", "x"],
    ["Overige afdelingen", "x", "< 3", "x"],
]
MIXED_SHOWN = [
    ["Afdeling", "Pesten"],
    ["Productie", "7"],
    ["Kantoor", "3+"],
    ["Hele organisatie", "12"],
]


def _cell(display: str) -> ReportCell:
    return ReportCell(display, int(display), False) if display.isdigit() else \
        ReportCell(display, None, True)


def with_department_grid(report: AnnualReport, grid: list[list[str]],
                         totals: list[str]) -> AnnualReport:
    """The report with its department table's cells replaced (same columns and note): the
    renderers are tested on marks a real build may or may not produce for some data set."""
    section = report.section("departments")
    old = section.tables[0]
    rows = [ReportRow(label, tuple(_cell(d) for d in displays)) for label, *displays in grid]
    rows.append(ReportRow(old.rows[-1].label, tuple(_cell(d) for d in totals), total=True))
    table = dataclasses.replace(old, rows=tuple(rows))
    blocks = tuple(table if isinstance(b, ReportTable) else b for b in section.blocks)
    sections = tuple(dataclasses.replace(s, blocks=blocks) if s.key == "departments" else s
                     for s in report.sections)
    return dataclasses.replace(report, sections=sections)


@pytest.fixture(scope="module")
def golden() -> AnnualReport:
    # every department cell of the golden report is withheld ('x', issue 12)
    return golden_report(draft=False)


@pytest.fixture(scope="module")
def mixed(golden: AnnualReport) -> AnnualReport:
    return with_department_grid(golden, MIXED_GRID, ["12", "4", "7"])


def _html_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _text(html: str) -> str:
    return " ".join(html.replace("&#39;", "'").replace("&lt;", "<").split())


def _docx(report: AnnualReport) -> tuple[list[str], dict[str, list[list[str]]]]:
    document = Document(io.BytesIO(render(report, "docx")))
    paragraphs = [p.text for p in document.paragraphs]
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    tables = {caption: [[c.text for c in row.cells] for row in table.rows]
              for caption, table in zip(captions, document.tables, strict=True)}
    return paragraphs, tables


def test_the_golden_grid_is_all_protected(golden: AnnualReport) -> None:
    table = golden.table("departments")
    assert all(c.display == "x" for row in table.rows if not row.total for c in row.cells)


def test_an_all_protected_table_is_one_sentence_in_html(golden: AnnualReport) -> None:
    title = golden.table("departments").title
    for html in (render_html(golden), render_fragment(golden)):
        assert "departments" not in _html_tables(html)
        assert title not in html
        text = _text(html)
        assert ALL_WITHHELD_NL in text
        assert ORG_TOTALS_NL in text


def test_an_all_protected_table_is_one_sentence_in_the_pdf(golden: AnnualReport) -> None:
    reader = PdfReader(io.BytesIO(render(golden, "pdf")))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert ALL_WITHHELD_NL in text
    assert ORG_TOTALS_NL in text
    assert golden.table("departments").title not in text
    assert "Overige afdelingen x x x" not in text


def test_an_all_protected_table_is_one_sentence_in_the_docx(golden: AnnualReport) -> None:
    paragraphs, tables = _docx(golden)
    assert golden.table("departments").title not in tables
    assert ALL_WITHHELD_NL in paragraphs
    assert ORG_TOTALS_NL in paragraphs


def test_only_informative_rows_and_columns_are_shown_in_html(mixed: AnnualReport) -> None:
    for html in (render_html(mixed), render_fragment(mixed)):
        assert _html_tables(html)["departments"] == MIXED_SHOWN
        text = _text(html)
        assert ROWS_NL in text
        assert COLUMNS_NL in text
        assert ORG_TOTALS_NL in text
        assert ALL_WITHHELD_NL not in text


def test_only_informative_rows_and_columns_are_shown_in_the_docx(mixed: AnnualReport) -> None:
    paragraphs, tables = _docx(mixed)
    assert tables[mixed.table("departments").title] == MIXED_SHOWN
    assert ROWS_NL in paragraphs
    assert COLUMNS_NL in paragraphs
    assert ORG_TOTALS_NL in paragraphs


def test_data_formats_keep_the_whole_grid(mixed: AnnualReport) -> None:
    csv = render(mixed, "csv")
    import zipfile
    archive = zipfile.ZipFile(io.BytesIO(csv))
    name = next(n for n in archive.namelist() if "afdeling" in n)
    lines = archive.read(name).decode("utf-8-sig").splitlines()
    assert "Magazijn;< 3;< 3;x" in lines


def test_a_sentence_names_only_one_kind_of_mark_when_there_is_one(golden: AnnualReport) -> None:
    small = with_department_grid(golden, [[label, "< 3", "< 3", "< 3"] for label in
                                          ("Productie", "Kantoor", "Magazijn")], ["< 3"] * 3)
    blocks = next(s for s in readable_sections(small) if s.key == "departments").blocks
    assert blocks[0] == ("Per afdeling en soort gedrag kwamen minder dan 3 meldingen binnen, "
                         "daarom staat hier geen tabel. De totalen voor de hele organisatie "
                         "staan in hoofdstuk 3.")
    rows = with_department_grid(golden, [["Productie", "5", "3+", "4"],
                                         ["Kantoor", "< 3", "< 3", "< 3"]], ["9", "4", "7"])
    blocks = next(s for s in readable_sections(rows) if s.key == "departments").blocks
    assert "Bij Kantoor kwamen per soort gedrag minder dan 3 meldingen binnen." in blocks
    assert [r.label for r in blocks[0].rows] == ["Productie", "Hele organisatie"]  # type: ignore[union-attr]


def test_english_sentences() -> None:
    report = golden_report("en", draft=False)
    blocks = next(s for s in readable_sections(report) if s.key == "departments").blocks
    assert blocks[0] == ("The numbers per department and type of behaviour are hidden, so "
                         "there is no table here. The totals for the whole organisation are in "
                         "chapter 3.")
    assert any("cannot point to a person" in b for b in blocks if isinstance(b, str))


def test_other_sections_are_unchanged(mixed: AnnualReport) -> None:
    readable = readable_sections(mixed)
    assert [s for s in readable if s.key != "departments"] == [
        s for s in mixed.sections if s.key != "departments"]
