"""Protecting a group x category table: primary marks, the column rule, and the audit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from vp_registry.core.disclosure.auditor import (
    decide,
)
from vp_registry.core.disclosure.cells import (
    TOTAL,
    CellKey,
    TableKey,
    _quarter_index,
    _whole_years,
    cell_set,
    parse_quarter,
    period_label,
)
from vp_registry.core.disclosure.figures import (
    DEFAULT_RULES,
    AuditResult,
    DisclosureRules,
    Figure,
    RuleConstraint,
)
from vp_registry.core.disclosure.grouping import (
    DepartmentGrouping,
    Naming,
)
from vp_registry.core.disclosure.totals import department_atoms, every_value_safe

_Status = Literal["value", "primary", "complementary", "repeated", "withheld"]


@dataclass(frozen=True)
class ProtectedTable:
    """A group x category table ready for release, or the reasons it cannot be released.

    ``figures`` holds what is published, keyed by (group, category) with :data:`TOTAL` for
    margins; publish them and append :attr:`released` to the ledger only when :attr:`ok`.
    """

    figures: Mapping[TableKey, Figure]
    primary: frozenset[TableKey]
    complementary: frozenset[TableKey]
    withheld: frozenset[TableKey]
    repeated: frozenset[TableKey]
    groups: tuple[str, ...]
    categories: tuple[str, ...]
    periods: tuple[str, ...]
    audit: AuditResult

    @property
    def ok(self) -> bool:
        return self.audit.ok

    @property
    def released(self) -> list[Figure]:
        return list(self.figures.values())


def protect_table(
    counts: Mapping[CellKey, int],
    grouping: DepartmentGrouping,
    categories: Sequence[str],
    periods: Sequence[str],
    rules: DisclosureRules = DEFAULT_RULES,
    ledger: Sequence[Figure] = (),
    *,
    banded: bool = False,
    column_totals: bool = False,
    groups: Sequence[str] | None = None,
    category_labels: Mapping[str, str] | None = None,
    constraints: Sequence[RuleConstraint] = (),
) -> ProtectedTable:
    """Build the figures of a group x category table over ``periods`` and protect them.

    ``counts`` are the true atomic counts. Cells below k become ``< k``; others are exact or,
    with ``banded``, bands. Column totals are organisation-wide: exact when the periods are
    whole years, otherwise treated like cells. Without a department breakdown only the
    organisation totals are produced. A cell set that is already in the ledger is repeated
    with its earlier interval. The department cells are then protected column by column from
    public facts only (:func:`_protect_by_column`), and :func:`.auditor.decide` checks it against
    ``ledger``; an objection makes the table not ``ok`` - nothing is coarsened on the
    auditor's verdict, which would depend on the hidden counts (issue 12). There are no row
    totals or grand total: no rule decides their complements from public facts alone. Totals
    the ledger bounds: :func:`_withhold_bounded_totals`; ``constraints``: the ledger's rules.
    """
    quarters, cats = _shape(periods, categories)
    _check_counts(counts, grouping)
    group_keys = _group_keys(grouping, groups)
    labels = dict(category_labels or {})
    breakdown = grouping.breakdown_allowed
    specs = _positions(grouping, group_keys, cats, quarters, labels,
                       column_totals=column_totals)
    figures, status = _first_figures(specs, counts, rules, ledger, banded=banded,
                                     years=_whole_years(quarters))
    audited = _withhold_bounded_totals(figures, status, ledger, rules, counts, constraints,
                                       {key: cells for key, cells, _, _ in specs})
    if breakdown:
        _protect_by_column(figures, status, {key: cells for key, cells, _, _ in specs},
                           group_keys, cats, ledger, rules.k, audited, constraints)
    naming = Naming.from_grouping(grouping, labels)
    result = decide(list(figures.values()), ledger, counts, rules, naming=naming,
                    constraints=constraints)  # the table's own components (.scope)

    def with_status(*wanted: _Status) -> frozenset[TableKey]:
        return frozenset(key for key, s in status.items() if s in wanted)

    return ProtectedTable(
        figures=MappingProxyType(dict(figures)),
        primary=with_status("primary"),
        complementary=with_status("complementary"),
        withheld=with_status("withheld"),
        repeated=with_status("repeated"),
        groups=group_keys if breakdown else (),
        categories=cats,
        periods=quarters,
        audit=result,
    )


def _shape(periods: Sequence[str], categories: Sequence[str]
           ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    quarters = tuple(sorted(set(periods), key=_quarter_index))
    if not quarters:
        raise ValueError("a table needs at least one quarter")
    cats = tuple(dict.fromkeys(categories))
    if not cats or TOTAL in cats:
        raise ValueError("a table needs at least one category (and none named '*')")
    return quarters, cats


def _check_counts(counts: Mapping[CellKey, int], grouping: DepartmentGrouping) -> None:
    known_departments = grouping.department_ids
    for (dept_id, _, quarter), value in counts.items():
        parse_quarter(quarter)
        if value < 0:
            raise ValueError("case counts cannot be negative")
        if value and dept_id not in known_departments:
            raise ValueError(f"department {dept_id} has cases but is in no department group")


def _group_keys(grouping: DepartmentGrouping, groups: Sequence[str] | None) -> tuple[str, ...]:
    if groups is None:
        return tuple(grouping.groups)
    group_keys = tuple(dict.fromkeys(groups))
    unknown = [g for g in group_keys if g not in grouping.groups]
    if unknown:
        raise ValueError(f"unknown department groups: {unknown}")
    return group_keys


_Position = tuple[TableKey, frozenset[CellKey], str, bool]


def _positions(
    grouping: DepartmentGrouping, group_keys: Sequence[str], cats: Sequence[str],
    quarters: Sequence[str], labels: Mapping[str, str], *, column_totals: bool,
) -> list[_Position]:
    """Table positions in display order: cells, then column totals (organisation-wide)."""
    when = period_label(quarters)
    specs: list[_Position] = []
    if grouping.breakdown_allowed:
        for g in group_keys:
            group = grouping.groups[g]
            for c in cats:
                specs.append(
                    ((g, c), cell_set(group.department_ids, [c], quarters),
                     f"{group.label} · {labels.get(c, c)} · {when}", False)
                )
    if column_totals or not grouping.breakdown_allowed:
        for c in cats:
            specs.append(
                ((TOTAL, c), cell_set(grouping.department_ids, [c], quarters),
                 f"Whole organisation · {labels.get(c, c)} · {when}", True)
            )
    return specs


def _first_figures(
    specs: Sequence[_Position], counts: Mapping[CellKey, int], rules: DisclosureRules,
    ledger: Sequence[Figure], *, banded: bool, years: bool,
) -> tuple[dict[TableKey, Figure], dict[TableKey, _Status]]:
    """Each position's figure before the column rule: repeated from the ledger (or withheld
    when no longer true), ``< k`` below k, else its value (exact or banded)."""
    ledger_by_cells: dict[frozenset[CellKey], Figure] = {}
    for f in ledger:
        ledger_by_cells.setdefault(f.cells, f)
    figures: dict[TableKey, Figure] = {}
    status: dict[TableKey, _Status] = {}
    used_cells: set[frozenset[CellKey]] = set()
    for key, cells, label, org_total in specs:
        if not cells or cells in used_cells:
            continue  # e.g. a column total equal to the only group's cell
        used_cells.add(cells)
        value = sum(counts.get(a, 0) for a in cells)
        earlier = ledger_by_cells.get(cells)
        if earlier is not None:
            if earlier.contains(value):
                figures[key] = Figure(cells, earlier.low, earlier.high, label,
                                      earlier.organisation_wide)
                status[key] = "repeated"
            else:
                status[key] = "withheld"  # cannot repeat it, must not change it
            continue
        figures[key], status[key] = _new_figure(cells, value, label, rules,
                                                organisation_wide=org_total and years,
                                                banded=banded)
    return figures, status


def _new_figure(
    cells: frozenset[CellKey], value: int, label: str, rules: DisclosureRules, *,
    organisation_wide: bool, banded: bool,
) -> tuple[Figure, _Status]:
    k = rules.k
    if organisation_wide and value < k:
        # an exact total below k bounds every department in it below k-1 (0 pins them
        # all to 0): shown as "< k" like a cell; at k or more every cell keeps 0..k-1
        return Figure(cells, 0, k - 1, label, True), "primary"
    if organisation_wide:
        return Figure.exact(cells, value, label, organisation_wide=True), "value"
    if value < k:
        return Figure.protected(cells, rules, label), "primary"
    if banded:
        return Figure.band(cells, value, rules, label), "value"
    return Figure.exact(cells, value, label), "value"


MAX_AUDITED_GROUPS: Final = 4
"""A bounded total with more groups the ledger bounds is withheld without the per-value audit
(its cost grows with them; the count is public, so the decision stays simulatable). Such a
total is almost never safe anyway: one group the ledger holds below k pins it at the lowest
or the k-th value the total could have (docs/decisions.md)."""


def _withhold_bounded_totals(
    figures: dict[TableKey, Figure], status: dict[TableKey, _Status], ledger: Sequence[Figure],
    rules: DisclosureRules, counts: Mapping[CellKey, int],
    constraints: Sequence[RuleConstraint], spec_cells: Mapping[TableKey, frozenset[CellKey]],
) -> set[TableKey]:
    """A new organisation-wide total next to earlier figures that bound its groups: shown only
    when every value it could have is safe (:func:`.totals.every_value_safe`), decided from
    the ledger and the structure, never from its value; its column's cells are withheld
    either way (their ``< k`` pattern next to the bounds is not audited value by value).
    Returns the totals audited so (shown or not)."""
    audited: set[TableKey] = set()
    # bounds_the_column, once for every column; a rule on a column's atoms (a review's
    # rise or its absence, issue 12) links its groups like a figure does
    bounded_atoms = department_atoms(ledger) | _rule_atoms(constraints)
    for key, figure in list(figures.items()):
        if key[0] != TOTAL or status[key] not in ("value", "primary"):
            continue
        if not figure.organisation_wide or figure.cells.isdisjoint(bounded_atoms):
            continue
        audited.add(key)
        groups = [cells for t, cells in spec_cells.items() if t[0] != TOTAL and t[1] == key[1]]
        for cell_key in [t for t in figures if t[0] != TOTAL and t[1] == key[1]]:
            del figures[cell_key]
            status[cell_key] = "withheld"
        bounded = sum(1 for cells in groups if not cells.isdisjoint(bounded_atoms))
        if bounded > MAX_AUDITED_GROUPS or not every_value_safe(
                figure.cells, figure.label, ledger, rules, counts, constraints, groups):
            del figures[key]
            status[key] = "withheld"
    return audited


def _protect_by_column(
    figures: dict[TableKey, Figure],
    status: dict[TableKey, _Status],
    spec_cells: Mapping[TableKey, frozenset[CellKey]],
    group_keys: Sequence[str],
    categories: Sequence[str],
    ledger: Sequence[Figure],
    k: int,
    audited: set[TableKey] | frozenset[TableKey] = frozenset(),
    constraints: Sequence[RuleConstraint] = (),
) -> None:
    """Simulatable protection of a table without row totals (issue 12), column by column.

    Every decision uses only what the table shows or the reader already has: the column
    total (shown exact), the ``< k`` pattern (shown), the number of groups and the ledger.

    * A column whose atoms an earlier figure of another shape or a published rule touches (a
      signal, a merged group, a total over other departments, a review's rise answer) shows
      no department cells: whether its cells
      could be shown safely would depend on counts the ledger leaves open. Nor its new
      total: an exact total minus a band released for one group (a signal) bounds the other
      groups (total 3, "other departments" 3-4: the rest is 0) - unless it was audited
      for every value it could have (:func:`_withhold_bounded_totals`). An earlier
      organisation-wide total over exactly the column counts as the column's total (and
      stays; it is public).
    * An exact organisation-wide total ``T`` below ``k * n - 1`` (``n`` groups) - or a total
      that is not exact - withholds the column's department cells. From ``k * n - 1`` on,
      every ``< k`` cell can take every value 0..k-1 next to cells that are ``k+``:
      ``T >= k * (n - 1) + (k - 1)``.
    * In a column with a ``< k`` cell every other department cell is shown as ``k+`` (never
      its value), whatever the values - unless the total is department-level: then the total
      is withheld and the cells stand alone.
    * A column without ``< k`` cells shows every value.
    """
    column_cells = {
        c: frozenset(a for g in group_keys if (g, c) in status for a in spec_cells[(g, c)])
        for c in categories
    }
    touched = _touched(figures, ledger, column_cells) | _rule_atoms(constraints)
    earlier_totals = {f.cells: f for f in ledger if f.organisation_wide}
    threshold = k * len(group_keys) - 1
    for c in categories:
        keys = [(g, c) for g in group_keys if (g, c) in status]
        # the column's total: in this table, or released before over exactly these atoms
        total = figures.get((TOTAL, c)) or earlier_totals.get(column_cells[c])
        _protect_column(figures, status, keys, (TOTAL, c), total,
                        touched=not column_cells[c].isdisjoint(touched),
                        threshold=threshold, k=k, audited=(TOTAL, c) in audited)


def _touched(
    figures: Mapping[TableKey, Figure], ledger: Sequence[Figure],
    column_cells: Mapping[str, frozenset[CellKey]],
) -> set[CellKey]:
    """Atoms of earlier figures of another shape than this table's (an earlier
    organisation-wide total over exactly a column counts as that column's total)."""
    table_cells = {f.cells for f in figures.values()}
    touched: set[CellKey] = set()
    for f in ledger:
        if f.cells not in table_cells and not (
            f.organisation_wide and f.cells in column_cells.values()
        ):
            touched |= f.cells
    return touched


def _rule_atoms(constraints: Sequence[RuleConstraint]) -> frozenset[CellKey]:
    """The department atoms of published rules: a column they touch is touched like one an
    earlier figure of another shape touches (its groups are linked to other cells)."""
    return frozenset(a for rule in constraints for a in rule.atoms if a[0] >= 0)


def _protect_column(
    figures: dict[TableKey, Figure], status: dict[TableKey, _Status],
    keys: Sequence[TableKey], total_key: TableKey, total: Figure | None, *,
    touched: bool, threshold: int, k: int, audited: bool = False,
) -> None:
    """One column of :func:`_protect_by_column`."""
    hidden = any(
        status[key] == "primary"
        or (status[key] == "repeated" and figures[key].is_protected(k))
        for key in keys
    )
    if touched or _withholds_cells(figures, status, keys, total, hidden, threshold, k):
        for key in keys:
            figures.pop(key, None)
            status[key] = "withheld"
        if (touched and not audited and total_key in figures
                and status.get(total_key) != "repeated"):
            del figures[total_key]
            status[total_key] = "withheld"
        return
    if not hidden or total is None:
        return
    if not total.organisation_wide and total_key in figures:
        del figures[total_key]
        status[total_key] = "withheld"
        return
    for key in keys:
        if status[key] == "value":
            f = figures[key]
            figures[key] = Figure(f.cells, k, None, f.label, False)
            status[key] = "complementary"


def _withholds_cells(
    figures: Mapping[TableKey, Figure], status: Mapping[TableKey, _Status],
    keys: Sequence[TableKey], total: Figure | None, hidden: bool, threshold: int, k: int,
) -> bool:
    """An organisation-wide total that is not exact or below ``k * n - 1``, or an earlier
    exact cell next to a hidden one (it cannot become ``k+`` now), withholds the cells."""
    if total is None or not total.organisation_wide:
        return False
    if not total.is_exact or total.low < threshold:
        return True
    fixed = any(
        status[key] == "repeated" and not figures[key].is_protected(k)
        and figures[key].interval != (k, None)
        for key in keys
    )
    return hidden and fixed
