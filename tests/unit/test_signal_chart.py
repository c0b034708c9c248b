"""The management chart: CSP-safe SVG that never shows more than the released bands."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from vp_registry.web.management.chart import Bar, signal_chart

SVG = "{http://www.w3.org/2000/svg}"


def _bars() -> list[Bar]:
    return [
        Bar("2026-Q3", "Q3 2026", "Pesten", 3, 4, "3-4", "Magazijn · Pesten"),
        Bar("2026-Q3", "Q3 2026", "Werkdruk", 10, None, "10+", "Productie · Werkdruk"),
        Bar("2026-Q2", "Q2 2026", "<script>alert(1)</script>", 5, 9, "5-9", "A & B"),
    ]


def test_nothing_to_draw_gives_nothing() -> None:
    assert signal_chart([], title="t", description="d") == ""


def test_the_svg_is_well_formed_accessible_and_free_of_inline_style() -> None:
    svg = str(signal_chart(_bars(), title="Signalen", description="Per kwartaal"))
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    assert "style=" not in svg and "<style" not in svg and "<script" not in svg
    assert "&lt;script&gt;" in svg and "A &amp; B" in svg


def test_every_bar_is_labelled_with_its_band_and_nothing_else() -> None:
    svg = str(signal_chart(_bars(), title="t", description="d"))
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    groups = root.findall(f"{SVG}g")
    assert len(groups) == 3
    labels = sorted(g.find(f"{SVG}text").text or "" for g in groups)  # type: ignore[union-attr]
    assert labels == ["10+", "3-4", "5-9"]
    # periods in time order along the axis
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts.index("Q2 2026") < texts.index("Q3 2026")
    assert not re.search(r"\b(4|6|7|8)\b cases", svg)


def test_attribute_values_are_escaped_too() -> None:
    svg = str(signal_chart(_bars(), title='"t"', description="d", chart_id='c" onload="x'))
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.get("id") == 'c" onload="x'
    assert root.get("onload") is None
    assert root.find(f"{SVG}title").text == '"t"'  # type: ignore[union-attr]
