"""DOCX of an annual report with python-docx: editable, real headings and real tables.

Headings use Word's built-in "Heading 1"/"Heading 2" styles (so Word's navigation pane and
table of contents work), tables are Word tables with a repeating header row, charts are PNG
pictures placed right before the table that holds the same figures. The table of contents is a
Word TOC field that Word fills in when the document is opened (``updateFields``); the footer
has PAGE / NUMPAGES fields. The document language is set, so spelling checks use Dutch.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from vp_registry.core.report import AnnualReport, ReportTable
from vp_registry.render.charts import chart_png
from vp_registry.render.html import status_line
from vp_registry.render.readable import readable_sections
from vp_registry.render.tabular import clean

ACCENT = RGBColor(0x1D, 0x5F, 0x73)
MUTED = RGBColor(0x52, 0x60, 0x6D)
INK = RGBColor(0x1F, 0x2A, 0x33)
HEADER_FILL = "EEF3F5"
FONT = "Arial"
LANGUAGE = {"nl": "nl-NL", "en": "en-GB"}


def _field(paragraph: Any, instruction: str, placeholder: str = "") -> None:
    """A complex field (begin, instruction, separate, placeholder result, end) in a paragraph."""
    def char(kind: str) -> Any:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            element.set(qn("w:dirty"), "true")
        return element

    run = paragraph.add_run()
    run._r.append(char("begin"))
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    paragraph.add_run()._r.append(char("separate"))
    paragraph.add_run(placeholder)
    paragraph.add_run()._r.append(char("end"))


def _styles(document: Any, locale: str) -> None:
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    normal.font.color.rgb = INK
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), LANGUAGE[locale])
    rpr.append(language)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    for name, size in (("Title", 26), ("Heading 1", 16), ("Heading 2", 12)):
        style = document.styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = ACCENT
        style.font.bold = True
    caption = document.styles["Caption"]
    caption.font.name = FONT
    caption.font.size = Pt(9.5)
    caption.font.bold = True
    caption.font.italic = False
    caption.font.color.rgb = INK
    caption.paragraph_format.keep_with_next = True


def _shade(cell: Any, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _repeat_header(row: Any) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _cell_text(cell: Any, text: str, *, bold: bool = False, right: bool = False,
               muted: bool = False, size: float = 9) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(clean(text))
    run.font.size = Pt(size)
    run.bold = bold
    if muted:
        run.font.color.rgb = MUTED


def _table(document: Any, table: ReportTable) -> None:
    document.add_paragraph(table.title, style="Caption")
    png = chart_png(table)
    if png is not None:
        document.add_picture(io.BytesIO(png), width=Cm(12 if len(table.columns) > 3 else 9.5))
        document.paragraphs[-1].paragraph_format.keep_with_next = True
    size = 8 if table.text else 9
    grid = document.add_table(rows=len(table.rows) + 1, cols=len(table.columns))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    header = grid.rows[0]
    _repeat_header(header)
    for i, column in enumerate(table.columns):
        cell = header.cells[i]
        _cell_text(cell, column, bold=True, right=i > 0 and not table.text, size=size)
        _shade(cell, HEADER_FILL)
    for r, row in enumerate(table.rows, start=1):
        cells = grid.rows[r].cells
        _cell_text(cells[0], row.label, bold=row.total, size=size)
        for c, value in enumerate(row.cells, start=1):
            _cell_text(cells[c], value.display, bold=row.total, right=not table.text,
                       muted=value.suppressed, size=size)
    if table.note:
        note = document.add_paragraph()
        run = note.add_run(table.note)
        run.font.size = Pt(8.5)
        run.font.color.rgb = MUTED
    else:
        document.add_paragraph()


def _paragraph(document: Any, text: str) -> None:
    paragraph = document.add_paragraph()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(clean(line))
        if i < len(lines) - 1:
            run.add_break()


def _page(document: Any, report: AnnualReport) -> None:
    """A4 with margins, the report title in the header (not on the cover) and a page footer."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2.2)
    section.different_first_page_header_footer = True
    head = section.header.paragraphs[0]
    head_run = head.add_run(report.title)
    head_run.font.size, head_run.font.color.rgb = Pt(8), MUTED
    _footer(section.footer.paragraphs[0], report)


def _footer(foot: Any, report: AnnualReport) -> None:
    """Organisation and "page N of M" (Word fields, filled in when the document is shown)."""
    foot.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    foot.add_run(f"{report.organisation}    " if report.organisation else "")
    foot.add_run(f"{report.word('page')} ")
    _field(foot, "PAGE", "1")
    foot.add_run(f" {report.word('of')} ")
    _field(foot, "NUMPAGES", "1")
    for run in foot.runs:
        run.font.size, run.font.color.rgb = Pt(8), MUTED


def _cover(document: Any, report: AnnualReport) -> None:
    """The first page: organisation, title, status, a draft stamp, then a page break."""
    for _ in range(6):
        document.add_paragraph()
    if report.organisation:
        kicker = document.add_paragraph().add_run(report.organisation)
        kicker.font.size, kicker.font.color.rgb = Pt(14), MUTED
    document.add_paragraph(report.title, style="Title")
    status = status_line(report)
    if status:
        document.add_paragraph().add_run(status).font.size = Pt(12)
    if report.draft:
        stamp = document.add_paragraph().add_run(report.word("draft").upper())
        stamp.bold, stamp.font.size = True, Pt(14)
        stamp.font.color.rgb = RGBColor(0xA4, 0x26, 0x2C)
    closing = document.add_paragraph().add_run(report.word("made_with"))
    closing.font.size, closing.font.color.rgb = Pt(9), MUTED
    closing.add_break(WD_BREAK.PAGE)


def _contents(document: Any, report: AnnualReport) -> None:
    """The table of contents page: a TOC field Word fills in (``updateFields``)."""
    contents = document.add_paragraph().add_run(report.word("contents"))
    contents.bold, contents.font.size, contents.font.color.rgb = True, Pt(16), ACCENT
    _field(document.add_paragraph(), 'TOC \\o "1-1" \\h \\z \\u', report.word("toc_hint"))
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _legend(document: Any, report: AnnualReport) -> None:
    """What each mark means, as a hanging-indent list under the key figures' heading."""
    document.add_heading(report.word("legend"), level=2)
    for mark, meaning in report.legend:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(2)
        mark_run = paragraph.add_run(f"{mark}\t")
        mark_run.bold = True
        paragraph.add_run(meaning)
        paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(1.5))
        paragraph.paragraph_format.left_indent = Cm(1.5)
        paragraph.paragraph_format.first_line_indent = Cm(-1.5)
    document.add_paragraph()


def _sections(document: Any, report: AnnualReport) -> None:
    """Each numbered section: a level-1 heading, then its paragraphs and tables in order."""
    for report_section in readable_sections(report):
        document.add_heading(f"{report_section.number}  {report_section.title}", level=1)
        if report_section.key == "key_figures":
            _legend(document, report)
        for block in report_section.blocks:
            if isinstance(block, str):
                _paragraph(document, block)
            else:
                _table(document, block)


def _properties(document: Any, report: AnnualReport) -> None:
    """Document properties and the flag that makes Word update the fields on opening."""
    properties = document.core_properties
    properties.title = report.title
    properties.subject = report.organisation
    properties.author = report.organisation or "vp-registry"
    properties.language = LANGUAGE[report.locale]
    properties.comments = report.word("made_with")
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.append(update)


def render_docx(report: AnnualReport) -> bytes:
    document = Document()
    _styles(document, report.locale)
    _page(document, report)
    _cover(document, report)
    _contents(document, report)
    _sections(document, report)
    _properties(document, report)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
