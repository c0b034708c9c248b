"""Benchmark signal detection on synthetic organisations.

Run from the repository root: ``python benchmarks/bench_signals.py [--cases 1000 10000 100000]``.
Prints the median of 5 runs per size and the platform; exits 1 when the 10,000-case run takes
longer than the budget (default 1 s).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vp_registry.core.facts import CaseFacts
from vp_registry.core.signals import detect_signals

CATEGORIES = ("pesten", "seksisme", "uitsluiting", "agressie", "integriteit", "werkdruk", "overig")
DEPARTMENTS = 50
TODAY = date(2026, 5, 15)
RUNS = 5


def synthetic_cases(n: int, seed: int = 20260515) -> list[CaseFacts]:
    """n cases over 3 years, 50 departments, 1-3 of 7 categories, a fifth naming a person."""
    rng = random.Random(seed)
    start = TODAY - timedelta(days=3 * 365)
    persons = max(1, n // 4)
    return [
        CaseFacts(
            case_id=i,
            opened_on=start + timedelta(days=rng.randrange(3 * 365)),
            closed_on=None,
            department_id=rng.randrange(DEPARTMENTS),
            categories=tuple(rng.sample(CATEGORIES, rng.choice((1, 1, 1, 2, 3)))),
            involved_person_index=f"bi{rng.randrange(persons)}" if rng.random() < 0.2 else None,
        )
        for i in range(n)
    ]


def bench(n: int) -> tuple[float, int]:
    cases = synthetic_cases(n)
    # 45 departments in their own group, the 5 smallest merged into "overige afdelingen"
    group_of = {d: f"dept-{d}" if d < 45 else "other" for d in range(DEPARTMENTS)}
    labels = {g: g for g in group_of.values()}
    timings: list[float] = []
    found = 0
    for _ in range(RUNS):
        began = time.perf_counter()
        found = len(detect_signals(cases, group_of, labels, today=TODAY))
        timings.append(time.perf_counter() - began)
    return statistics.median(timings), found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--budget", type=float, default=1.0, help="seconds allowed for 10,000")
    args = parser.parse_args()

    print(f"platform: {platform.platform()}; {platform.machine()}; {platform.processor() or '-'}")
    print(f"python: {platform.python_implementation()} {platform.python_version()}")
    print(f"{DEPARTMENTS} departments, {len(CATEGORIES)} categories, median of {RUNS} runs")
    over_budget = False
    for n in args.cases:
        seconds, found = bench(n)
        print(f"{n:>8} cases: {seconds * 1000:8.1f} ms  ({found} candidates)")
        over_budget |= n == 10_000 and seconds > args.budget
    if over_budget:
        print(f"10,000 cases took longer than the {args.budget} s budget", file=sys.stderr)
    return 1 if over_budget else 0


if __name__ == "__main__":
    sys.exit(main())
