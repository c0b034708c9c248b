"""A hand-built SVG bar chart of released signals over periods, safe to inline under the CSP.

Only presentation attributes (no ``style``), no script, every text escaped. Each bar is one
released signal: solid up to the band's lower bound, lighter up to its upper bound (an open
band such as "10+" fades into an arrow), labelled with the band text itself - so the chart
never shows more than the band that was released. Colour is never the only cue: every bar
carries its band as text and a <title>, and the page shows the same data as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

# Okabe-Ito: distinguishable with every common form of colour blindness
PALETTE: Final = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
INK: Final = "#1f2a33"
MUTED: Final = "#52606d"
GRID: Final = "#d5dbe1"
WIDTH: Final = 720
PLOT_TOP: Final = 30
PLOT_HEIGHT: Final = 220
LEFT: Final = 44
RIGHT: Final = 12


@dataclass(frozen=True)
class Bar:
    period: str  # sort key, e.g. "2026-Q3"
    period_label: str
    series: str  # category label (legend)
    low: int
    high: int | None
    band: str
    title: str


def _nice_max(value: int) -> int:
    for step in (5, 10, 20, 25, 50, 100, 200, 500, 1000):
        if value <= step:
            return step
    return ((value + 999) // 1000) * 1000


def signal_chart(bars: Sequence[Bar], *, title: str, description: str, chart_id: str = "chart"
                 ) -> Markup:
    """The SVG, or an empty Markup when there is nothing to draw."""
    if not bars:
        return Markup("")
    series = list(dict.fromkeys(b.series for b in sorted(bars, key=lambda b: b.series)))
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    periods = sorted({(b.period, b.period_label) for b in bars})
    per_period = {p: sorted((b for b in bars if b.period == p), key=lambda b: (b.series, b.title))
                  for p, _ in periods}
    top = max((b.high if b.high is not None else b.low + max(3, b.low // 2)) for b in bars)
    y_max = _nice_max(max(top, 5))
    plot_width = WIDTH - LEFT - RIGHT
    n_bars = len(bars)
    gap_between_periods = 24
    available = plot_width - gap_between_periods * (len(periods) + 1)
    bar_width = max(8.0, min(44.0, available / max(n_bars, 1) - 6))
    legend_rows = (len(series) + 2) // 3
    height = PLOT_TOP + PLOT_HEIGHT + 44 + legend_rows * 22

    def y(value: float) -> float:
        return PLOT_TOP + PLOT_HEIGHT - PLOT_HEIGHT * value / y_max

    out: list[str] = [
        f'<svg class="chart" id="{chart_id}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="DejaVu Sans, sans-serif"'
        ' font-size="13">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for tick in range(0, y_max + 1, max(1, y_max // 5)):
        ty = y(tick)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" '
                   f'fill="{MUTED}">{tick}</text>')
    x: float = LEFT + gap_between_periods
    for period, label in periods:
        start = x
        for bar in per_period[period]:
            fill = colour[bar.series]
            solid_top = y(bar.low)
            out.append('<g>')
            out.append(f'<title>{escape(bar.title)}</title>')
            out.append(f'<rect x="{x:.1f}" y="{solid_top:.1f}" width="{bar_width:.1f}" '
                       f'height="{y(0) - solid_top:.1f}" fill="{fill}"/>')
            if bar.high is not None and bar.high > bar.low:
                upper = y(bar.high)
                out.append(f'<rect x="{x:.1f}" y="{upper:.1f}" width="{bar_width:.1f}" '
                           f'height="{solid_top - upper:.1f}" fill="{fill}" fill-opacity="0.35" '
                           f'stroke="{fill}" stroke-dasharray="3 2"/>')
                label_y = upper - 5
            elif bar.high is None:
                tip = y(bar.low + max(3, bar.low // 2))
                middle = x + bar_width / 2
                out.append(f'<polygon points="{x:.1f},{solid_top:.1f} {x + bar_width:.1f},'
                           f'{solid_top:.1f} {middle:.1f},{tip:.1f}" fill="{fill}" '
                           'fill-opacity="0.35"/>')
                label_y = tip - 5
            else:
                label_y = solid_top - 5
            out.append(f'<text x="{x + bar_width / 2:.1f}" y="{label_y:.1f}" '
                       f'text-anchor="middle" fill="{INK}">{escape(bar.band)}</text>')
            out.append('</g>')
            x += bar_width + 6
        x -= 6
        out.append(f'<text x="{(start + x) / 2:.1f}" y="{PLOT_TOP + PLOT_HEIGHT + 20}" '
                   f'text-anchor="middle" fill="{INK}">{escape(label)}</text>')
        x += gap_between_periods
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
               f'stroke="{INK}" stroke-width="1"/>')
    legend_top = PLOT_TOP + PLOT_HEIGHT + 44
    for i, name in enumerate(series):
        lx = LEFT + (i % 3) * 220
        ly = legend_top + (i // 3) * 22
        out.append(f'<rect x="{lx}" y="{ly - 11}" width="14" height="14" '
                   f'fill="{colour[name]}"/>')
        out.append(f'<text x="{lx + 20}" y="{ly + 1}" fill="{INK}">{escape(name)}</text>')
    out.append('</svg>')
    return Markup("".join(out))  # noqa: S704 - every piece of text above is escaped
