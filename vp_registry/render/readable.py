"""The report as people read it: section 5's department table without what says nothing.

Presentation only (issue 14). The figures, their values and their marks are decided in
:mod:`vp_registry.core.report` and pass disclosure control there; nothing here changes which
figure is released. In the HTML (page, download, the PDF's input) and the DOCX:

* a department table whose every department cell is protected (``< k`` or ``x``) becomes one
  sentence (the totals for the whole organisation are those of section 3);
* otherwise the rows (department groups) and columns (types of behaviour) whose every
  department cell is ``< k`` or ``x`` are left out of the table and named in a sentence;
* a line says why the totals for the whole organisation can be exact.

Every sentence is made from the marks alone (which cells are ``< k``, which ``x``), in the
table's order, so it tells a reader exactly what the grid did and nothing more. The CSV and
XLSX are data and keep the whole grid (:mod:`vp_registry.render.tabular`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

from vp_registry.core.report import (
    WITHHELD_MARK,
    AnnualReport,
    Block,
    ReportCell,
    ReportSection,
    ReportTable,
)

DEPARTMENT_TABLE = "departments"

_Mark = Literal["small", "withheld"]


def _mark(cell: ReportCell, k: int) -> _Mark | None:
    """``small`` for ``< k``, ``withheld`` for ``x``, None for a cell that informs (an exact
    count, ``k+``)."""
    if not cell.suppressed:
        return None
    if cell.display == f"< {k}":
        return "small"
    if cell.display == WITHHELD_MARK:
        return "withheld"
    return None


def _which(marks: set[_Mark]) -> str:
    return "both" if len(marks) > 1 else next(iter(marks))


def _join(report: AnnualReport, names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {report.word('and')} {names[-1]}"


def _department_blocks(report: AnnualReport, table: ReportTable) -> tuple[Block, ...]:
    k = report.k
    groups = [row for row in table.rows if not row.total]
    totals = [row for row in table.rows if row.total]
    marks = [[_mark(cell, k) for cell in row.cells] for row in groups]
    explanation = report.word("org_totals_exact", k=k)
    if not groups:
        return (table, explanation)
    if all(m is not None for row in marks for m in row):
        seen = {m for row in marks for m in row if m is not None}
        return (report.word(f"fold_all_{_which(seen)}", k=k), explanation)

    folded_rows = [i for i, row in enumerate(marks) if all(m is not None for m in row)]
    columns = range(len(table.columns) - 1)
    folded_columns = [c for c in columns if all(row[c] is not None for row in marks)]
    kept = [c for c in columns if c not in folded_columns]
    sentences: list[str] = []
    if folded_rows:
        seen = {m for i in folded_rows for m in marks[i] if m is not None}
        names = [groups[i].label for i in folded_rows]
        sentences.append(report.word(f"fold_rows_{_which(seen)}", k=k,
                                     names=_join(report, names)))
    if folded_columns:
        seen = {m for row in marks for c in folded_columns if (m := row[c]) is not None}
        names = [table.columns[c + 1] for c in folded_columns]
        sentences.append(report.word(f"fold_columns_{_which(seen)}", k=k,
                                     names=_join(report, names)))
    rows = tuple(
        dataclasses.replace(row, cells=tuple(row.cells[c] for c in kept))
        for i, row in enumerate(groups) if i not in folded_rows
    ) + tuple(dataclasses.replace(row, cells=tuple(row.cells[c] for c in kept))
              for row in totals)
    shown = dataclasses.replace(
        table, columns=(table.columns[0], *(table.columns[c + 1] for c in kept)), rows=rows)
    return (shown, *sentences, explanation)


def readable_section(report: AnnualReport, section: ReportSection) -> ReportSection:
    if section.key != DEPARTMENT_TABLE:
        return section
    blocks: list[Block] = []
    for block in section.blocks:
        if isinstance(block, ReportTable) and block.key == DEPARTMENT_TABLE:
            blocks.extend(_department_blocks(report, block))
        else:
            blocks.append(block)
    return dataclasses.replace(section, blocks=tuple(blocks))


def readable_sections(report: AnnualReport) -> tuple[ReportSection, ...]:
    """The report's sections as the HTML and DOCX show them (see the module docstring)."""
    return tuple(readable_section(report, section) for section in report.sections)
