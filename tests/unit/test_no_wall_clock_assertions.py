"""Issue 11, item 7: no pass/fail test measures how long something takes.

A timing assertion flakes on a loaded machine (a fresh-clone ``make test`` on two busy cores
failed on one). Timing belongs in ``benchmarks/`` (``make bench``); a test proves the
*structure* instead (e.g. one Argon2id derivation per attempt, counted with a spy). Deadlines
that only stop a hung subprocess (``time.monotonic()`` in the reliability harness) are not
measurements and stay allowed.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
# Clocks and helpers that exist only to measure durations.
MEASURING: re.Pattern[str] = re.compile(
    r"\b(?:perf_counter(?:_ns)?|process_time(?:_ns)?|thread_time(?:_ns)?|timeit)\b")


def test_no_test_module_measures_durations() -> None:
    this = Path(__file__).resolve()
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.resolve() == this:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if MEASURING.search(line):
                offenders.append(f"{path.relative_to(TESTS.parent)}:{number}: {line.strip()}")
    assert not offenders, "move timing to benchmarks/:\n" + "\n".join(offenders)
