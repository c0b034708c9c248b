"""Organisation-level partitions (relation, outcome, ...): decided from the '< k' pattern
and positions only (issue 12), and their tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Final

from vp_registry.core.disclosure import (
    DisclosureRules,
    Figure,
)
from vp_registry.core.report.cells import Release, exact_cell, figure_cell
from vp_registry.core.report.model import NOT_RECORDED, ReportRow, ReportTable, Status
from vp_registry.core.report.tally import DIMENSIONS, OPTIONAL, Tally, org_cells
from vp_registry.core.report.words import labels, text

# --------------------------------------------------------------------------------------------
# Organisation-level partitions (relation, outcome, ...): primary + complementary suppression
# --------------------------------------------------------------------------------------------


_WITHHELD_LINES: Final = 2
"""Lines withheld by position in a partition with a line below k. Measured on realistic
partitions (2,000 random organisations per table, 5-60 cases): one line withheld shows the
table in 20-39% of them, two in 56-70% (docs/decisions.md)."""


def partition_is_safe(counts: Sequence[int], statuses: Sequence[Status], k: int) -> bool:
    """Does the shown partition leave every hidden line, and every sum of hidden lines, open?

    A function of what the reader sees (issue 12): the lines partition a published exact
    total ``T``, so the sum ``H`` of the hidden lines is ``T`` minus the shown ones (``counts``
    only give ``H`` and ``T``). A ``primary`` line lies in [0, k-1], a ``withheld`` one in
    [0, inf) (``complementary``: [k, inf), kept for completeness). For each non-empty set U of
    hidden lines (not all lines together: that is the total) the tightest interval is
    [max(sum of U's lows, H - others' highs), min(sum of U's highs, H - others' lows)]: box
    constraints plus one equation, so every integer in it is reachable. Safe when each such
    interval contains all of 0..min(k-1, T) - the published total itself bounds every line,
    the table must say no more - or lies at or above k.
    """
    hidden = [i for i, s in enumerate(statuses) if s != "exact"]
    if not hidden:
        return True
    total = sum(counts)
    total_hidden = sum(counts[i] for i in hidden)
    everything_hidden = len(hidden) == len(counts)
    reach = min(k - 1, total)

    def bounds(i: int) -> tuple[int, int | None]:
        return {"primary": (0, k - 1), "withheld": (0, None)}.get(statuses[i], (k, None))

    for size in range(1, len(hidden) + 1):
        if everything_hidden and size == len(hidden):
            continue  # that sum is the published total itself
        for subset in combinations(hidden, size):
            others = [i for i in hidden if i not in subset]
            low_in = sum(bounds(i)[0] for i in subset)
            highs_in = [bounds(i)[1] for i in subset]
            high_in = None if None in highs_in else sum(h for h in highs_in if h is not None)
            highs_out = [bounds(i)[1] for i in others]
            low = low_in
            if None not in highs_out:
                low = max(low, total_hidden - sum(h for h in highs_out if h is not None))
            high_from_total = total_hidden - sum(bounds(i)[0] for i in others)
            high = high_from_total if high_in is None else min(high_in, high_from_total)
            if not ((low == 0 and high >= reach) or low >= k):
                return False
    return True


def protect_partition(
    counts: Sequence[int], complement_order: Sequence[int], k: int
) -> list[Status] | None:
    """Statuses for the lines of a partition of a published total, or None (leave it out).

    Simulatable (issue 12): lines below k are ``primary`` (``< k``; the pattern is public).
    If any is, the first :data:`_WITHHELD_LINES` lines of ``complement_order`` (fixed,
    structural positions: "not recorded" where the field is optional, then the bottom line)
    are ``withheld`` (``x``) whatever their values - so a reader cannot tell whether they are
    small - and the table is shown only when
    :func:`partition_is_safe` holds for what it shows; otherwise it is left out. Every step
    depends on the pattern, the position and what is shown, never on a hidden count: the old
    rule added ``k+`` lines until the hidden ones were no longer pinned, so seeing a ``k+``
    (or a table left out) told the reader about them. Checked against every partition of
    every total up to 10 by
    ``tests/unit/test_report_simulatable.py::test_a_partition_reader_who_knows_the_rule_learns_nothing_beyond_the_total``.
    """
    statuses: list[Status] = ["primary" if c < k else "exact" for c in counts]
    if "primary" not in statuses:
        return statuses
    for i in complement_order[:_WITHHELD_LINES]:
        statuses[i] = "withheld"
    return statuses if partition_is_safe(counts, statuses, k) else None


def partition_table(
    locale: str,
    release: Release,
    rules: DisclosureRules,
    tally: Tally,
    dimension: str,
    *,
    key: str,
    title: str,
    column: str,
    unit: str,
    what: str,
    note: str = "",
    require_informative: bool = False,
) -> tuple[ReportTable | None, str]:
    """A protected one-column table of a partition; (None, sentence) when left out."""
    k = rules.k
    values = list(DIMENSIONS[dimension])
    if dimension in OPTIONAL:
        values.append(NOT_RECORDED)
    counts = [tally.dimension[dimension][v] for v in values]
    names_of = labels(locale, dimension)
    names = [text(locale, "not_recorded") if v == NOT_RECORDED else names_of[v] for v in values]
    # complement order: "not recorded" first, then from the bottom of the table upwards
    order = list(range(len(values) - 1, -1, -1))
    statuses = protect_partition(counts, order, k)
    too_small = text(locale, "too_small", what=text(locale, what))
    if statuses is None:
        return None, too_small
    if require_informative and not any(
        s == "exact" for v, s in zip(values, statuses, strict=True) if v != NOT_RECORDED
    ):
        return None, too_small
    rows = []
    for value, name, n, status in zip(values, names, counts, statuses, strict=True):
        cells = org_cells(dimension, value, tally.year)
        label = f"{text('en', what)}: {value} · {tally.year}"
        figure: Figure | None
        if status == "exact":
            figure = Figure.exact(cells, n, label, organisation_wide=True)
        elif status == "primary":
            figure = Figure(cells, 0, k - 1, label, True)
        elif status == "withheld":
            figure = None  # not published: 'x'
        else:
            figure = Figure(cells, k, None, label, True)
        if figure is not None:
            release.add(figure)
        rows.append(ReportRow(name, (figure_cell(figure),)))
    rows.append(ReportRow(text(locale, "total"), (exact_cell(sum(counts)),), total=True))
    return ReportTable(key, title, (column, unit), tuple(rows), note), ""
