"""Charts of report tables with matplotlib (Agg, no pyplot): SVG for HTML/PDF, PNG for DOCX.

A chart is drawn only from a table that asks for one (``ReportTable.chart``) and has no hidden
cell, and each bar is labelled with the cell's own ``display`` text, so a chart can never show
more than the table printed beside it. Colours: one dark blue for single series, a light-to-dark
blue sequence for years (the current year darkest) - distinguishable by lightness alone, so
safe for every form of colour blindness and in greyscale print.

The SVG is rewritten to be safe to inline in a page under a strict Content Security Policy:
matplotlib's ``style`` attributes become presentation attributes, its ``<style>`` and metadata
elements are dropped, ``xlink:href`` becomes SVG 2 ``href``, and every id gets a per-chart
prefix so several charts can share one HTML document.

``matplotlib.rc_context`` changes matplotlib's process-wide settings while a chart is drawn and
saved, so charts are drawn one at a time (:data:`DRAWING`): the web server is threaded, and two
reports rendered at once must not mix their settings.
"""

from __future__ import annotations

import functools
import io
import re
import textwrap
import threading
import xml.etree.ElementTree as ET  # nosec B405 # parses our own SVG only, see clean_svg
from collections.abc import Sequence
from typing import Any, Final
from xml.sax.saxutils import escape, quoteattr  # nosec B406 # escaping only, no parsing

import matplotlib
from matplotlib.figure import Figure

from vp_registry.core.report import ReportTable

matplotlib.use("Agg")

SVG_NS: Final = "http://www.w3.org/2000/svg"
XLINK_HREF: Final = "{http://www.w3.org/1999/xlink}href"

INK: Final = "#1f2a33"
MUTED: Final = "#52606d"
GRID: Final = "#d5dbe1"
SINGLE: Final = "#1d5f73"
# Light-to-dark blues (ColorBrewer "Blues"), spaced so neighbours differ clearly in lightness:
# distinguishable for every form of colour blindness and in greyscale; the newest year darkest.
SEQUENCES: Final[dict[int, tuple[str, ...]]] = {
    2: ("#9ecae1", "#08519c"),
    3: ("#9ecae1", "#4292c6", "#08306b"),
    4: ("#c6dbef", "#6baed6", "#2171b5", "#08306b"),
    5: ("#c6dbef", "#9ecae1", "#4292c6", "#08519c", "#08306b"),
    6: ("#deebf7", "#c6dbef", "#9ecae1", "#4292c6", "#08519c", "#08306b"),
}
MAX_SERIES: Final = max(SEQUENCES)
DRAWING: Final = threading.RLock()
"""Held while a chart is drawn and saved (matplotlib's rcParams are global)."""

_RC: Final[Any] = {  # matplotlib's stubs want literal keys
    "font.family": "sans-serif",
    "font.sans-serif": ["Liberation Sans", "DejaVu Sans"],
    "font.size": 8.5,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": MUTED,
    "xtick.color": MUTED,
    "ytick.color": INK,
    "svg.hashsalt": "vp-registry",
    "svg.fonttype": "none",  # real <text>: searchable, small, fast to draw in the PDF
    # labels are names people typed (categories): "$...$" is text, never mathtext (which would
    # draw it in italics or fail on an unknown "\command")
    "text.parse_math": False,
}


def chart_data(table: ReportTable) -> list[tuple[str, list[tuple[float | None, str]]]] | None:
    """(row label, [(value, display) per series]) of a chartable table, or None.

    None when the table asks for no chart, has a hidden cell, or has nothing to draw.
    """
    if table.chart is None or table.has_suppressed:
        return None
    if table.chart == "grouped" and not 2 <= len(table.columns) - 1 <= MAX_SERIES:
        return None
    rows = [r for r in table.rows if not r.total]
    data: list[tuple[str, list[tuple[float | None, str]]]] = []
    for row in rows:
        cells = [row.cells[table.chart_column]] if table.chart == "bar" else list(row.cells)
        data.append((row.label, [(None if c.value is None else float(c.value), c.display)
                                 for c in cells]))
    if not any(v for _, series in data for v, _ in series if v):
        return None
    return data


def _series_labels(table: ReportTable) -> list[str]:
    if table.chart == "bar":
        return [table.columns[table.chart_column + 1]]
    return list(table.columns[1:])


def _wrap(label: str, width: int = 30) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def draw(table: ReportTable) -> Figure | None:
    """The matplotlib figure for a table, or None when it gets no chart."""
    data = chart_data(table)
    if data is None:
        return None
    series = _series_labels(table)
    n_rows, n_series = len(data), len(series)
    with DRAWING, matplotlib.rc_context(_RC):
        row_height = 0.12 + 0.15 * n_series if n_series > 1 else 0.34
        height = max(1.6, 0.55 + row_height * n_rows + (0.3 if n_series > 1 else 0))
        width = 6.0 if n_series > 1 else 3.6
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
        bar_height = 0.8 / n_series
        colours = [SINGLE] if n_series == 1 else list(SEQUENCES[n_series])
        top = max((v or 0.0) for _, s in data for v, _ in s)
        for j, name in enumerate(series):
            positions = [i + (j - (n_series - 1) / 2) * bar_height for i in range(n_rows)]
            values = [s[j][0] for _, s in data]
            shown = [(p, v, s[j][1]) for p, v, (_, s) in zip(positions, values, data, strict=True)
                     if v is not None]
            ax.barh([p for p, _, _ in shown], [v for _, v, _ in shown], height=bar_height * 0.9,
                    color=colours[j], label=name, edgecolor="#08306b" if n_series > 1 else "none",
                    linewidth=0.3)
            for p, v, text in shown:
                ax.text(v + top * 0.015, p, text, va="center", ha="left",
                        fontsize=7.5 if n_series > 1 else 8.5, color=INK)
        ax.set_yticks(range(n_rows), [_wrap(label) for label, _ in data])
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.15 if top else 1)
        ax.xaxis.grid(True, color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_color(GRID)
        ax.set_xlabel(series[0] if n_series == 1 else "")
        if n_series > 1:
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=n_series,
                      frameon=False, fontsize=8, handlelength=1.2)
    return fig


def chart_png(table: ReportTable, dpi: int = 200) -> bytes | None:
    with DRAWING:
        fig = draw(table)
        if fig is None:
            return None
        buffer = io.BytesIO()
        with matplotlib.rc_context(_RC):  # as chart_svg: texts drawn at saving use _RC too
            fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def chart_svg(table: ReportTable, title: str = "") -> str | None:
    """An inline-safe ``<svg>`` element (no XML declaration) for the table, or None.

    Drawn once per content (:func:`_drawn_svg`): a report previewed again with the same
    figures shows the same charts without matplotlib (issue 15)."""
    if chart_data(table) is None:
        return None
    return _drawn_svg(table, title or table.title)


CACHED_CHARTS: Final = 64
"""How many drawn charts :func:`_drawn_svg` keeps (each some 10-40 kB of SVG)."""


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _drawn_svg(table: ReportTable, title: str) -> str:
    """The chart of ``table``, keyed by its whole content (every label, value and display,
    the chart's kind and column; frozen dataclasses compare and hash by value) and the title:
    equal content draws an equal SVG, so a hit returns exactly what drawing would. The
    tables are the report's published cells (a chart is drawn only from a table without a
    hidden cell); nothing else - no organisation, user or case - is in the key or kept."""
    return _draw_svg(table, title)


def _draw_svg(table: ReportTable, title: str) -> str:
    with DRAWING:
        fig = draw(table)
        if fig is None:  # chart_svg asked chart_data first
            raise ValueError(f"table {table.key!r} gets no chart")
        buffer = io.StringIO()
        with matplotlib.rc_context(_RC):
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return clean_svg(buffer.getvalue(), prefix=f"chart-{table.key}", title=title)


_STYLE_RE: Final = re.compile(r"\s*([a-z-]+)\s*:\s*([^;]+?)\s*(?:;|$)")
_REF_RE: Final = re.compile(r"#([A-Za-z_][\w.-]*)")


def clean_svg(svg: str, *, prefix: str, title: str) -> str:
    """Presentation attributes instead of CSS, prefixed ids, an accessible title."""
    # Only ever the SVG chart_svg had matplotlib write a moment ago: element and attribute
    # names are matplotlib's, labels are escaped by its XML writer; no document from outside.
    root = ET.fromstring(svg)  # noqa: S314  # nosec B314 # see above
    ids = {element.attrib["id"] for element in root.iter() if "id" in element.attrib}
    _drop_style_and_metadata(root)
    for element in root.iter():
        _clean_attributes(element, prefix, ids)
    _label_root(root, prefix, title)
    return _serialise(root, top=True)


def _drop_style_and_metadata(root: ET.Element) -> None:
    """Without <style> (a strict Content Security Policy refuses it) and <metadata>."""
    removable: list[tuple[ET.Element, ET.Element]] = []
    for parent in root.iter():
        for child in list(parent):
            if child.tag in (f"{{{SVG_NS}}}style", f"{{{SVG_NS}}}metadata"):
                removable.append((parent, child))
    for parent, child in removable:
        parent.remove(child)


def _clean_attributes(element: ET.Element, prefix: str, ids: set[str]) -> None:
    """Plain href, style declarations as attributes, ids and references to them prefixed
    (several charts share one page)."""
    href = element.attrib.pop(XLINK_HREF, None)
    if href is not None:  # SVG 2 "href": no xlink namespace to declare
        element.set("href", href)
    style = element.attrib.pop("style", None)
    if style:
        for name, value in _STYLE_RE.findall(style):
            element.set(name, value)
    for name, value in list(element.attrib.items()):
        if name == "id":
            element.set(name, f"{prefix}-{value}")
        elif "#" in value:
            element.set(name, _rename(value, prefix, ids))


def _rename(value: str, prefix: str, ids: set[str]) -> str:
    """References (``#id``) to this SVG's own ids, prefixed; any other ``#`` text kept."""
    return _REF_RE.sub(
        lambda m: f"#{prefix}-{m.group(1)}" if m.group(1) in ids else m.group(0), value
    )


def _label_root(root: ET.Element, prefix: str, title: str) -> None:
    """The dropped <style>'s defaults, no fixed size, and an accessible title."""
    # the <style> matplotlib drops held these defaults for every path
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    for name in ("width", "height"):
        root.attrib.pop(name, None)
    root.set("role", "img")
    root.set("aria-labelledby", f"{prefix}-title")
    root.set("class", "chart-svg")
    title_element = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{prefix}-title"})
    title_element.text = title
    root.insert(0, title_element)


def _local(name: str) -> str:
    if name.startswith(f"{{{SVG_NS}}}"):
        return name[len(SVG_NS) + 2:]
    if name.startswith("{"):
        raise ValueError(f"unexpected namespaced name in chart SVG: {name}")
    return name


def _serialise(element: ET.Element, *, top: bool = False) -> str:
    """Plain SVG markup without prefixes (ElementTree's own serialiser names namespaces from a
    process-wide registry that other libraries, WeasyPrint among them, change)."""
    attributes = [(_local(k), v) for k, v in element.attrib.items()]
    if top:
        attributes.insert(0, ("xmlns", SVG_NS))
    tag = _local(element.tag)
    opening = tag + "".join(f" {k}={quoteattr(v)}" for k, v in attributes)
    inner = escape(element.text or "") + "".join(_serialise(child) for child in element)
    markup = f"<{opening}>{inner}</{tag}>" if inner else f"<{opening}/>"
    return markup + escape(element.tail or "")


def charts_of(tables: Sequence[ReportTable], locale: str) -> dict[str, str]:
    """SVG per table key, for every table that gets a chart."""
    del locale  # labels come from the table, already in the report's language
    found = {}
    for table in tables:
        svg = chart_svg(table)
        if svg is not None:
            found[table.key] = svg
    return found
