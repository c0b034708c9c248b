"""PDF of an annual report with WeasyPrint: A4, cover page, table of contents, page numbers.

The input is the print variant of the standalone HTML document (``render_html(for_print=True)``):
page numbers and the contents' page references are CSS (``counter(page)``,
``target-counter()``), the charts are SVG images and stay vector graphics. WeasyPrint may fetch
nothing but the charts' ``data:`` URLs: its URL fetcher allows no other protocol and stops the
rendering on any attempt, so text typed into the report can never make the server read a file
or call a host.
"""

from __future__ import annotations

from vp_registry.core.report import AnnualReport
from vp_registry.render.html import render_html


def render_pdf(report: AnnualReport) -> bytes:
    # imported here: WeasyPrint is slow to import and needed only for PDF
    from weasyprint import HTML, URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    document = HTML(string=render_html(report, for_print=True), url_fetcher=fetcher,
                    base_url=None)
    pdf = document.write_pdf(
        pdf_identifier=f"vp-registry-report-{report.year}-v{report.version}".encode(),
    )
    if pdf is None:  # pragma: no cover - write_pdf returns bytes when no target is given
        raise RuntimeError("WeasyPrint produced no PDF")
    return bytes(pdf)
