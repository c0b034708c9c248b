"""Storage of a finalised report (JSON): released figures only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from vp_registry.core.disclosure import (
    Figure,
)
from vp_registry.core.report.model import (
    REPORT_FORMAT,
    AnnualReport,
    Block,
    FrozenAggregates,
    ReportCell,
    ReportRow,
    ReportSection,
    ReportTable,
)
from vp_registry.core.report.words import check_locale


def _value_to_json(value: int | Decimal | None) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    return value


def _value_from_json(data: Any) -> int | Decimal | None:
    if data is None:
        return None
    if isinstance(data, dict):
        return Decimal(str(data["decimal"]))
    if isinstance(data, bool) or not isinstance(data, int):
        raise ValueError(f"invalid cell value {data!r}")
    return data


def _table_to_dict(t: ReportTable) -> dict[str, Any]:
    return {
        "key": t.key, "title": t.title, "columns": list(t.columns), "note": t.note,
        "chart": t.chart, "chart_column": t.chart_column, "text": t.text,
        "rows": [{"label": r.label, "total": r.total,
                  "cells": [[c.display, _value_to_json(c.value), c.suppressed]
                            for c in r.cells]} for r in t.rows],
    }


def _table_from_dict(d: Mapping[str, Any]) -> ReportTable:
    chart = d["chart"]
    if chart not in (None, "bar", "grouped"):
        raise ValueError(f"unknown chart kind {chart!r}")
    return ReportTable(
        str(d["key"]), str(d["title"]), tuple(map(str, d["columns"])),
        tuple(ReportRow(str(r["label"]),
                        tuple(ReportCell(str(disp), _value_from_json(val), bool(sup))
                              for disp, val, sup in r["cells"]),
                        bool(r["total"])) for r in d["rows"]),
        str(d["note"]), chart, int(d["chart_column"]), bool(d["text"]),
    )


def report_to_dict(r: AnnualReport) -> dict[str, Any]:
    return {
        "format": REPORT_FORMAT,
        "year": r.year, "locale": r.locale, "title": r.title, "organisation": r.organisation,
        "draft": r.draft, "version": r.version,
        "issued_on": r.issued_on.isoformat() if r.issued_on else None,
        "k": r.k, "legend": [list(item) for item in r.legend],
        "sections": [
            {"key": s.key, "number": s.number, "title": s.title,
             "blocks": [{"table": _table_to_dict(b)} if isinstance(b, ReportTable)
                        else {"paragraph": b} for b in s.blocks]}
            for s in r.sections
        ],
        "figures": [
            {"cells": sorted([list(c) for c in f.cells]), "low": f.low, "high": f.high,
             "label": f.label, "organisation_wide": f.organisation_wide}
            for f in r.figures
        ],
        "aggregates": r.aggregates.to_dict(),
    }


def report_from_dict(d: Mapping[str, Any]) -> AnnualReport:
    if d.get("format") != REPORT_FORMAT:
        raise ValueError(f"unknown annual report format: {d.get('format')!r}")
    sections = []
    for s in d["sections"]:
        blocks: list[Block] = []
        for b in s["blocks"]:
            blocks.append(_table_from_dict(b["table"]) if "table" in b else str(b["paragraph"]))
        sections.append(ReportSection(str(s["key"]), int(s["number"]), str(s["title"]),
                                      tuple(blocks)))
    figures = tuple(
        Figure(frozenset((int(a), str(b), str(c)) for a, b, c in f["cells"]), int(f["low"]),
               None if f["high"] is None else int(f["high"]), str(f["label"]),
               bool(f["organisation_wide"]))
        for f in d["figures"]
    )
    return AnnualReport(
        year=int(d["year"]), locale=check_locale(str(d["locale"])), title=str(d["title"]),
        organisation=str(d["organisation"]), draft=bool(d["draft"]),
        version=int(d["version"]),
        issued_on=date.fromisoformat(d["issued_on"]) if d["issued_on"] else None,
        k=int(d["k"]), legend=tuple((str(a), str(b)) for a, b in d["legend"]),
        sections=tuple(sections), figures=figures,
        aggregates=FrozenAggregates.from_dict(d["aggregates"]),
    )
