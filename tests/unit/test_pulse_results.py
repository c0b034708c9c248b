"""A round's results as a manager sees them (issue 16; core/pulse/results.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vp_registry.core.pulse.disclosure import ORGANISATION_KEY, SCOPE_SHOWN
from vp_registry.core.pulse.grouping import PulseGroup
from vp_registry.core.pulse.questions import SAFETY_STATEMENTS, round_statements
from vp_registry.core.pulse.results import (
    Response,
    RoundMeta,
    compute_results,
)

STATEMENTS = round_statements(["tb1"])
GROUPS = (PulseGroup("1", "Productie", (1, 2), 40), PulseGroup("3", "Planning", (3,), 12),
          PulseGroup("4", "Inkoop", (4,), 11), PulseGroup("5", "Kwaliteit", (5,), 10))


def answers(value: int) -> dict[str, int]:
    return {s.code: value for s in STATEMENTS}


def responses(counts: dict[str, int], value: int = 5) -> list[Response]:
    return [Response(key, answers(value)) for key, n in counts.items() for _ in range(n)]


def test_a_shown_group_has_counts_means_bands_and_score() -> None:
    result = compute_results([*responses({"1": 6}), Response("1", answers(2))], GROUPS, 5,
                             statements=STATEMENTS)
    group = result.groups[0]
    assert group.shown and group.responses == 7 and group.key == "1"
    ps1 = group.items[0]
    assert ps1.code == "ps1" and ps1.mean == pytest.approx((6 * 5 + 2) / 7, abs=0.005)
    assert ps1.bands == (1, 0, 6)
    # reversed ps1/ps3/ps5 answered 5 score 3, the other four 5: (3*3 + 4*5) / 7
    assert group.score == pytest.approx(round((6 * 29 / 7 + (3 * 6 + 4 * 2) / 7) / 7, 2))


def test_a_hidden_group_shows_nothing_and_the_organisation_covers_the_shown_only() -> None:
    result = compute_results(responses({"1": 6, "3": 4, "4": 0, "5": 0}), GROUPS, 5,
                             statements=STATEMENTS)
    hidden = result.groups[1]
    assert not hidden.shown and hidden.responses is None and hidden.score is None
    assert all(item.mean is None and item.bands == (None, None, None) for item in hidden.items)
    assert result.scope == SCOPE_SHOWN
    assert result.organisation.responses == 6
    assert result.organisation.department_ids == (1, 2)
    assert len(result.groups) == len(GROUPS)  # no "other groups together" row


def test_hidden_groups_reaching_the_minimum_together_are_in_no_figure() -> None:
    result = compute_results(responses({"1": 6, "3": 2, "4": 2, "5": 1}), GROUPS, 5,
                             statements=STATEMENTS)
    assert result.scope == SCOPE_SHOWN
    assert [g.key for g in result.groups] == ["1", "3", "4", "5"]
    assert result.organisation.responses == 6


def test_an_open_round_shows_no_answer_figures() -> None:
    result = compute_results(responses({"1": 30, "3": 9}), GROUPS, 5, statements=STATEMENTS,
                             meta=RoundMeta(closed=False))
    assert not any(group.shown for group in result.groups)
    assert result.organisation.responses == 39 and result.organisation.score is None
    few = compute_results(responses({"1": 3}), GROUPS, 5, statements=STATEMENTS,
                          meta=RoundMeta(closed=False))
    assert few.organisation.responses is None


def test_the_trend_compares_only_the_same_departments_shown_both_times() -> None:
    before = compute_results(responses({"1": 6, "3": 6}, value=4), GROUPS, 5,
                             statements=STATEMENTS)
    after = compute_results(responses({"1": 6, "3": 2}, value=5), GROUPS, 5,
                            statements=STATEMENTS, previous=before)
    score = after.groups[0].score
    assert score is not None and after.trend["1"] == pytest.approx(score - 4.0, abs=0.01)
    assert after.trend["3"] is None  # hidden now
    # the organisation now covers Productie only: compared with Productie before
    assert after.trend[ORGANISATION_KEY] == after.trend["1"]
    assert compute_results(responses({"1": 6, "3": 6}), GROUPS, 5, statements=STATEMENTS,
                           previous=before).trend[ORGANISATION_KEY] == pytest.approx(1.0 / 7 * 1,
                                                                                   abs=0.01)


def test_every_statement_must_be_answered_on_the_scale() -> None:
    partial = {s.code: 4 for s in SAFETY_STATEMENTS}  # tb1 missing
    with pytest.raises(ValueError, match="tb1"):
        compute_results([Response("1", partial)], GROUPS, 5, statements=STATEMENTS)
    with pytest.raises(ValueError, match="unknown group"):
        compute_results([Response("9", answers(4))], GROUPS, 5, statements=STATEMENTS)


def test_departments_below_the_minimum_size_are_merged_like_the_case_figures() -> None:
    from vp_registry.core.facts import DepartmentFacts
    from vp_registry.core.pulse.grouping import pulse_groups

    departments = [DepartmentFacts(1, "Productie", 40), DepartmentFacts(2, "Lasserij", 4, 1),
                   DepartmentFacts(3, "Planning", 12), DepartmentFacts(4, "Inkoop", 3),
                   DepartmentFacts(5, "Kantine", 3)]
    groups = pulse_groups(departments, minimum_responses=5, min_department_size=10,
                          min_organisation_size=50)
    assert [(g.label, g.department_ids) for g in groups] == [
        ("Planning", (3,)), ("Productie", (1, 2)), ("Other departments", (4, 5))]
    # a minimum of responses above the department size raises the merge size
    raised = pulse_groups(departments, minimum_responses=15, min_department_size=10,
                          min_organisation_size=50)
    assert ("Planning", (3,)) not in [(g.label, g.department_ids) for g in raised]
    small = pulse_groups(departments[:2], minimum_responses=5, min_department_size=10,
                         min_organisation_size=50)
    assert [g.label for g in small] == ["Whole organisation"]


def test_a_released_result_survives_its_snapshot_exactly() -> None:
    from dataclasses import replace
    from datetime import date

    from vp_registry.core.pulse import snapshot

    result = compute_results(responses({"1": 6, "3": 2}), GROUPS, 5, statements=STATEMENTS,
                             meta=RoundMeta(7, "Voorjaar", date(2026, 3, 1), date(2026, 3, 21),
                                            True, 0, True))
    text = snapshot.to_json(result)
    assert snapshot.from_json(text) == result and snapshot.to_json(snapshot.from_json(text)) == text
    assert snapshot.same_figures(text, snapshot.to_json(replace(result, trend={"1": 0.5})))
    later = compute_results(responses({"1": 7, "3": 2}), GROUPS, 5, statements=STATEMENTS,
                            meta=RoundMeta(7, "Voorjaar", date(2026, 3, 1), date(2026, 3, 21),
                                           True, 0, True))
    assert not snapshot.same_figures(text, snapshot.to_json(later))
    assert "2" not in [str(g.responses) for g in snapshot.from_json(text).groups]  # hidden


def test_a_round_of_one_group_keeps_the_group_and_the_organisation_apart() -> None:
    whole = (PulseGroup("organisation", "Whole organisation", (1, 2, 3), 40),)
    before = compute_results(responses({"organisation": 6}, value=4), whole, 5,
                             statements=STATEMENTS)
    after = compute_results(responses({"organisation": 6}), whole, 5, statements=STATEMENTS,
                            previous=before)
    assert after.organisation.key != after.groups[0].key
    assert set(after.trend) == {"organisation", ORGANISATION_KEY}


def _world(draw_counts: list[int], values: list[int]) -> list[Response]:
    out: list[Response] = []
    for group, count in zip(("1", "3", "4", "5"), draw_counts, strict=True):
        for i in range(count):
            value = values[(len(out) + i) % len(values)]
            out.append(Response(group, {s.code: (value + j) % 7 + 1
                                        for j, s in enumerate(STATEMENTS)}))
    return out


@given(counts=st.lists(st.integers(0, 8), min_size=4, max_size=4),
       values=st.lists(st.integers(0, 6), min_size=1, max_size=9),
       other=st.lists(st.integers(0, 6), min_size=1, max_size=9),
       fewer=st.integers(0, 4))
def test_a_hidden_groups_responses_change_no_published_figure(
        counts: list[int], values: list[int], other: list[int], fewer: int) -> None:
    """Whatever a hidden group answered - and however many of them, below the minimum - the
    result is the same: its responses are in no figure (rule 2 of core/pulse/disclosure.py)."""
    result = compute_results(_world(counts, values), GROUPS, 5, statements=STATEMENTS)
    hidden = [i for i, count in enumerate(counts) if count < 5]
    if not hidden:
        return
    changed = list(counts)
    changed[hidden[0]] = fewer
    swapped = [r for r in _world(changed, other) if r.group_key == GROUPS[hidden[0]].key]
    kept = [r for r in _world(counts, values) if r.group_key != GROUPS[hidden[0]].key]
    assert compute_results([*kept, *swapped], GROUPS, 5, statements=STATEMENTS) == result
