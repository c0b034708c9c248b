"""Benchmark of disclosure control on a synthetic organisation (DESIGN section 4).

50 departments (a few small ones are merged), 7 categories, 4 quarters, about 10,000 cases with
a skewed spread so that many cells are small. The ledger holds several signal releases (banded
single cells for single quarters and cumulative windows); then the annual report table with row,
column and grand totals is protected against it. Prints median wall times over a few runs:

* ``audit (cold)``: one audit of the final annual release against the ledger, caches cleared;
* ``audit (warm)``: the same audit again (the service layer audits right before releasing);
* ``protect_table``: building the annual table including complementary suppression.

Run: ``.venv/bin/python benchmarks/bench_disclosure.py [--runs N] [--cases N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from collections.abc import Callable

import numpy as np
import scipy

from vp_registry.core.disclosure import (
    CellKey,
    DisclosureRules,
    Figure,
    audit,
    clear_cache,
    merge_departments,
    periods_of_year,
    protect_table,
)
from vp_registry.core.facts import DepartmentFacts
from vp_registry.core.taxonomy import DEFAULT_CATEGORIES

CATEGORIES = list(DEFAULT_CATEGORIES)


def organisation(seed: int) -> list[DepartmentFacts]:
    """Eight divisions with four sub-departments each, plus ten loose departments (50 in all)."""
    rng = random.Random(seed)
    departments: list[DepartmentFacts] = []
    next_id = 1
    for division in range(8):
        head = next_id
        departments.append(DepartmentFacts(head, f"Divisie {division + 1}", rng.randint(5, 60)))
        next_id += 1
        for sub in range(4):
            size = rng.choice([4, 8, 15, 25, 40, 80])
            departments.append(
                DepartmentFacts(next_id, f"Afdeling {division + 1}.{sub + 1}", size, head)
            )
            next_id += 1
    for loose in range(10):
        departments.append(
            DepartmentFacts(next_id, f"Team {loose + 1}", rng.choice([3, 6, 12, 30, 120]))
        )
        next_id += 1
    return departments


def case_counts(
    departments: list[DepartmentFacts], n_cases: int, year: int, seed: int
) -> dict[CellKey, int]:
    """Skewed counts: department weight ~ headcount x random factor, categories Zipf-like."""
    rng = np.random.default_rng(seed)
    quarters = periods_of_year(year)
    dept_w = np.array([d.headcount * rng.gamma(0.7) for d in departments])
    cat_w = 1.0 / np.arange(1, len(CATEGORIES) + 1) ** 1.2
    q_w = np.array([1.0, 1.1, 0.9, 1.0])
    weights = dept_w[:, None, None] * cat_w[None, :, None] * q_w[None, None, :]
    weights /= weights.sum()
    draws = rng.multinomial(n_cases, weights.ravel()).reshape(weights.shape)
    counts: dict[CellKey, int] = {}
    for i, d in enumerate(departments):
        for j, c in enumerate(CATEGORIES):
            for q_i, q in enumerate(quarters):
                if draws[i, j, q_i]:
                    counts[(d.department_id, c, q)] = int(draws[i, j, q_i])
    return counts


def signal_ledger(
    counts: dict[CellKey, int], departments: list[DepartmentFacts], rules: DisclosureRules,
    year: int, seed: int,
) -> list[Figure]:
    """Several banded signal releases: per quarter and cumulative windows, a few cells each."""
    rng = random.Random(seed)
    grouping = merge_departments(departments, rules)
    quarters = periods_of_year(year)
    ledger: list[Figure] = []
    windows = [[q] for q in quarters[:3]] + [quarters[:2], quarters[:3]]
    for window in windows:
        group_keys = rng.sample(list(grouping.groups), 6)
        for g in group_keys:
            category = rng.choice(CATEGORIES[:4])
            result = protect_table(
                counts, grouping, [category], window, rules, ledger, banded=True, groups=[g]
            )
            if result.ok:
                ledger.extend(result.released)
    return ledger


def median_time(action: Callable[[], object], runs: int, cold: bool) -> float:
    times = []
    for _ in range(runs):
        if cold:
            clear_cache()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    rules = DisclosureRules()
    year = 2026
    departments = organisation(args.seed)
    counts = case_counts(departments, args.cases, year, args.seed)
    grouping = merge_departments(departments, rules)
    ledger = signal_ledger(counts, departments, rules, year, args.seed)
    quarters = periods_of_year(year)

    def build() -> object:
        return protect_table(
            counts, grouping, CATEGORIES, quarters, rules, ledger,
            row_totals=True, column_totals=True, grand_total=True,
        )

    clear_cache()
    table = protect_table(
        counts, grouping, CATEGORIES, quarters, rules, ledger,
        row_totals=True, column_totals=True, grand_total=True,
    )
    release = table.released
    result = audit(release, ledger, counts, rules)
    assert result.ok == table.ok

    print(f"python {platform.python_version()} on {platform.machine()} {platform.system()}, "
          f"{platform.processor() or 'unknown cpu'}, os.cpu_count()={os.cpu_count()}")
    print(f"numpy {np.__version__}, scipy {scipy.__version__}")
    print(f"departments {len(departments)} -> groups {len(grouping.groups)}, categories "
          f"{len(CATEGORIES)}, quarters {len(quarters)}, case-category counts "
          f"{sum(counts.values())}")
    print(f"ledger figures {len(ledger)}, release figures {len(release)} "
          f"(primary {len(table.primary)}, complementary {len(table.complementary)}, "
          f"withheld {len(table.withheld)}), audit ok={result.ok}, "
          f"units checked {result.units_checked}")
    print(f"audit (cold)   median {median_time(lambda: audit(release, ledger, counts, rules), args.runs, True) * 1000:8.1f} ms")  # noqa: E501
    print(f"audit (warm)   median {median_time(lambda: audit(release, ledger, counts, rules), args.runs, False) * 1000:8.1f} ms")  # noqa: E501
    print(f"protect_table  median {median_time(build, max(1, args.runs // 2), True) * 1000:8.1f} ms")  # noqa: E501


if __name__ == "__main__":
    main()
