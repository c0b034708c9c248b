"""The pulse disclosure rule (issue 16; docs/decisions.md "Pulse survey (issue 16)").

Public structure: a round's *groups* (departments, those below the minimum size merged, see
:mod:`vp_registry.core.pulse.grouping`), fixed when the round is created; a respondent chooses
a group, so no figure below a group exists anywhere. ``m`` is ``PULSE_MIN_RESPONSES`` (never
below the case threshold k).

1. A group is *shown* (count, item means and bands, score) when it has at least ``m``
   responses, otherwise *hidden*: "fewer than m", nothing else.
2. A hidden group's responses are in no published figure at all. The organisation figure
   covers every group when none is hidden; otherwise it covers the shown groups only and says
   so (``scope`` ``"shown"``); with no group shown there is no organisation figure
   (``"none"``). So organisation minus the shown groups is always nothing, and neither a
   hidden group's count nor its answers follow by subtraction.

Withdrawn (pulse-report's attacker, 19:15): showing the hidden groups *together* ("other
groups together", or inside the organisation figure) once they reach ``m`` responses, even
with ``m <= n_H <= (m - 1)(|H| - 1)`` so that every count 0..m-1 stays possible. The counts
were safe, the answers not: when everyone in the merged row gave the same answer (bands
``5/0/0``, mean 1.0), every hidden group's respondents - perhaps one person - are known to have
answered that. ``OTHER_GROUPS`` and ``Disclosure.other`` remain (always ``False``) for code
that names them.

Every decision is computed from counts that the release shows or from "below m" alone, so a
reader who knows this rule learns nothing from the decisions (simulatable; docs/design.md
"Simulatable disclosure control").

Between releases: a round's figures are released once its round is closed and are never
released again with other values (:func:`same_release`), so late responses or a re-grouping
cannot be subtracted from an earlier release. Different rounds are answered by different
responses, so one round's figures cannot be subtracted from another's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

SCOPE_ALL: Final = "all"  # the organisation figure covers every group
SCOPE_SHOWN: Final = "shown"  # ... only the groups shown (some are hidden)
SCOPE_NONE: Final = "none"  # no organisation figure (no group shown)
OTHER_GROUPS: Final = "other_groups"  # never produced: see "Withdrawn" above
# not "organisation": that is the key of the one group of a round without a breakdown
ORGANISATION_KEY: Final = "organisation_total"
MIN_MINIMUM: Final = 2


@dataclass(frozen=True)
class Disclosure:
    """Which groups a release shows and what its organisation figure covers."""

    shown: tuple[str, ...]
    hidden: tuple[str, ...]
    other: bool  # always False: the hidden groups are never shown together (see above)
    scope: str

    @property
    def covered(self) -> tuple[str, ...]:
        """The groups whose responses make up the organisation figure."""
        if self.scope == SCOPE_ALL:
            return (*self.shown, *self.hidden)
        if self.scope == SCOPE_SHOWN:
            return self.shown
        return ()


def check_minimum(minimum: int) -> None:
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < MIN_MINIMUM:
        raise ValueError(f"the minimum number of responses must be at least {MIN_MINIMUM}")


def decide(counts: Mapping[str, int], minimum: int) -> Disclosure:
    """The rule over the response count of every group of a round (in the round's order)."""
    check_minimum(minimum)
    if any(count < 0 for count in counts.values()):
        raise ValueError("a response count cannot be negative")
    shown = tuple(key for key, count in counts.items() if count >= minimum)
    hidden = tuple(key for key, count in counts.items() if count < minimum)
    if not hidden:
        scope = SCOPE_ALL
    elif shown:
        scope = SCOPE_SHOWN
    else:
        scope = SCOPE_NONE
    return Disclosure(shown, hidden, False, scope)
