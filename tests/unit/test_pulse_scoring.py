"""The pulse's statements and scoring (issue 16): reversed items, bands, the scale score."""

from __future__ import annotations

import pytest

from vp_registry.core.pulse import questions, scoring
from vp_registry.core.pulse.questions import SAFETY_STATEMENTS, Statement, round_statements


def test_the_safety_scale_has_seven_statements_three_reversed_in_both_languages() -> None:
    assert [s.code for s in SAFETY_STATEMENTS] == [f"ps{i}" for i in range(1, 8)]
    assert {s.code for s in SAFETY_STATEMENTS if s.reversed} == {"ps1", "ps3", "ps5"}
    assert all(s.in_scale and s.text_nl and s.text_en and s.text_nl != s.text_en
               for s in SAFETY_STATEMENTS)
    assert all(not s.in_scale for s in questions.TOOLBOX_STATEMENTS)
    assert questions.free_text_prompt("nl") == "Is er iets dat wij beter zouden kunnen doen?"


def test_a_round_always_has_the_whole_scale_then_chosen_toolbox_then_custom() -> None:
    chosen = round_statements(["tb3", "tb1"], ["Ik weet bij wie ik terecht kan."])
    assert [s.code for s in chosen] == [*questions.SAFETY_CODES, "tb1", "tb3", "c1"]
    assert chosen[-1].text("en") == "Ik weet bij wie ik terecht kan."
    with pytest.raises(ValueError, match="unknown"):
        round_statements(["tb9"])
    with pytest.raises(ValueError):
        round_statements([], ["  "])


@pytest.mark.parametrize(("value", "expected"), [(1, 7), (2, 6), (4, 4), (7, 1)])
def test_a_reversed_statement_is_scored_eight_minus_the_answer(value: int,
                                                               expected: int) -> None:
    assert scoring.scored(Statement("r", "x", "y", reversed=True), value) == expected
    assert scoring.scored(Statement("n", "x", "y"), value) == value


@pytest.mark.parametrize("value", [0, 8, -1, True, 3.5, "4", None])
def test_an_answer_off_the_scale_is_refused(value: object) -> None:
    assert not scoring.is_answer(value)
    with pytest.raises(ValueError):
        scoring.scored(Statement("n", "x", "y"), value)  # type: ignore[arg-type]


def test_bands_are_low_one_to_three_middle_four_high_five_to_seven() -> None:
    assert [scoring.band(v) for v in range(1, 8)] == [0, 0, 0, 1, 2, 2, 2]
    assert scoring.histogram_bands((1, 2, 3, 4, 5, 6, 7)) == (6, 4, 18)


def test_the_scale_score_from_histograms_is_the_mean_of_the_response_scores() -> None:
    statements = SAFETY_STATEMENTS
    responses = [{s.code: (i * 3 + j) % 7 + 1 for j, s in enumerate(statements)}
                 for i in range(9)]
    direct = sum(scoring.response_score(statements, r) for r in responses) / len(responses)
    histograms = {s.code: tuple(sum(1 for r in responses if r[s.code] == v)
                                for v in range(1, 8)) for s in statements}
    assert scoring.score_from_histograms(statements, histograms) == pytest.approx(direct)
    # all answers 7: reversed items pull the score down to (4 x 7 + 3 x 1) / 7
    sevens = {s.code: 7 for s in statements}
    assert scoring.response_score(statements, sevens) == pytest.approx(31 / 7)
