"""The pulse disclosure rule (issue 16; docs/decisions.md "Pulse survey (issue 16)").

Public structure: a round's *groups* (departments, those below the minimum size merged, see
:mod:`vp_registry.core.pulse.grouping`), fixed when the round is created; a respondent chooses
a group, so no figure below a group exists anywhere. ``m`` is ``PULSE_MIN_RESPONSES`` (never
below the case threshold k).

1. A group is *shown* (count, item means and bands, score) when it has at least ``m``
   responses, otherwise *hidden*: "fewer than m", nothing else.
2. The hidden groups together (``H``, with ``n_H`` responses) are shown as one row "other
   groups together" only when ``m <= n_H <= (m - 1) * (|H| - 1)``. Then every hidden group
   can still have had any count from 0 to m-1 (the others can make up the rest), so neither a
   hidden group's count nor its answers follow by subtraction. (With two hidden groups the
   range is empty: ``n_H`` would pin both counts.)
3. The organisation figure covers every group when nothing is hidden or the hidden groups are
   shown together; otherwise it covers the shown groups only and says so (``scope``
   ``"shown"``), and with no group shown there is no organisation figure (``"none"``).
   Organisation minus shown groups therefore never isolates a hidden group.

Every decision is computed from counts that the release shows (a shown group's count,
``n_H`` when the row is shown) or from "below m" alone - never from a hidden count otherwise -
so a reader who knows this rule learns nothing from the decisions (simulatable; docs/design.md
"Simulatable disclosure control"). When the row of rule 2 is not shown the reader learns only
that ``n_H`` is outside the range, which every count 0..m-1 of any hidden group is consistent
with (all other hidden groups at 0).

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
OTHER_GROUPS: Final = "other_groups"  # the hidden groups together (rule 2)
ORGANISATION_KEY: Final = "organisation"
MIN_MINIMUM: Final = 2


@dataclass(frozen=True)
class Disclosure:
    """Which groups a release shows and what its organisation figure covers."""

    shown: tuple[str, ...]
    hidden: tuple[str, ...]
    other: bool  # the hidden groups shown together as one row
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


def other_allowed(hidden_total: int, hidden_groups: int, minimum: int) -> bool:
    """Rule 2: may the hidden groups be shown together?"""
    return hidden_groups >= 2 and minimum <= hidden_total <= (minimum - 1) * (hidden_groups - 1)


def decide(counts: Mapping[str, int], minimum: int) -> Disclosure:
    """The rule over the response count of every group of a round (in the round's order)."""
    check_minimum(minimum)
    if any(count < 0 for count in counts.values()):
        raise ValueError("a response count cannot be negative")
    shown = tuple(key for key, count in counts.items() if count >= minimum)
    hidden = tuple(key for key, count in counts.items() if count < minimum)
    other = other_allowed(sum(counts[key] for key in hidden), len(hidden), minimum)
    if not hidden or other:
        scope = SCOPE_ALL
    elif shown:
        scope = SCOPE_SHOWN
    else:
        scope = SCOPE_NONE
    return Disclosure(shown, hidden, other, scope)
