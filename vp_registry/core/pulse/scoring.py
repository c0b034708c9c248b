"""Scoring a pulse answer: the 7-point scale, reversed items, bands and the scale score.

* An answer is a whole number 1..7 (``SCALE_POINTS``).
* A *reversed* statement is scored ``8 - x`` so that a higher score always means more safety.
* Bands are what people answered, as asked: low 1-3, middle 4, high 5-7 (not reversed; a
  reversed statement is marked as such wherever its item is shown).
* The scale score of one response is the mean of its scored in-scale answers; a group's score
  is the mean over its responses. Every statement of a round must be answered (a skipped item
  would give an item figure over fewer people than the group's count), so a group's score is
  also the mean of its in-scale items' scored means: it can be computed from the per-item
  distributions alone (:func:`score_from_histograms`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from vp_registry.core.pulse.questions import SCALE_POINTS, Statement

BANDS: Final = ("low", "middle", "high")
LOW_TOP: Final = 3  # 1..3 low
MIDDLE: Final = 4  # 4 middle, 5..7 high


def is_answer(value: object) -> bool:
    """A whole number on the scale (bool is not a number here)."""
    return isinstance(value, int) and not isinstance(value, bool) and \
        1 <= value <= SCALE_POINTS


def scored(statement: Statement, value: int) -> int:
    """The answer turned round for a reversed statement: higher is always safer."""
    if not is_answer(value):
        raise ValueError(f"an answer is a whole number from 1 to {SCALE_POINTS}")
    return SCALE_POINTS + 1 - value if statement.reversed else value


def band(value: int) -> int:
    """0 low (1-3), 1 middle (4), 2 high (5-7) of an answer as given."""
    if not is_answer(value):
        raise ValueError(f"an answer is a whole number from 1 to {SCALE_POINTS}")
    return 0 if value <= LOW_TOP else 1 if value == MIDDLE else 2


def response_score(statements: Sequence[Statement], answers: Mapping[str, int]) -> float:
    """One response's scale score: the mean of its scored in-scale answers."""
    scale = [s for s in statements if s.in_scale]
    if not scale:
        raise ValueError("no statement of the scale")
    return sum(scored(s, answers[s.code]) for s in scale) / len(scale)


def histogram_mean(histogram: Sequence[int]) -> float | None:
    """The mean answer of a histogram (index 0 = answer 1); None when empty."""
    total = sum(histogram)
    if total == 0:
        return None
    return sum((i + 1) * count for i, count in enumerate(histogram)) / total


def histogram_bands(histogram: Sequence[int]) -> tuple[int, int, int]:
    """How many answered low, middle and high."""
    return (sum(histogram[:LOW_TOP]), histogram[MIDDLE - 1], sum(histogram[MIDDLE:]))


def score_from_histograms(statements: Sequence[Statement],
                          histograms: Mapping[str, Sequence[int]]) -> float | None:
    """A group's scale score from its per-item histograms (every item answered by everyone):
    the mean of the in-scale items' scored means. None without responses."""
    means: list[float] = []
    for statement in statements:
        if not statement.in_scale:
            continue
        mean = histogram_mean(histograms.get(statement.code, ()))
        if mean is None:
            return None
        means.append(SCALE_POINTS + 1 - mean if statement.reversed else mean)
    return sum(means) / len(means) if means else None
