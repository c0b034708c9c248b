"""Report output: a finished :class:`~vp_registry.core.report.AnnualReport` to a file.

Renderers never query or compute: they print the ``display`` strings of the report, so every
format carries the same figures and the same marks. The formats people read (HTML, PDF, DOCX)
show section 5 through :mod:`vp_registry.render.readable` (rows and columns of protected cells
named in a sentence, nothing that the marks do not say); CSV and XLSX keep every table whole.
``render(report, fmt)`` returns the bytes;
``content_type(fmt)`` and ``filename(report, fmt)`` are for the download response. Each
renderer module is imported only when its format is asked for (WeasyPrint and matplotlib are
slow to import).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Final, Literal, cast, get_args

from vp_registry.core.report import AnnualReport

Format = Literal["html", "pdf", "docx", "csv", "xlsx"]
FORMATS: Final[tuple[Format, ...]] = get_args(Format)

_CONTENT_TYPES: Final[dict[Format, str]] = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_EXTENSIONS: Final[dict[Format, str]] = {
    "html": "html", "pdf": "pdf", "docx": "docx", "csv": "csv.zip", "xlsx": "xlsx",
}
_RENDERERS: Final[dict[Format, tuple[str, str]]] = {
    "html": ("vp_registry.render.html", "render_html"),
    "pdf": ("vp_registry.render.pdf", "render_pdf"),
    "docx": ("vp_registry.render.docx", "render_docx"),
    "csv": ("vp_registry.render.tabular", "render_csv_zip"),
    "xlsx": ("vp_registry.render.tabular", "render_xlsx"),
}


def check_format(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def content_type(fmt: str) -> str:
    return _CONTENT_TYPES[check_format(fmt)]


def filename(report: AnnualReport, fmt: str) -> str:
    """``jaarverslag-vertrouwenspersoon-2025.pdf``; drafts ``-concept``, later versions ``-v2``."""
    base = "jaarverslag-vertrouwenspersoon" if report.locale == "nl" else "annual-report"
    parts = [base, str(report.year)]
    if report.version > 1:
        parts.append(f"v{report.version}")
    if report.draft:
        parts.append("concept" if report.locale == "nl" else "draft")
    return "-".join(parts) + "." + _EXTENSIONS[check_format(fmt)]


def render(report: AnnualReport, fmt: str) -> bytes:
    """The report in one format: html, pdf, docx, csv (a ZIP of CSV files) or xlsx."""
    module, name = _RENDERERS[check_format(fmt)]
    renderer = cast(Callable[[AnnualReport], "bytes | str"], getattr(import_module(module), name))
    output = renderer(report)
    return output.encode("utf-8") if isinstance(output, str) else output


__all__ = ["FORMATS", "Format", "check_format", "content_type", "filename", "render"]
