"""Department groups: which departments are shown together (never one below the minimum size),
and names for explanations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from vp_registry.core.disclosure.cells import (
    ORGANISATION,
    OTHER_DEPARTMENTS,
    TOTAL,
    CellKey,
    period_label,
)
from vp_registry.core.disclosure.figures import (
    DEFAULT_RULES,
    DisclosureRules,
)
from vp_registry.core.facts import DepartmentFacts
from vp_registry.core.taxonomy import N_


@dataclass(frozen=True)
class DepartmentGroup:
    """Departments shown as one row. ``undersized`` only for "other departments" (see below)."""

    key: str
    label: str
    department_ids: frozenset[int]
    headcount: int
    undersized: bool = False


@dataclass(frozen=True, eq=False)
class DepartmentGrouping:
    """Which departments are shown together; ``breakdown_allowed`` False = organisation only."""

    groups: Mapping[str, DepartmentGroup]
    breakdown_allowed: bool = True
    department_names: Mapping[int, str] = field(default_factory=dict)
    _group_of: Mapping[int, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[int, str] = {}
        for key, group in self.groups.items():
            if key != group.key or key == TOTAL or not group.department_ids:
                raise ValueError(f"invalid department group {key!r}")
            for department_id in group.department_ids:
                if department_id in index:
                    raise ValueError(f"department {department_id} is in two groups")
                index[department_id] = key
        object.__setattr__(self, "groups", MappingProxyType(dict(self.groups)))
        object.__setattr__(self, "department_names", MappingProxyType(dict(self.department_names)))
        object.__setattr__(self, "_group_of", MappingProxyType(index))

    def group_of(self, department_id: int) -> str:
        """The key of the group a department is shown in (KeyError for unknown ids)."""
        return self._group_of[department_id]

    @property
    def department_ids(self) -> frozenset[int]:
        return frozenset(self._group_of)


def merge_departments(
    departments: Sequence[DepartmentFacts], rules: DisclosureRules = DEFAULT_RULES
) -> DepartmentGrouping:
    """Group departments so that none is shown below ``rules.min_department_size`` employees.

    Bottom-up over the department tree: a department whose size (its own headcount plus any
    small children merged into it) is below the minimum merges into its parent, and so on up;
    a root that is still too small goes into "other departments". Inactive departments count
    with headcount 0 but still get a group, because old cases refer to them. Under
    ``min_organisation_size`` active employees there is no breakdown at all: one group.

    Choice: if "other departments" is itself below the minimum it stays one group, flagged
    ``undersized``; its cells are protected by the k rule like any cell and its cases are
    counted in the organisation totals (hiding it would force hiding those totals too).
    """
    by_id = _by_id(departments)
    names = {d.department_id: d.name for d in departments}
    organisation_size = sum(d.headcount for d in departments if d.active)
    if not by_id:
        return DepartmentGrouping({}, breakdown_allowed=False, department_names=names)
    if organisation_size < rules.min_organisation_size:
        whole = DepartmentGroup(
            ORGANISATION, N_("Whole organisation"), frozenset(by_id), organisation_size
        )
        return DepartmentGrouping({ORGANISATION: whole}, False, names)
    members, size = _merge_small(by_id, rules.min_department_size)
    groups: dict[str, DepartmentGroup] = {}
    other_ids: set[int] = set()
    other_size = 0
    for node in (n for n in by_id if n in members):
        if size[node] >= rules.min_department_size:
            key = str(node)
            groups[key] = DepartmentGroup(key, names[node], frozenset(members[node]), size[node])
        else:  # only roots can remain small here: small non-roots were merged into parents
            other_ids |= members[node]
            other_size += size[node]
    if other_ids:
        groups[OTHER_DEPARTMENTS] = DepartmentGroup(
            OTHER_DEPARTMENTS,
            N_("Other departments"),
            frozenset(other_ids),
            other_size,
            undersized=other_size < rules.min_department_size,
        )
    return DepartmentGrouping(groups, True, names)


def _by_id(departments: Sequence[DepartmentFacts]) -> dict[int, DepartmentFacts]:
    """The departments by id; ValueError for a duplicate id or a negative headcount."""
    by_id: dict[int, DepartmentFacts] = {}
    for dept in departments:
        if dept.department_id in by_id:
            raise ValueError(f"department {dept.department_id} appears twice")
        if dept.headcount < 0:
            raise ValueError(f"department {dept.department_id} has a negative headcount")
        by_id[dept.department_id] = dept
    return by_id


def _merge_small(
    by_id: Mapping[int, DepartmentFacts], minimum: int
) -> tuple[dict[int, set[int]], dict[int, int]]:
    """Merge every department below ``minimum`` into its parent, bottom-up: the members and
    size of each department that is left (children first, so a merged child counts up)."""

    def parent(dept_id: int) -> int | None:
        parent_id = by_id[dept_id].parent_id
        return parent_id if parent_id is not None and parent_id in by_id else None

    _check_no_cycles(by_id, parent)
    children: dict[int, list[int]] = {d: [] for d in by_id}
    roots: list[int] = []
    for dept_id in by_id:
        parent_id = parent(dept_id)
        (children[parent_id] if parent_id is not None else roots).append(dept_id)
    members: dict[int, set[int]] = {}
    size: dict[int, int] = {}
    # iterative post-order: a child is finished before its parent
    order: list[int] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(reversed(children[node]))
    for node in reversed(order):
        members[node] = {node}
        size[node] = by_id[node].headcount if by_id[node].active else 0
        for child in children[node]:
            if size[child] < minimum:
                members[node] |= members.pop(child)
                size[node] += size[child]
    return members, size


def _check_no_cycles(
    by_id: Mapping[int, DepartmentFacts], parent: Callable[[int], int | None]
) -> None:
    finished: set[int] = set()
    for start in by_id:
        path: set[int] = set()
        node: int | None = start
        while node is not None and node not in finished:
            if node in path:
                raise ValueError(f"the department tree has a cycle through department {node}")
            path.add(node)
            node = parent(node)
        finished |= path


@dataclass(frozen=True)
class Naming:
    """Human names for departments, groups and categories, used to describe derived cells."""

    departments: Mapping[int, str] = field(default_factory=dict)
    groups: Mapping[frozenset[int], str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_grouping(
        cls, grouping: DepartmentGrouping, category_labels: Mapping[str, str] | None = None
    ) -> Naming:
        return cls(
            dict(grouping.department_names),
            {g.department_ids: g.label for g in grouping.groups.values()},
            dict(category_labels or {}),
        )

    def describe(self, cells: frozenset[CellKey]) -> str:
        depts = sorted({d for d, _, _ in cells})
        cats = sorted({c for _, c, _ in cells})
        quarters = {q for _, _, q in cells}
        dept_set = frozenset(depts)
        if dept_set in self.groups:
            who = self.groups[dept_set]
        elif len(depts) <= 3:
            who = " + ".join(self.departments.get(d, f"department {d}") for d in depts)
        else:
            who = f"{len(depts)} departments"
        if len(cats) <= 3:
            what = " + ".join(self.categories.get(c, c) for c in cats)
        else:
            what = f"{len(cats)} categories"
        return f"{who} · {what} · {period_label(quarters)}"
