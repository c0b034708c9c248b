"""A round's groups: its invited departments, those below the minimum size merged (issue 16).

The case figures' grouping (:func:`vp_registry.core.disclosure.grouping.merge_departments`)
is reused with the minimum size raised to at least the minimum number of responses: a
department with fewer people than that could never be shown on its own. The groups are fixed
when a round is created and stored with it (public structure), so a later change of the
department tree never re-groups a round's responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vp_registry.core.disclosure.cells import OTHER_DEPARTMENTS
from vp_registry.core.disclosure.figures import DisclosureRules
from vp_registry.core.disclosure.grouping import merge_departments
from vp_registry.core.facts import DepartmentFacts


@dataclass(frozen=True)
class PulseGroup:
    """One group a respondent can choose: public structure of its round."""

    key: str
    label: str
    department_ids: tuple[int, ...]
    headcount: int = 0


def pulse_groups(departments: Sequence[DepartmentFacts], *, minimum_responses: int,
                 min_department_size: int, min_organisation_size: int,
                 k: int = 3) -> tuple[PulseGroup, ...]:
    """The groups of a round inviting ``departments`` (parents outside the invitation are
    ignored): merged bottom-up below ``max(min_department_size, minimum_responses)`` people;
    one group "whole organisation" when the invited departments together have fewer than
    ``min_organisation_size`` people. In order of label, "other departments" last."""
    rules = DisclosureRules(k=k, min_department_size=max(min_department_size,
                                                         minimum_responses),
                            min_organisation_size=min_organisation_size,
                            band_edges=(k,))
    grouping = merge_departments(list(departments), rules)
    groups = [PulseGroup(group.key, group.label, tuple(sorted(group.department_ids)),
                         group.headcount) for group in grouping.groups.values()]
    return tuple(sorted(groups, key=_order))


def _order(group: PulseGroup) -> tuple[bool, str]:
    return (group.key == OTHER_DEPARTMENTS, group.label.lower())
