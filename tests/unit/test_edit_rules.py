"""The session-8 edit rules of issue 12 as plain functions (docs/decisions.md, "Erasures and
department/category edits after a release"): what a department/category change keeps, what
an erasure keeps, and the index entry that carries the kept grouping."""

from __future__ import annotations

import json
from datetime import date, datetime

from vp_registry.core.facts import (
    CaseFacts,
    Published,
    as_counted,
    erased_quarter,
    grouping_after_edit,
)
from vp_registry.services.cases import fact_entries

RELEASED = datetime(2026, 10, 1, 9)  # the review of 1 October: 2025-Q4..2026-Q3
PUBLISHED = Published({}, {(2026, 1): RELEASED, (2026, 2): RELEASED, (2026, 3): RELEASED})
CASE = CaseFacts(1, date(2026, 5, 4), None, 7, ("pesten",))
AFTER, BEFORE = datetime(2026, 10, 5, 12), datetime(2026, 9, 30, 12)


def test_a_change_after_the_release_keeps_what_it_counted() -> None:
    assert grouping_after_edit(CASE, 8, ("seksisme",), AFTER, PUBLISHED) == (7, ("pesten",))
    # the department alone, or a category added, too
    assert grouping_after_edit(CASE, 8, ("pesten",), AFTER, PUBLISHED) == (7, ("pesten",))
    assert grouping_after_edit(CASE, 7, ("pesten", "seksisme"), AFTER,
                               PUBLISHED) == (7, ("pesten",))


def test_a_change_before_any_release_of_the_quarter_counts_the_new_one() -> None:
    assert grouping_after_edit(CASE, 8, ("seksisme",), BEFORE, PUBLISHED) is None
    october = CaseFacts(2, date(2026, 10, 12), None, 7, ("pesten",))  # 2026-Q4: not released
    assert grouping_after_edit(october, 8, ("seksisme",), AFTER, PUBLISHED) is None


def test_putting_back_what_is_counted_keeps_nothing() -> None:
    kept = CaseFacts(1, date(2026, 5, 4), None, 8, ("seksisme", "pesten"),
                     counted_grouping=(7, ("pesten", "seksisme")))
    counted = as_counted([kept], PUBLISHED)[0]
    assert (counted.department_id, counted.categories) == (7, ("pesten", "seksisme"))
    assert grouping_after_edit(counted, 7, ("seksisme", "pesten"), AFTER, PUBLISHED) is None


def test_a_final_report_of_the_opening_year_keeps_it_too() -> None:
    reported = Published({2025: datetime(2026, 1, 15, 9)}, {})
    old = CaseFacts(3, date(2025, 11, 2), None, 7, ("pesten",))
    assert grouping_after_edit(old, 8, ("pesten",), AFTER, reported) == (7, ("pesten",))
    assert grouping_after_edit(old, 8, ("pesten",), AFTER, {}) is None


def test_an_erasure_keeps_the_quarter_only_after_its_first_release() -> None:
    assert erased_quarter(CASE, AFTER, PUBLISHED) == (2026, 2)
    assert erased_quarter(CASE, BEFORE, PUBLISHED) is None
    assert erased_quarter(CASE, AFTER, {}) is None
    # a case registered after the release counts from its registration day (2026-Q4)
    late = CaseFacts(4, date(2026, 5, 4), None, 7, ("pesten",),
                     registered_at=datetime(2026, 10, 3, 8))
    assert erased_quarter(as_counted([late], PUBLISHED)[0], AFTER, PUBLISHED) is None


def test_index_entries_with_and_without_the_kept_grouping_decode() -> None:
    row = (1, 1, "open", date(2026, 5, 4), None, datetime(2026, 5, 4, 9))
    old = [8, ["seksisme"], None, None, None, None, None, 0, None, []]
    entries = [(row, json.dumps(old).encode()),
               ((2, *row[1:]), json.dumps([*old, [7, ["pesten"]]]).encode())]
    facts = fact_entries.decode_all(entries, {})
    assert facts[1].counted_grouping is None
    assert facts[2].counted_grouping == (7, ("pesten",))
    counted = as_counted([facts[2]], PUBLISHED)[0]
    assert (counted.department_id, counted.categories) == (7, ("pesten",))
