"""Every output format of the golden annual report, read back: the same figures, the same marks.

HTML is parsed with the standard library, the PDF read with pypdf, the DOCX with python-docx,
the XLSX with openpyxl and the CSV files with csv. Each must carry exactly the hand-computed
tables of ``test_report_figures`` and, where a cell is suppressed, the mark and never the true
count. Each format is rendered once per module (the PDF takes a few seconds).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.unit.test_report_figures import (
    ACTIVITIES,
    CASES,
    CATEGORIES,
    DEPARTMENTS,
    GOLDEN_TABLES,
    PREVIOUS,
    RULES,
    SUPPRESSED_TRUTHS,
    golden_report,
)
from vp_registry.core.report import AnnualReport, ReleasedSignalFacts, ReportTexts, build_report
from vp_registry.render import FORMATS, content_type, filename, render
from vp_registry.render.html import render_fragment, render_html
from vp_registry.render.tabular import table_names

Rows = list[list[str]]

# Every department cell of the golden report is withheld: in the formats people read (HTML,
# PDF, DOCX) that table is one sentence (render.readable, tests/unit/test_report_readable.py);
# the CSV and XLSX keep the grid.
FOLDED = frozenset({"departments"})


@pytest.fixture(scope="module")
def report() -> AnnualReport:
    return golden_report(draft=False)


@pytest.fixture(scope="module")
def outputs(report: AnnualReport) -> dict[str, bytes]:
    return {fmt: render(report, fmt) for fmt in FORMATS}


def _suppressed(key: str) -> Iterator[tuple[str, int, int]]:
    for table, label, index, truth in SUPPRESSED_TRUTHS:
        if table == key:
            yield label, index, truth


def check_tables(found: dict[str, Rows], folded: frozenset[str] = frozenset()) -> None:
    """Exactly the golden rows, and every suppressed cell shows its mark, not its count."""
    for key, expected in GOLDEN_TABLES.items():
        if key in folded:
            assert key not in found, key
            continue
        assert found[key] == expected, key
        for label, index, truth in _suppressed(key):
            row = next(r for r in found[key] if r[0] == label)
            assert row[index + 1] in {"< 3", "3+", "x"}  # x: withheld (issue 12)
            assert row[index + 1] != str(truth)


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, Rows] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.scripts = 0
        self.svgs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = str(dict(attrs)["id"]).removeprefix("t-")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("th", "td") and self._table:
            self._cell = []
        elif tag == "script":
            self.scripts += 1
        elif tag == "svg":
            self.svgs += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("th", "td") and self._cell is not None and self._table:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_html(outputs: dict[str, bytes], report: AnnualReport) -> None:
    parser = _Tables()
    parser.feed(outputs["html"].decode("utf-8"))
    check_tables(parser.tables, FOLDED)
    assert parser.scripts == 0
    assert parser.svgs == 4  # categories, two trends, activities: the tables without marks
    assert set(parser.tables) == {t.key for t in report.tables()} - FOLDED


def test_fragment_has_no_style_for_the_app_csp(report: AnnualReport) -> None:
    fragment = render_fragment(report)
    assert "<style" not in fragment and "style=" not in fragment and "<script" not in fragment
    parser = _Tables()
    parser.feed(fragment)
    check_tables(parser.tables, FOLDED)


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf(outputs: dict[str, bytes]) -> PdfReader:
    return PdfReader(io.BytesIO(outputs["pdf"]))


@pytest.fixture(scope="module")
def pdf_pages(pdf: PdfReader) -> list[str]:
    return [page.extract_text() for page in pdf.pages]


def _words(text: str) -> str:
    return " ".join(text.split())


def test_pdf_tables(pdf_pages: list[str], report: AnnualReport) -> None:
    text = _words(" ".join(pdf_pages))
    for key, expected in GOLDEN_TABLES.items():
        if key in FOLDED:
            assert report.table(key).title not in text
            continue
        position = text.find(report.table(key).title)
        assert position >= 0, key
        for row in expected[1:]:  # headers may be hyphenated in print
            line = " ".join(row)
            found = text.find(line, position)
            assert found >= 0, (key, line)
            position = found + len(line)
        for label, index, truth in _suppressed(key):
            row = next(r for r in expected if r[0] == label)
            shown = " ".join(row)
            true_row = " ".join([*row[:index + 1], str(truth), *row[index + 2:]])
            assert shown in text
            assert re.search(re.escape(true_row) + r"(?![+\d])", text) is None, true_row


def test_pdf_pages_numbers_and_contents(pdf_pages: list[str], report: AnnualReport) -> None:
    pages = pdf_pages
    total = len(pages)
    assert total > 1
    assert "Pagina" not in pages[0]  # the cover has no page furniture
    for number, page in enumerate(pages[1:], start=2):
        assert f"Pagina {number} van {total}" in page
    entries = re.findall(r"^(\d)\s+(.+?)\s*\.{3,}\s*(\d+)$", pages[1], flags=re.MULTILINE)
    assert [(int(n), title) for n, title, _ in entries] == [
        (s.number, s.title) for s in report.sections]
    for number, title, page in entries:
        assert f"{number} {title}" in _words(pages[int(page) - 1])
    assert "Inhoud" in pages[1]


def test_pdf_charts_are_vector_and_metadata_is_set(pdf: PdfReader) -> None:
    assert all(not page.images for page in pdf.pages)
    assert pdf.metadata is not None
    assert pdf.metadata.title == "Jaarverslag vertrouwenspersoon 2025 - Voorbeeld BV"


# --------------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------------


def test_docx(outputs: dict[str, bytes], report: AnnualReport) -> None:
    document = Document(io.BytesIO(outputs["docx"]))
    keys = [t.key for t in report.tables() if t.key not in FOLDED]
    assert len(document.tables) == len(keys)
    found = {key: [[cell.text for cell in row.cells] for row in table.rows]
             for key, table in zip(keys, document.tables, strict=True)}
    check_tables(found, FOLDED)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [f"{s.number}  {s.title}" for s in report.sections]
    body = document.element.body.xml
    assert 'TOC \\o "1-1"' in body
    # the Word hint under the contents is the report's word, in the report's language
    assert "Kies in Word 'Velden bijwerken' (F9) als de inhoudsopgave hier leeg is." in [
        p.text for p in document.paragraphs]
    assert "PAGE" in document.sections[0].footer.paragraphs[0]._p.xml
    assert len(document.inline_shapes) == 4  # the charts


# --------------------------------------------------------------------------------------------
# XLSX and CSV
# --------------------------------------------------------------------------------------------


def test_xlsx(outputs: dict[str, bytes], report: AnnualReport) -> None:
    workbook = load_workbook(io.BytesIO(outputs["xlsx"]))
    named = table_names(report)
    assert workbook.sheetnames[0] == "Toelichting"
    assert workbook.sheetnames[1:] == [f"{n:02d} {short}" for n, (_, short) in
                                       enumerate(named, start=1)]
    found: dict[str, Rows] = {}
    for (table, _), sheet in zip(named, workbook.worksheets[1:], strict=True):
        assert sheet["A1"].value == table.title
        rows: Rows = []
        for cells in sheet.iter_rows(min_row=3, max_row=3 + len(table.rows)):
            row = []
            for cell in cells:
                value = cell.value
                if isinstance(value, float) or cell.number_format == "0.0":
                    row.append(f"{float(value):.1f}".replace(".", ","))  # type: ignore[arg-type]
                else:
                    row.append("" if value is None else str(value))
            rows.append(row)
        found[table.key] = rows
        # exact figures are numbers, marks are text
        for row in cells_of(sheet, 4, 3 + len(table.rows)):
            for cell in row[1:]:
                if cell.value in {"< 3", "3+", "x", "."}:
                    assert isinstance(cell.value, str)
    check_tables(found)
    assert workbook["02 Tijd"]["B7"].value == pytest.approx(32.3)


def cells_of(sheet: object, first: int, last: int) -> list[tuple[object, ...]]:
    return list(sheet.iter_rows(min_row=first, max_row=last))  # type: ignore[attr-defined]


def test_csv_zip(outputs: dict[str, bytes], report: AnnualReport) -> None:
    archive = zipfile.ZipFile(io.BytesIO(outputs["csv"]))
    named = table_names(report)
    names = archive.namelist()
    assert names[0] == "00-toelichting.csv"
    assert len(names) == len(named) + 1
    found: dict[str, Rows] = {}
    for (table, _), name in zip(named, names[1:], strict=True):
        text = archive.read(name).decode("utf-8-sig")
        found[table.key] = list(csv.reader(io.StringIO(text), delimiter=";"))
    check_tables(found)
    about = archive.read(names[0]).decode("utf-8-sig")
    assert "< 3;minder dan 3" in about


def test_english_csv_uses_commas() -> None:
    report = golden_report("en", draft=False)
    archive = zipfile.ZipFile(io.BytesIO(render(report, "csv")))
    time = archive.read("02-time.csv").decode("utf-8-sig")
    assert time.splitlines() == ["Time,Hours", "Conversations,15.6",
                                 "Other work on cases,6.7", "Activities,10.0", "Total,32.3"]


# --------------------------------------------------------------------------------------------
# Every format
# --------------------------------------------------------------------------------------------


def test_every_format_shows_the_marks(outputs: dict[str, bytes], pdf_pages: list[str]) -> None:
    pdf_text = " ".join(pdf_pages)
    docx_text = " ".join(cell.text for table in Document(io.BytesIO(outputs["docx"])).tables
                         for row in table.rows for cell in row.cells)
    docx_cells = [cell.text for table in Document(io.BytesIO(outputs["docx"])).tables
                  for row in table.rows for cell in row.cells]
    assert "x" in docx_cells  # withheld cells (the golden tables' only mark since issue 12)
    for text in (outputs["html"].decode(), pdf_text):
        assert "&lt; 3" in text or "< 3" in text  # the legend
        assert "3+" in text
    assert docx_text


def test_dispatcher_names_and_types(report: AnnualReport) -> None:
    assert filename(report, "pdf") == "jaarverslag-vertrouwenspersoon-2025.pdf"
    assert filename(report, "csv") == "jaarverslag-vertrouwenspersoon-2025.csv.zip"
    final = golden_report("en", draft=False)
    draft = golden_report("en", version=2, corrects=final)  # a correction's draft
    assert filename(draft, "docx") == "annual-report-2025-v2-draft.docx"
    assert content_type("pdf") == "application/pdf"
    assert content_type("csv") == "application/zip"
    with pytest.raises(ValueError, match="unknown report format"):
        render(report, "odt")


def test_typed_text_is_never_markup_nor_a_formula() -> None:
    evil = '=HYPERLINK("http://example.invalid","klik")'
    report = build_report(
        2025, CASES, DEPARTMENTS, CATEGORIES, ACTIVITIES,
        [ReleasedSignalFacts("2025-Q3", "Kantoor", "Werkdruk", "3-4", "<script>alert(1)</script>",
                             (), evil + "\x0b", None)],
        PREVIOUS, ReportTexts("<img src=x onerror=alert(1)>", "@SUM(1+1)"), RULES, [],
    )
    html = render(report, "html").decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html
    workbook = load_workbook(io.BytesIO(render(report, "xlsx")))
    sheet = next(ws for ws in workbook.worksheets if ws.title.endswith(" Signalen"))
    cell = sheet.cell(4, 7)
    assert cell.value == evil and cell.data_type == "s"
    archive = zipfile.ZipFile(io.BytesIO(render(report, "csv")))
    name = next(n for n in archive.namelist() if n.endswith("-signalen.csv"))
    signals = archive.read(name).decode("utf-8-sig")
    assert "'=HYPERLINK" in signals
    document = Document(io.BytesIO(render(report, "docx")))
    assert any(evil == cell.text for table in document.tables for row in table.rows
               for cell in row.cells)


def test_typed_names_cannot_leave_the_print_stylesheet(report: AnnualReport) -> None:
    """The organisation name goes into the print CSS (page footer) as a CSS string: neither
    a quote nor ``</style>`` may end the string or the element."""
    name = 'Zorg & Co "B.V." \\ </style><img src=x>\nx'
    html = render_html(dataclasses.replace(report, organisation=name), for_print=True)
    style = html[html.index("<style>"):html.index("</style>")]
    assert "<img" not in style and "</" not in style
    footer = re.search(r"@bottom-left \{ content: (\"[^\"]*\");", style)
    assert footer is not None
    assert footer.group(1) == ('"Zorg \\000026 Co \\000022B.V.\\000022 \\00005c '
                               '\\00003c/style\\00003e\\00003cimg src\\00003dx\\00003e x"')
    assert html.count("</style>") == 1
