"""The listing index's one-pass scan of the open cases (issue 17, session 9): packed as loaded
or unpacked after a change, it picks exactly the cases the start page must look at one by one
- no current entry (missing or another version), or an entry with one of the marks."""

from __future__ import annotations

from array import array

from hypothesis import given
from hypothesis import strategies as st

from vp_registry.services.cases.listing_format import COLUMNS, Packed, unsettled

ENTRY = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(0, 15))  # version, dept, bits
ROWS = st.lists(st.tuples(st.integers(1, 40), st.integers(1, 3)), max_size=30)


def _packed(entries: dict[int, tuple[int, int, int, int, int, int]]) -> Packed:
    ids = array("q", list(entries))
    columns = [array(code, values) for code, values in zip(
        COLUMNS[1:], zip(*entries.values(), strict=True) if entries else [[]] * 6, strict=True)]
    return Packed(ids, columns)


@given(st.dictionaries(st.integers(1, 40), ENTRY, max_size=30), ROWS, st.integers(0, 15))
def test_the_scan_picks_the_cases_without_a_current_entry_or_with_a_mark(
        raw: dict[int, tuple[int, int, int]], rows: list[tuple[int, int]], marks: int) -> None:
    entries = {case_id: (version, department, bits, 0, 0, 0)
               for case_id, (version, department, bits) in raw.items()}
    expected = [row for row in rows if row[0] not in entries
                or entries[row[0]][0] != row[1] or entries[row[0]][2] & marks]
    assert unsettled(entries, rows, marks) == expected
    assert _packed(entries).unsettled(rows, marks) == expected


def test_a_case_without_a_mark_and_current_is_settled() -> None:
    entries = {1: (2, 1, 0b01, 0, 0, 0), 2: (1, 1, 0b10, 0, 0, 0)}
    rows = [(1, 2), (1, 3), (2, 1), (3, 1)]  # current; stale; marked; missing
    assert _packed(entries).unsettled(rows, 0b10) == [(1, 3), (2, 1), (3, 1)]
    assert _packed(entries).unsettled(rows, 0) == [(1, 3), (3, 1)]
