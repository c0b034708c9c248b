"""Atoms, table positions and periods: fixed, complete calendar quarters (a year is the sum of
its four quarters)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

CellKey = tuple[int, str, str]
"""One atom: (raw department_id, category code, quarter "YYYY-Qn")."""


TableKey = tuple[str, str]
"""Position in a published table: (group key or TOTAL, category code or TOTAL)."""


TOTAL: Final = "*"


OTHER_DEPARTMENTS: Final = "other_departments"


ORGANISATION: Final = "organisation"


_T = TypeVar("_T", int, str)


_IntArray = npt.NDArray[np.int64]


_FloatArray = npt.NDArray[np.float64]


_QUARTER_RE: Final = re.compile(r"^(\d{4})-Q([1-4])$")


def parse_quarter(quarter: str) -> tuple[int, int]:
    """Return (year, quarter number) of "YYYY-Qn"; ValueError for anything else."""
    match = _QUARTER_RE.match(quarter)
    if match is None:
        raise ValueError(f"not a calendar quarter (expected 'YYYY-Qn'): {quarter!r}")
    return int(match.group(1)), int(match.group(2))


def _quarter_index(quarter: str) -> int:
    year, number = parse_quarter(quarter)
    return year * 4 + number - 1


def _quarter_from_index(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"


def quarter_of(day: date) -> str:
    """The calendar quarter a date falls in, e.g. ``date(2026, 5, 1)`` -> "2026-Q2"."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def periods_of_year(year: int) -> list[str]:
    """The four quarters that make up a year; a year figure is always their sum."""
    return [f"{year}-Q{n}" for n in range(1, 5)]


def trailing_quarters(end_quarter: str, n: int) -> list[str]:
    """The ``n`` quarters ending at ``end_quarter``, oldest first (a signal's window)."""
    if n < 1:
        raise ValueError(f"a window needs at least one quarter, got {n}")
    end = _quarter_index(end_quarter)
    return [_quarter_from_index(i) for i in range(end - n + 1, end + 1)]


def quarter_end(quarter: str) -> date:
    """The last day of a quarter."""
    year, number = parse_quarter(quarter)
    if number == 4:
        return date(year, 12, 31)
    return date.fromordinal(date(year, number * 3 + 1, 1).toordinal() - 1)


def is_complete(quarters: Iterable[str], today: date) -> bool:
    """True when every quarter has ended before ``today`` (only complete periods are released)."""
    return all(quarter_end(q) < today for q in quarters)


def period_label(quarters: Iterable[str]) -> str:
    """Short human label: "2026", "2025-2026", "2025-Q3 - 2026-Q2", "2026-Q1" or a list."""
    indices = sorted({_quarter_index(q) for q in quarters})
    if not indices:
        return ""
    first, last = indices[0], indices[-1]
    contiguous = last - first + 1 == len(indices)
    if contiguous and first % 4 == 0 and last % 4 == 3:
        if first // 4 == last // 4:
            return str(first // 4)
        return f"{first // 4}-{last // 4}"
    if len(indices) == 1:
        return _quarter_from_index(first)
    if contiguous:
        return f"{_quarter_from_index(first)} - {_quarter_from_index(last)}"
    return ", ".join(_quarter_from_index(i) for i in indices)


def _whole_years(quarters: Iterable[str]) -> bool:
    """True when the quarters are exactly a set of complete calendar years."""
    years: dict[int, set[int]] = {}
    for q in quarters:
        year, number = parse_quarter(q)
        years.setdefault(year, set()).add(number)
    return bool(years) and all(numbers == {1, 2, 3, 4} for numbers in years.values())


def cell_set(
    department_ids: Iterable[int], categories: Iterable[str], quarters: Iterable[str]
) -> frozenset[CellKey]:
    """All atoms of departments x categories x quarters (zero atoms included, on purpose)."""
    cats, qs = list(categories), list(quarters)
    return frozenset((d, c, q) for d in department_ids for c in cats for q in qs)
