"""HTML of an annual report: a standalone document (download, PDF input) or an in-app fragment.

Jinja2 templates in ``vp_registry/render/templates``, autoescaped; no script anywhere. The
standalone document carries its stylesheet in one ``<style>`` element (it has to work as a
single file and as WeasyPrint input); the fragment has no style at all and relies on the app's
stylesheet, so it fits the app's Content Security Policy. Charts are inline SVG without
``style`` attributes (see :mod:`vp_registry.render.charts`); in the print variant (the PDF's
input) they are ``<img>`` elements with an SVG data URI, which WeasyPrint draws as vectors.
"""

from __future__ import annotations

import base64
import string
from functools import cache
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from vp_registry.core.report import AnnualReport, format_date
from vp_registry.render.charts import chart_svg
from vp_registry.render.readable import readable_sections

TEMPLATES = Path(__file__).resolve().parent / "templates"


_CSS_PLAIN: Final = frozenset(string.ascii_letters + string.digits + " .,:;()/+-_")


def _css_char(char: str) -> str:
    if char in "\r\n\t":
        return " "
    if char in _CSS_PLAIN or (ord(char) >= 0xA0 and char not in "\u2028\u2029"):
        return char
    return f"\\{ord(char):06x}"  # six hex digits: no space needed to end the escape


def _css_string(value: object) -> Markup:
    """A CSS string literal (for ``content:``) that is also safe inside an HTML ``<style>``
    element: every character but letters, digits, spaces and a little punctuation becomes a
    CSS hex escape, so neither a quote, a backslash nor ``</style>`` can end the string or the
    element."""
    text = "".join(_css_char(char) for char in str(value))
    return Markup(f'"{text}"')  # noqa: S704  # nosec B704 # escaped above


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = _css_string
    return env


def status_line(report: AnnualReport) -> str:
    """"Vastgesteld op 12 februari 2026 · Versie 2", "Concept van ...", or just "Concept"."""
    if report.issued_on is None:
        status = report.word("draft") if report.draft else ""
    else:
        day = format_date(report.locale, report.issued_on, long=True)
        status = report.word("drafted" if report.draft else "issued", date=day)
    if report.version > 1:
        version = report.word("version", version=report.version)
        status = f"{status} · {version}" if status else version
    return status


def _as_image(svg: str, title: str) -> Markup:
    """The SVG as an ``<img>`` data URI: still vector in the PDF, and far cheaper for
    WeasyPrint than styling every glyph of an inline SVG as a document element."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img class="chart-svg" alt="{}" src="data:image/svg+xml;base64,{}">').format(
        title, data)


def context(report: AnnualReport, *, for_print: bool) -> dict[str, Any]:
    charts = {}
    for table in report.tables():
        title = report.word("chart_of", title=table.title)
        svg = chart_svg(table, title)
        if svg is not None:
            # chart_svg re-serialises matplotlib's drawing itself, every text and attribute
            # value escaped (charts._serialise); no markup from any user reaches it
            charts[table.key] = (_as_image(svg, title) if for_print
                                 else Markup(svg))  # noqa: S704  # nosec B704 # see above
    return {
        "report": report,
        "sections": readable_sections(report),
        "charts": charts,
        "status": status_line(report),
        "for_print": for_print,
        "w": report.word,
    }


def render_html(report: AnnualReport, *, for_print: bool = False) -> str:
    """A standalone HTML document; ``for_print`` adds the cover page and page furniture."""
    return environment().get_template("report.html.j2").render(
        context(report, for_print=for_print)
    )


def render_fragment(report: AnnualReport) -> str:
    """The report's sections only, without any style: for a page of the app."""
    return environment().get_template("report_body.html.j2").render(
        context(report, for_print=False)
    )
