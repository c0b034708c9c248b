"""Candidate signal detection (vp_registry.core.signals, DESIGN section 5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vp_registry.core.facts import CaseFacts
from vp_registry.core.signals import (
    CONCENTRATION,
    RECURRENCE,
    RISE,
    RiseRule,
    SignalCandidate,
    detect_signals,
    rise_rule,
)

# today in 2026-Q2: the last complete quarter is 2026-Q1, the default window 2025-Q2..2026-Q1.
TODAY = date(2026, 5, 15)
WINDOW = ("2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1")
GROUP_OF = {1: "g-mag", 2: "g-mag", 3: "g-kan"}  # department 9 has no group
LABELS = {"g-mag": "Magazijn", "g-kan": "Kantoor"}

_next_id = iter(range(1, 1_000_000))


def case(
    opened_on: date,
    *categories: str,
    department: int = 1,
    person: str | None = None,
    case_id: int | None = None,
) -> CaseFacts:
    return CaseFacts(
        case_id=case_id if case_id is not None else next(_next_id),
        opened_on=opened_on,
        closed_on=None,
        department_id=department,
        categories=categories or ("pesten",),
        involved_person_index=person,
    )


def detect(cases: Sequence[CaseFacts], **options: Any) -> list[SignalCandidate]:
    return detect_signals(cases, GROUP_OF, LABELS, today=TODAY, **options)


def of_kind(signals: list[SignalCandidate], kind: str) -> list[SignalCandidate]:
    return [s for s in signals if s.kind == kind]


def many(n: int, opened_on: date, *categories: str, department: int = 1) -> list[CaseFacts]:
    return [case(opened_on, *categories, department=department) for _ in range(n)]


# --- concentration -------------------------------------------------------------------------


def test_concentration_exactly_at_threshold() -> None:
    cases = [case(date(2025, 5, 1)), case(date(2025, 9, 1)), case(date(2026, 2, 1), department=2)]
    [signal] = of_kind(detect(cases), CONCENTRATION)
    assert (signal.group_key, signal.group_label, signal.category) == (
        "g-mag",
        "Magazijn",
        "pesten",
    )
    assert signal.periods == WINDOW
    assert signal.count == 3
    assert signal.case_ids == tuple(sorted(c.case_id for c in cases))
    assert signal.releasable


def test_no_concentration_just_below_threshold() -> None:
    assert of_kind(detect(many(2, date(2025, 6, 1))), CONCENTRATION) == []


def test_threshold_below_k_is_raised_to_k() -> None:
    assert of_kind(detect(many(2, date(2025, 6, 1)), threshold=1), CONCENTRATION) == []
    assert of_kind(detect(many(3, date(2025, 6, 1)), k=4, threshold=2), CONCENTRATION) == []


def test_threshold_above_k_is_honoured() -> None:
    assert of_kind(detect(many(4, date(2025, 6, 1)), threshold=5), CONCENTRATION) == []
    assert len(of_kind(detect(many(5, date(2025, 6, 1)), threshold=5), CONCENTRATION)) == 1


@pytest.mark.parametrize(
    ("outside", "why"),
    [(date(2026, 4, 1), "current, incomplete quarter"), (date(2025, 3, 31), "before the window")],
)
def test_window_excludes_cases_outside_it(outside: date, why: str) -> None:
    edges = [case(date(2025, 4, 1)), case(date(2026, 3, 31))]  # first and last day of the window
    assert len(of_kind(detect([*edges, case(date(2025, 8, 1))]), CONCENTRATION)) == 1
    assert of_kind(detect([*edges, case(outside)]), CONCENTRATION) == [], why


def test_current_quarter_included_on_request() -> None:
    cases = [case(date(2025, 9, 1)), case(date(2026, 1, 5)), case(date(2026, 4, 1))]
    [signal] = of_kind(detect(cases, include_current_quarter=True), CONCENTRATION)
    assert signal.periods == ("2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2")


def test_window_length_is_configurable() -> None:
    cases = many(3, date(2025, 12, 1))
    assert of_kind(detect(cases, window_quarters=1), CONCENTRATION) == []
    [signal] = of_kind(detect(cases, window_quarters=2), CONCENTRATION)
    assert signal.periods == ("2025-Q4", "2026-Q1")


def test_case_with_several_categories_counts_in_each() -> None:
    cases = many(3, date(2025, 10, 1), "pesten", "agressie", "pesten")
    signals = of_kind(detect(cases), CONCENTRATION)
    assert sorted((s.category, s.count) for s in signals) == [("agressie", 3), ("pesten", 3)]


def test_groups_and_ungrouped_departments() -> None:
    # departments 1 and 2 share a group; department 9 has none and is ignored
    cases = [case(date(2025, 7, 1), department=d) for d in (1, 2, 9, 9, 9)]
    assert of_kind(detect(cases), CONCENTRATION) == []
    [signal] = of_kind(detect([*cases, case(date(2025, 7, 2), department=2)]), CONCENTRATION)
    assert signal.count == 3


# --- rise ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "before", "rises"),
    [
        (4, 0, True),  # from nothing to k + 1
        (6, 1, True),  # now - 2 x before = k + 1
        (8, 2, True),
        (2, 0, False),  # below k
        (3, 2, False),  # not double
        (5, 3, False),  # +2 but not double
        # the old rule's rises that no longer fire (issue 12, session 8: one inequality)
        (3, 0, False),
        (4, 1, False),
        (5, 1, False),
        (4, 2, False),
        (7, 2, False),
        (8, 3, False),
    ],
)
def test_rise(now: int, before: int, rises: bool) -> None:
    """A rise: ``now - 2 x before >= k + 1`` (one linear inequality, whose absence is one
    too)."""
    cases = many(now, date(2026, 2, 1)) + many(before, date(2025, 11, 1))
    signals = of_kind(detect(cases), RISE)
    assert bool(signals) is rises
    if rises:
        [signal] = signals
        assert signal.periods == ("2025-Q4", "2026-Q1")
        assert signal.count == now
        assert signal.explanation_parts["previous_count"] == before
        assert signal.releasable


def test_rise_rule_is_configurable() -> None:
    cases = many(6, date(2026, 2, 1)) + many(2, date(2025, 11, 1))
    assert of_kind(detect(cases), RISE) == []  # 6 - 2 x 2 < 4
    assert of_kind(detect(cases, rise_factor=1, rise_min_increase=1), RISE) != []  # 6 - 2 >= 4
    assert of_kind(detect(cases, rise_factor=1.5), RISE) == []  # 6 - 3 < 4
    assert of_kind(detect(cases, rise_factor=1, rise_min_increase=5), RISE) == []  # 6 - 2 < 5


@pytest.mark.parametrize(("factor", "increase", "rule"), [
    (2, 2, RiseRule(1, 2, 4)), (1.5, 2, RiseRule(2, 3, 8)), (2, 5, RiseRule(1, 2, 5)),
    (1, 1, RiseRule(1, 1, 4))])
def test_the_rise_rule_is_one_integer_inequality(factor: float, increase: int,
                                                 rule: RiseRule) -> None:
    """``now - factor x before >= max(k + 1, increase)`` scaled to integers; it implies the
    old conditions (now >= k, now >= factor x before, now - before >= increase)."""
    found = rise_rule(3, factor, increase)
    assert found == rule
    for now in range(15):
        for before in range(8):
            if found.fires(now, before):
                assert now >= 3 and now >= factor * before and now - before >= increase


@pytest.mark.parametrize(("factor", "increase"), [(0.5, 2), (3.14159, 2), (2, 0)])
def test_an_unsafe_or_unrecordable_rise_rule_is_refused(factor: float, increase: int) -> None:
    with pytest.raises(ValueError):
        rise_rule(3, factor, increase)


# --- recurrence ----------------------------------------------------------------------------


def test_recurrence_with_two_cases_naming_the_same_person() -> None:
    first = case(date(2024, 1, 10), person="bi:abc", department=9)  # any period, any department
    second = case(date(2026, 5, 1), "agressie", person="bi:abc", department=3)
    [signal] = of_kind(detect([first, second, case(date(2025, 5, 1))]), RECURRENCE)
    assert signal.case_ids == (first.case_id, second.case_id)
    assert signal.count == 2
    assert signal.periods == ("2024-Q1", "2026-Q2")
    assert signal.releasable is False
    assert (signal.group_key, signal.category) == (None, None)
    # the blind index never leaves in the candidate
    assert "bi:abc" not in repr(signal) and "bi:abc" not in signal.key


@pytest.mark.parametrize("persons", [("bi:abc", "bi:xyz"), (None, None), ("", "")])
def test_no_recurrence_without_a_shared_index(persons: tuple[str | None, str | None]) -> None:
    cases = [case(date(2025, 6, 1), person=p) for p in persons]
    assert of_kind(detect(cases), RECURRENCE) == []


def test_recurrence_keys_differ_per_person() -> None:
    cases = [case(date(2025, 6, 1), person=p) for p in ("bi:a", "bi:a", "bi:b", "bi:b")]
    keys = {s.key for s in of_kind(detect(cases), RECURRENCE)}
    assert len(keys) == 2


# --- explanation, key, ordering ------------------------------------------------------------


def test_explanation_names_count_category_and_group() -> None:
    [signal] = of_kind(detect(many(4, date(2025, 8, 1), "seksisme", department=3)), CONCENTRATION)
    assert signal.explanation == "4 cases of seksisme in Kantoor since 2025-Q2"
    assert signal.explanation_parts["count"] == 4
    assert signal.explanation_parts["category"] == "seksisme"
    assert signal.explanation_parts["group"] == "Kantoor"
    assert (signal.explanation_parts["since_year"], signal.explanation_parts["since_month"]) == (
        2025,
        4,
    )
    with pytest.raises(TypeError):
        signal.explanation_parts["count"] = 0  # type: ignore[index]


def test_key_is_stable_and_hashable() -> None:
    cases = many(3, date(2025, 8, 1))
    [first] = of_kind(detect(cases), CONCENTRATION)
    [again] = of_kind(detect(list(reversed(cases))), CONCENTRATION)
    assert first == again and hash(first) == hash(again)
    assert first.key == "concentration|g-mag|pesten|2025-Q2,2025-Q3,2025-Q4,2026-Q1"


def test_most_relevant_first() -> None:
    cases = (
        many(3, date(2025, 8, 1), "pesten")
        + many(5, date(2025, 8, 1), "agressie", department=3)
        + many(4, date(2025, 8, 1), "werkdruk")
    )
    counts = [(s.count, s.category) for s in detect(cases)]
    assert counts == [(5, "agressie"), (4, "werkdruk"), (3, "pesten")]


@pytest.mark.parametrize("k", [2, 11])
def test_k_outside_safe_bounds_is_refused(k: int) -> None:
    with pytest.raises(ValueError, match="k must be"):
        detect([], k=k)


# --- property: concentration equals a naive count ------------------------------------------

_cases = st.lists(
    st.builds(
        case,
        st.dates(date(2024, 10, 1), date(2026, 6, 30)),
        st.sampled_from(["pesten", "agressie", "werkdruk"]),
        department=st.sampled_from([1, 2, 3, 9]),
    ),
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(cases=_cases, k=st.integers(3, 5))
def test_concentration_matches_naive_count(cases: list[CaseFacts], k: int) -> None:
    first, last = date(2025, 4, 1), date(2026, 3, 31)
    naive = Counter(
        (GROUP_OF[c.department_id], cat)
        for c in cases
        if c.department_id in GROUP_OF and first <= c.opened_on <= last
        for cat in set(c.categories)
    )
    found = {(s.group_key, s.category): s.count for s in of_kind(detect(cases, k=k), CONCENTRATION)}
    assert found == {cell: n for cell, n in naive.items() if n >= k}
