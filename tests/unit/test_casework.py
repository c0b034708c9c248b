"""Pure case-work rules: references, whistleblower deadlines, retention dates, text folding."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vp_registry.core.casework import (
    REFERENCE_PATTERN,
    add_months,
    expected_erasure_on,
    fold,
    integrity_deadlines,
    new_reference,
    normalise_reference,
    retention_ends_on,
    watch_cutoffs,
)


def test_reference_shape_and_randomness() -> None:
    references = {new_reference(2026) for _ in range(200)}
    assert all(REFERENCE_PATTERN.match(r) for r in references)
    assert all(r.startswith("VP-2026-") for r in references)
    assert len(references) > 190  # 32^4 possibilities: clashes are rare
    assert not any(ch in r[8:] for r in references for ch in "ILOU")


def test_reference_year_must_have_four_digits() -> None:
    with pytest.raises(ValueError):
        new_reference(99)


@pytest.mark.parametrize(("text", "expected"), [
    (" vp-2026-7kq3 ", "VP-2026-7KQ3"),
    ("VP-2026-7KQ", None),
    ("VP-2026-7KQI", None),
    ("../etc", None),
])
def test_normalise_reference(text: str, expected: str | None) -> None:
    assert normalise_reference(text) == expected


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 3, 15), -12, date(2025, 3, 15)),
    (date(2026, 1, 10), -1, date(2025, 12, 10)),
])
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2900, 1, 1)),
       st.integers(min_value=-600, max_value=600))
def test_add_months_keeps_the_month_arithmetic(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day


def test_integrity_deadlines() -> None:
    deadlines = integrity_deadlines(date(2026, 11, 2), None, None)
    assert deadlines.acknowledge.due_on == date(2026, 11, 9)
    assert deadlines.feedback.due_on == date(2027, 2, 2)
    assert not deadlines.overdue(date(2026, 11, 9))
    assert deadlines.overdue(date(2026, 11, 10))
    assert deadlines.soon(date(2026, 11, 3))
    assert deadlines.next_open() == ("acknowledge", deadlines.acknowledge)
    done = integrity_deadlines(date(2026, 11, 2), date(2026, 11, 4), None)
    assert not done.overdue(date(2026, 12, 1))
    assert done.next_open() == ("feedback", done.feedback)
    assert done.overdue(date(2027, 2, 3))
    finished = integrity_deadlines(date(2026, 1, 2), date(2026, 1, 4), date(2026, 3, 1))
    assert finished.next_open() is None
    assert not finished.overdue(date(2030, 1, 1))


def test_retention_dates() -> None:
    assert retention_ends_on(date(2025, 3, 31), 12) == date(2026, 3, 31)
    # retention passes in March, but the case's year (2025) is over only on 1 January
    assert expected_erasure_on(date(2025, 1, 5), date(2025, 3, 1), 6) == date(2026, 1, 1)
    assert expected_erasure_on(date(2025, 1, 5), date(2025, 12, 1), 12) == date(2026, 12, 1)
    assert expected_erasure_on(date(2024, 12, 5), date(2026, 1, 3), 1) == date(2027, 1, 1)


def test_fold_ignores_case_and_accents() -> None:
    assert fold("Élise ÇELİK") == fold("elise celik")
    assert "gesprek" in fold("Tweede GESPREK")


def _fold_by_definition(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@given(st.text())
def test_fold_is_casefold_nfkd_without_combining_marks(text: str) -> None:
    """The fast paths (ASCII, str.translate) give exactly the definition's result."""
    assert fold(text) == _fold_by_definition(text)


@pytest.mark.parametrize("text", ["Élise ÇELİK", "ideeën", "Straße", "ﬁets", "İstanbul",
                                  "a\u0301b\u0308", "ΣΑΣ", "plain ASCII Text", ""])
def test_fold_of_dutch_and_tricky_text(text: str) -> None:
    assert fold(text) == _fold_by_definition(text)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)),
       st.integers(-400, 60), st.booleans(), st.booleans())
def test_the_watch_cutoffs_decide_as_the_deadlines_do(today: date, offset: int,
                                                      acknowledged: bool, fed_back: bool) -> None:
    """Issue 17, session 9: the start page's cut-offs give exactly 'overdue or soon'."""
    opened = today + timedelta(days=offset)
    deadlines = integrity_deadlines(opened, opened if acknowledged else None,
                                    opened if fed_back else None)
    acknowledge_by, feedback_by = watch_cutoffs(today)
    assert ((not acknowledged and opened <= acknowledge_by)
            or (not fed_back and opened <= feedback_by)) == (
        deadlines.overdue(today) or deadlines.soon(today))
