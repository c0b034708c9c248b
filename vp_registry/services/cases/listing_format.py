"""The byte format of the vault's listing index and the sessions' listing caches, as stored
(encrypted) by :mod:`vp_registry.services.cases.listing_cache`: reading format 3 (columns)
and format 2 (one row per entry, issue 17 session 7)."""

from __future__ import annotations

import json
import struct
import sys
from array import array
from collections.abc import Sequence
from typing import Any, Final

CACHE_FORMAT: Final = b"VPLC3"
FORMAT_2: Final = b"VPLC2"
CACHE_ENTRY: Final = struct.Struct("<qiiQ")  # format 2: id, version, department id, bits
# case id, version, department id, category bits, categories in order (6 bits each, count in
# bits 24-27), acknowledged and feedback dates (days after DAY_ZERO; 0: none); little-endian
COLUMNS: Final = ("q", "i", "i", "Q", "I", "H", "H")
# Kept among the category codes, never one itself: the case is an integrity report, so the
# start page knows which open cases have deadlines without decrypting every listing.
INTEGRITY_MARK: Final = "\x00integrity-report"
# case id -> (version, department id, bits, category order, acknowledged, feedback day)
Entry = tuple[int, int, int, int, int, int]
Entries = dict[int, Entry]


def _columns(data: bytes, count: int) -> list[array[Any]]:
    columns, start = [], 0
    for code in COLUMNS:
        column = array(code)
        column.frombytes(data[start:start + column.itemsize * count])
        if sys.byteorder != "little":
            column.byteswap()
        columns.append(column)
        start += column.itemsize * count
    if start != len(data) or any(len(column) != count for column in columns):
        raise ValueError("a damaged listing cache")
    return columns


class Packed:
    """The entries of a format-3 cache as loaded: its columns and each id's place in them
    (cheaper to make than a tuple per entry when a few hundred are looked up)."""

    def __init__(self, ids: array[int], columns: list[array[int]]) -> None:
        self.positions = dict(zip(ids, range(len(ids)), strict=True))
        self.ids, self.columns = ids, columns

    def get(self, case_id: int) -> Entry | None:
        at = self.positions.get(case_id)
        if at is None:
            return None
        versions, departments, bits, order, acknowledged, feedback = self.columns
        return (versions[at], departments[at], bits[at], order[at], acknowledged[at],
                feedback[at])

    def entries(self) -> Entries:
        return dict(zip(self.ids, zip(*self.columns, strict=True), strict=True))

    def unsettled(self, rows: Sequence[Any], marks: int) -> list[Any]:
        """See :func:`unsettled` (the columns read in place: no tuple per entry)."""
        place, versions, bits = self.positions.get, self.columns[0], self.columns[2]
        return [row for row in rows if (at := place(row[0])) is None
                or versions[at] != row[1] or bits[at] & marks]


def unsettled(entries: Entries, rows: Sequence[Any], marks: int) -> list[Any]:
    """The ``rows`` (case id and version first) whose entry is missing, of another version
    or has a bit of ``marks`` (issue 17, session 9: the start page's and each /clients part's
    scan of every open case, one pass instead of a look-up call per case)."""
    return [row for row in rows if (hit := entries.get(row[0])) is None
            or hit[0] != row[1] or hit[2] & marks]


def parse(data: bytes) -> tuple[list[str], Entries | Packed]:
    """The codes and entries of a decrypted cache of format 3, or of format 2 without its
    integrity reports (they lack the deadline marks: decrypted afresh, then kept as 3)."""
    if not data.startswith((CACHE_FORMAT, FORMAT_2)):
        return [], {}  # format 1 (no integrity marks) or unknown: start afresh
    size = int.from_bytes(data[5:9], "big")
    codes = [str(code) for code in json.loads(data[9:9 + size].decode("utf-8"))]
    if data.startswith(FORMAT_2):
        unmarked = 1 << codes.index(INTEGRITY_MARK) if INTEGRITY_MARK in codes else 0
        return codes, {case_id: (version, department, bits, 0, 0, 0) for case_id, version,
                       department, bits in CACHE_ENTRY.iter_unpack(data[9 + size:])
                       if not bits & unmarked}
    count = int.from_bytes(data[9 + size:13 + size], "big")
    ids, *columns = _columns(data[13 + size:], count)
    return codes, Packed(ids, columns)
