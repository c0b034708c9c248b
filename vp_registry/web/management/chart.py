"""A hand-built SVG bar chart of released signals over periods, safe to inline under the CSP.

Only presentation attributes (no ``style``), no script, and no string formatting of markup:
every piece is a ``Markup`` template whose ``format`` escapes each value put into it, text and
attribute values alike. Each bar is one released signal: solid up to the band's lower bound,
lighter up to its upper bound (an open band such as "10+" fades into an arrow), labelled with
the band text itself - so the chart never shows more than the band that was released. Colour is
never the only cue: every bar carries its band as text and a <title>, and the page shows the
same data as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup

# Okabe-Ito: distinguishable with every common form of colour blindness
PALETTE: Final = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
INK: Final = "#1f2a33"
MUTED: Final = "#52606d"
GRID: Final = "#d5dbe1"
MIN_WIDTH: Final = 340
CHAR_WIDTH: Final = 8.5  # average width of a character at font-size 14, for the legend
PLOT_TOP: Final = 30
PLOT_HEIGHT: Final = 220
LEFT: Final = 44
RIGHT: Final = 12
BAR_WIDTH: Final = 40
BAR_GAP: Final = 6
PERIOD_GAP: Final = 28


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


def _legend_rows(series: Sequence[str], width: int) -> list[list[tuple[float, str]]]:
    """Legend entries placed left to right, wrapping to a new row when the width is used."""
    rows: list[list[tuple[float, str]]] = [[]]
    x: float = LEFT
    for name in series:
        item = 20 + len(name) * CHAR_WIDTH + 18
        if rows[-1] and x + item > width - RIGHT:
            rows.append([])
            x = LEFT
        rows[-1].append((x, name))
        x += item
    return rows


@dataclass(frozen=True)
class _Layout:
    """Where everything goes: the series' colours, the periods' bars, the scale and size."""

    colour: dict[str, str]
    periods: list[tuple[str, str]]
    per_period: dict[str, list[Bar]]
    y_max: int
    slots: list[int]
    width: int
    legend: list[list[tuple[float, str]]]
    height: int

    def y(self, value: float) -> float:
        return PLOT_TOP + PLOT_HEIGHT - PLOT_HEIGHT * value / self.y_max


def _layout(bars: Sequence[Bar]) -> _Layout:
    series = list(dict.fromkeys(b.series for b in sorted(bars, key=lambda b: b.series)))
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    periods = sorted({(b.period, b.period_label) for b in bars})
    per_period = {p: sorted((b for b in bars if b.period == p), key=lambda b: (b.series, b.title))
                  for p, _ in periods}
    top = max((b.high if b.high is not None else b.low + max(3, b.low // 2)) for b in bars)
    slots = [len(per_period[p]) * (BAR_WIDTH + BAR_GAP) - BAR_GAP for p, _ in periods]
    # as wide as the bars need (a phone scales it down, a wide screen does not blow it up)
    width = max(MIN_WIDTH, LEFT + RIGHT + sum(slots) + PERIOD_GAP * (len(periods) + 1))
    width = max(width, int(LEFT + RIGHT + 38 + CHAR_WIDTH * max(len(n) for n in series)))
    legend = _legend_rows(series, width)
    return _Layout(colour, periods, per_period, _nice_max(max(top, 5)), slots, width, legend,
                   PLOT_TOP + PLOT_HEIGHT + 44 + len(legend) * 22)


def _grid(layout: _Layout) -> list[Markup]:
    out: list[Markup] = []
    for tick in range(0, layout.y_max + 1, max(1, layout.y_max // 5)):
        ty = layout.y(tick)
        out.append(Markup('<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="{}" '
                          'stroke-width="1"/>').format(LEFT, layout.width - RIGHT, ty, ty, GRID))
        out.append(Markup('<text x="{}" y="{:.1f}" text-anchor="end" fill="{}">{}</text>')
                   .format(LEFT - 6, ty + 4, MUTED, tick))
    return out


def _bar(layout: _Layout, bar: Bar, x: float) -> list[Markup]:
    """One released signal: solid to the band's lower bound, lighter to its upper bound."""
    fill = layout.colour[bar.series]
    solid_top = layout.y(bar.low)
    out = [Markup('<g>'), Markup('<title>{}</title>').format(bar.title),
           Markup('<rect x="{:.1f}" y="{:.1f}" width="{}" height="{:.1f}" fill="{}"/>').format(
               x, solid_top, BAR_WIDTH, layout.y(0) - solid_top, fill)]
    if bar.high is not None and bar.high > bar.low:
        upper = layout.y(bar.high)
        out.append(Markup('<rect x="{:.1f}" y="{:.1f}" width="{}" height="{:.1f}" '
                          'fill="{}" fill-opacity="0.35" stroke="{}" '
                          'stroke-dasharray="3 2"/>').format(
            x, upper, BAR_WIDTH, solid_top - upper, fill, fill))
        label_y = upper - 6
    elif bar.high is None:
        tip = layout.y(bar.low + max(3, bar.low // 2))
        middle = x + BAR_WIDTH / 2
        out.append(Markup('<polygon points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" '
                          'fill="{}" fill-opacity="0.35"/>').format(
            x, solid_top, x + BAR_WIDTH, solid_top, middle, tip, fill))
        label_y = tip - 6
    else:
        label_y = solid_top - 6
    out.append(Markup('<text x="{:.1f}" y="{:.1f}" text-anchor="middle" fill="{}">{}'
                      '</text>').format(x + BAR_WIDTH / 2, label_y, INK, bar.band))
    out.append(Markup('</g>'))
    return out


def _periods(layout: _Layout) -> list[Markup]:
    """The bars, period by period: the periods share the plot width evenly, and the bars are
    centred in their period's slot."""
    out: list[Markup] = []
    slot_space = (layout.width - LEFT - RIGHT - PERIOD_GAP) / len(layout.periods)
    for index, (period, label) in enumerate(layout.periods):
        centre = LEFT + PERIOD_GAP / 2 + slot_space * (index + 0.5)
        x: float = centre - layout.slots[index] / 2
        for bar in layout.per_period[period]:
            out.extend(_bar(layout, bar, x))
            x += BAR_WIDTH + BAR_GAP
        out.append(Markup('<text x="{:.1f}" y="{}" text-anchor="middle" fill="{}">{}</text>')
                   .format(centre, PLOT_TOP + PLOT_HEIGHT + 22, INK, label))
    return out


def _legend(layout: _Layout) -> list[Markup]:
    out: list[Markup] = []
    legend_top = PLOT_TOP + PLOT_HEIGHT + 50
    for row_index, row in enumerate(layout.legend):
        ly = legend_top + row_index * 22
        for lx, name in row:
            out.append(Markup('<rect x="{}" y="{}" width="14" height="14" fill="{}"/>')
                       .format(lx, ly - 11, layout.colour[name]))
            out.append(Markup('<text x="{}" y="{}" fill="{}">{}</text>')
                       .format(lx + 20, ly + 1, INK, name))
    return out


def signal_chart(bars: Sequence[Bar], *, title: str, description: str, chart_id: str = "chart"
                 ) -> Markup:
    """The SVG, or an empty Markup when there is nothing to draw."""
    if not bars:
        return Markup("")
    layout = _layout(bars)
    width, height, y = layout.width, layout.height, layout.y
    out: list[Markup] = [
        Markup('<svg class="chart" id="{id}" xmlns="http://www.w3.org/2000/svg" '
               'width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
               'aria-labelledby="{id}-title {id}-desc" font-family="DejaVu Sans, sans-serif" '
               'font-size="14">').format(id=chart_id, w=width, h=height),
        Markup('<title id="{}-title">{}</title>').format(chart_id, title),
        Markup('<desc id="{}-desc">{}</desc>').format(chart_id, description),
        *_grid(layout), *_periods(layout),
        Markup('<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="{}" '
               'stroke-width="1"/>').format(LEFT, width - RIGHT, y(0), y(0), INK),
        *_legend(layout), Markup('</svg>'),
    ]
    return Markup("").join(out)
