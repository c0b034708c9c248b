"""Every table of an annual report as CSV (one file per table, zipped) and as XLSX.

Choice for CSV: a ZIP with one CSV per table (``01-kerncijfers.csv``, ...) plus
``00-toelichting.csv`` (title, status, the marks and the list of tables with their notes).
Each file opens as a normal table in a spreadsheet, which is what counsellors and works
councils do with it; one long CSV with a "table" column would need a pivot first. The files are
UTF-8 with a byte order mark (Excel recognises the encoding) and, for Dutch, use ``;`` as the
separator (what Dutch Excel expects, since the decimal separator is a comma); English uses
``,``. Cells hold exactly the ``display`` text of the report (``< 3``, ``3+``, ``12,5``).

XLSX: one sheet per table (title, header, rows, note), a first sheet "Toelichting". Exact
figures are numbers (so they can be summed and charted), every mark is text, identical to the
other formats.

Free text (signal context, follow-up, activity descriptions, names) can never become a formula:
in XLSX every string is stored as text, in CSV a value starting with = + - @ gets a leading
apostrophe. Control characters are dropped.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from vp_registry.core.report import AnnualReport, ReportRow, ReportTable
from vp_registry.render.html import status_line

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # reproducible ZIP entries
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(text: str) -> str:
    """Without control characters (XML, and so XLSX and DOCX, cannot hold them)."""
    return _CONTROL.sub("", text)


def csv_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP "CSV injection"): free text such as
    a follow-up or a department name starting with = + - @ gets a leading apostrophe."""
    text = clean(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _delimiter(report: AnnualReport) -> str:
    return ";" if report.locale == "nl" else ","


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "tabel"


def table_names(report: AnnualReport) -> list[tuple[ReportTable, str]]:
    """(table, short name) in report order; the short name heads a sheet or names a file."""
    names = []
    for table in report.tables():
        try:
            short = report.word(f"short_{table.key}")
        except KeyError:
            short = table.key
        names.append((table, short))
    return names


def _csv_bytes(rows: list[list[str]], delimiter: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([[csv_safe(value) for value in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


def _table_rows(table: ReportTable) -> list[list[str]]:
    rows = [list(table.columns)]
    rows += [[row.label, *(cell.display for cell in row.cells)] for row in table.rows]
    return rows


def render_csv_zip(report: AnnualReport) -> bytes:
    delimiter = _delimiter(report)
    named = table_names(report)
    files: list[tuple[str, bytes]] = []
    about = [
        [report.title],
        [report.word("organisation"), report.organisation],
        [report.word("report_year"), str(report.year)],
        [report.word("status"), status_line(report) or report.word("final")],
        [],
        [report.word("legend")],
        *([mark, meaning] for mark, meaning in report.legend),
        [],
        [report.word("tables")],
        [report.word("file"), report.word("tables"), report.word("note")],
    ]
    for number, (table, short) in enumerate(named, start=1):
        name = f"{number:02d}-{_slug(short)}.csv"
        about.append([name, table.title, table.note])
        files.append((name, _csv_bytes(_table_rows(table), delimiter)))
    files.insert(0, (f"00-{_slug(report.word('sheet_about'))}.csv",
                     _csv_bytes(about, delimiter)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(zipfile.ZipInfo(name, _FIXED_TIME), content,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _sheet_title(number: int, short: str) -> str:
    return f"{number:02d} {_SHEET_FORBIDDEN.sub('-', short)}"[:31]


_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13, color="1D5F73")
_MUTED = Font(italic=True, size=9, color="52606D")
_HEADER_FILL = PatternFill("solid", fgColor="EEF3F5")
_RULE = Border(bottom=Side(style="thin", color="1F2A33"))
_TOP_RULE = Border(top=Side(style="thin", color="1F2A33"))


def _append(sheet: Any, values: list[object]) -> None:
    """Append a row; every string is stored as text, never as a formula."""
    sheet.append([clean(v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _about_sheet(about: Any, report: AnnualReport) -> None:
    """The first sheet: title, organisation, year, status, the marks; the tables follow."""
    about.title = report.word("sheet_about")[:31]
    _append(about, [report.title])
    about["A1"].font = _TITLE
    _append(about, [report.word("organisation"), report.organisation])
    _append(about, [report.word("report_year"), report.year])
    _append(about, [report.word("status"), status_line(report) or report.word("final")])
    _append(about, [])
    _append(about, [report.word("legend")])
    about.cell(about.max_row, 1).font = _BOLD
    for mark, meaning in report.legend:
        _append(about, [mark, meaning])
    _append(about, [])
    _append(about, [report.word("tables")])
    about.cell(about.max_row, 1).font = _BOLD
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 70


def _header(sheet: Any, table: ReportTable) -> int:
    """The column header row, bold on a shaded fill; returns its row number."""
    _append(sheet, list(table.columns))
    header_row: int = sheet.max_row
    for cell in sheet[header_row]:
        cell.font, cell.fill, cell.border = _BOLD, _HEADER_FILL, _RULE
        cell.alignment = Alignment(wrap_text=True, vertical="bottom",
                                   horizontal="left" if table.text or cell.column == 1
                                   else "right")
    return header_row


def _row_values(table: ReportTable, row: ReportRow) -> list[object]:
    """The label, then each cell: an exact figure as a number, every mark as its text."""
    values: list[object] = [row.label]
    for cell in row.cells:
        exact = cell.value is not None and not cell.suppressed
        values.append(cell.value if exact and not table.text else cell.display)
    return values


def _body_row(sheet: Any, table: ReportTable, row: ReportRow) -> None:
    """One table row, a total in bold under a rule, figures aligned right."""
    _append(sheet, _row_values(table, row))
    for cell in sheet[sheet.max_row]:
        if row.total:
            cell.font, cell.border = _BOLD, _TOP_RULE
        if cell.column > 1:
            cell.alignment = Alignment(
                horizontal="left" if table.text else "right", wrap_text=table.text,
                vertical="top")
            if isinstance(cell.value, Decimal):
                cell.number_format = "0.0"


def _table_sheet(sheet: Any, table: ReportTable) -> None:
    """One table: title, header, rows, note; header frozen, columns sized."""
    _append(sheet, [table.title])
    sheet["A1"].font = _TITLE
    _append(sheet, [])
    header_row = _header(sheet, table)
    for row in table.rows:
        _body_row(sheet, table, row)
    if table.note:
        _append(sheet, [])
        _append(sheet, [table.note])
        sheet.cell(sheet.max_row, 1).font = _MUTED
    sheet.freeze_panes = sheet.cell(header_row + 1, 2)
    sheet.column_dimensions["A"].width = 40
    for index in range(2, len(table.columns) + 1):
        letter = sheet.cell(header_row, index).column_letter
        sheet.column_dimensions[letter].width = 36 if table.text else 14


def render_xlsx(report: AnnualReport) -> bytes:
    workbook = Workbook()
    about = workbook.active
    _about_sheet(about, report)
    for number, (table, short) in enumerate(table_names(report), start=1):
        sheet = workbook.create_sheet(_sheet_title(number, short))
        _append(about, [sheet.title, table.title])
        _table_sheet(sheet, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
