"""The pulse disclosure rule (issue 16; core/pulse/disclosure.py): which groups a release
shows, the hidden groups together, and what the organisation figure covers - checked against
a brute-force reader who knows the rule and sees the release."""

from __future__ import annotations

import itertools

import pytest

from vp_registry.core.pulse.disclosure import (
    SCOPE_ALL,
    SCOPE_NONE,
    SCOPE_SHOWN,
    Disclosure,
    decide,
)


def published(counts: dict[str, int], minimum: int) -> tuple[object, ...]:
    """Everything about counts a release shows: each shown group's count, "hidden" for the
    others, what the organisation covers and its count."""
    d = decide(counts, minimum)
    return (tuple((k, counts[k] if k in d.shown else None) for k in counts),
            d.scope, d.covered, sum(counts[k] for k in d.covered))


def test_groups_at_or_above_the_minimum_are_shown() -> None:
    d = decide({"a": 5, "b": 4, "c": 12}, 5)
    assert d == Disclosure(("a", "c"), ("b",), False, SCOPE_SHOWN)
    assert d.covered == ("a", "c")


def test_nothing_hidden_covers_the_whole_organisation() -> None:
    assert decide({"a": 5, "b": 9}, 5).scope == SCOPE_ALL


def test_one_hidden_group_never_appears_in_the_organisation_figure() -> None:
    d = decide({"a": 20, "b": 3}, 5)
    assert d.scope == SCOPE_SHOWN and d.covered == ("a",)


@pytest.mark.parametrize("counts", [{"x": 9, "a": 2, "b": 2, "c": 1},
                                    {"x": 9, "a": 4, "b": 4, "c": 0},
                                    {"a": 2, "b": 2, "c": 2}])
def test_hidden_groups_are_never_shown_together(counts: dict[str, int]) -> None:
    """Withdrawn rule: together they may reach m, but a merged row whose answers are all
    alike tells every hidden respondent's answer (pulse-report's attacker)."""
    d = decide(counts, 5)
    assert not d.other and d.hidden and not set(d.hidden) & set(d.covered)


def test_no_group_shown_gives_no_organisation_figure() -> None:
    d = decide({"a": 4, "b": 4}, 5)
    assert d.scope == SCOPE_NONE and d.covered == ()


@pytest.mark.parametrize("minimum", [2, 3, 5])
@pytest.mark.parametrize("groups", [1, 2, 3, 4])
def test_a_reader_who_knows_the_rule_can_hold_every_count_below_the_minimum_possible(
        minimum: int, groups: int) -> None:
    """For every world and every hidden group: among the worlds that publish exactly the same
    figures, that group's count takes every value 0..m-1 (counts up to m + 2 per group)."""
    keys = [f"g{i}" for i in range(groups)]
    worlds = [dict(zip(keys, values, strict=True))
              for values in itertools.product(range(minimum + 3), repeat=groups)]
    by_release: dict[tuple[object, ...], list[dict[str, int]]] = {}
    for world in worlds:
        by_release.setdefault(published(world, minimum), []).append(world)
    for release, alike in by_release.items():
        d = decide(alike[0], minimum)
        for key in d.hidden:
            possible = {world[key] for world in alike}
            assert possible == set(range(minimum)), (release, key, possible)


def test_the_minimum_must_be_at_least_two_and_counts_not_negative() -> None:
    with pytest.raises(ValueError):
        decide({"a": 1}, 1)
    with pytest.raises(ValueError):
        decide({"a": -1}, 5)
