"""Benchmark of disclosure control on a synthetic organisation (DESIGN section 4).

50 departments (a few small ones are merged), 7 categories, 4 quarters, about 10,000 cases with
a skewed spread so that many cells are small. The ledger holds several signal releases (banded
single cells for single quarters and cumulative windows); then the annual report's department
table (cells and organisation totals per category, no row or grand totals - the shape
``core/report.py`` releases, protected column by column from public facts, issue 12) is
protected against it. Prints median wall times over a few runs:

* ``audit (cold)``: one audit of the final annual release against the ledger, caches cleared;
* ``audit (warm)``: the same audit again (the service layer audits right before releasing);
* ``protect_table``: building the annual table including the column rule and its audit.

A second scenario measures signal releases *after* an annual table: last year's table (the
report's shape, via ``protect_table``) is in the ledger, then 30 signal releases
(banded group x category figures over a trailing year or, for a rise, two single quarters) are
audited and appended one after another; then one more signal release is audited:

* ``signal audit (next)``: as the service runs it - the previous release was audited just
  before (its cached parts are warm), the new figures make a new constraint set;
* ``signal audit (cold)``: the same audit with all caches cleared (e.g. after a restart);
* ``signal check (every band)``: what ``services.signals.publishing.audit_release`` runs for
  that release - the audit of its true bands, then one audit per other band (or pair of bands,
  for a rise, with the rise's rule) the candidate could have had, stopping at the first that
  leaks (issue 12: a refusal must not depend on the true band); warm like ``next``.

The organisation-wide totals join every department into one part of the constraint system, so
every signal release re-checks all small units of the annual table (about 2,000 of some
20,000). Wall-clock medians and CPU time (``time.process_time``) are printed; the machine may
be shared, so compare CPU times.

A third scenario is a year of real life with the held-slot rule (issue 12, session 7): an
organisation of ``G`` departments (none merged) x 7 categories with a realistic case load
(4-12 cases a year per 100 employees, skewed over departments and categories) over 2025 and
2026. At every quarter start of 2026 and on 1 January 2027 the review's answers go into the
ledger (``reviewing.review_answers``, kind 'review'), then every releasable candidate is
checked as the service does (``publishing.audit_release``: every band) and released when
allowed; on 15 January 2027 the 2026 department table is protected against that ledger and
its rules (``protect_table``, as the report builds it). Printed per ``G`` (``--timeline``,
default 10 and 50): CPU seconds of each review's answers, the signal checks (median and
maximum), and the annual table.

Run: ``.venv/bin/python benchmarks/bench_disclosure.py [--runs N] [--cases N] [--timeline 10,50]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import scipy
from synthetic import organisation

from vp_registry.core.disclosure import (
    CellKey,
    DepartmentGrouping,
    DisclosureRules,
    Figure,
    RuleConstraint,
    audit,
    cell_set,
    clear_cache,
    merge_departments,
    period_label,
    periods_of_year,
    protect_table,
    tables,
    trailing_quarters,
)
from vp_registry.core.facts import CaseFacts, DepartmentFacts
from vp_registry.core.taxonomy import DEFAULT_CATEGORIES
from vp_registry.services.signals import publishing, reviewing

CATEGORIES = list(DEFAULT_CATEGORIES)


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
    return median_times(action, runs, clear_cache if cold else None)[0]


def median_times(
    action: Callable[[], object], runs: int, prepare: Callable[[], object] | None = None
) -> tuple[float, float, float]:
    """Median wall time, median CPU time (process_time) and maximum wall time of ``action``."""
    walls, cpus = [], []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return statistics.median(walls), statistics.median(cpus), max(walls)


def signal_releases(
    counts: dict[CellKey, int], grouping: DepartmentGrouping, rules: DisclosureRules,
    year: int, last_quarter: int, n: int, seed: int,
) -> list[list[Figure]]:
    """``n`` signal releases in random order, built like ``signals.publication``.

    Concentration: the band of a group x category over the trailing four quarters ending at
    ``year``-Q``last_quarter``, when it holds at least k cases. Rise: the bands of the last
    quarter and the one before, when the last holds at least k and at least twice as many.
    """
    k = rules.k
    window = trailing_quarters(f"{year}-Q{last_quarter}", 4)
    last, before = window[-1], window[-2]

    def band(group_ids: frozenset[int], label: str, category: str,
             quarters: list[str]) -> tuple[Figure, int]:
        cells = cell_set(group_ids, [category], quarters)
        value = sum(counts.get(c, 0) for c in cells)
        return Figure.band(cells, value, rules,
                           f"{label} · {category} · {period_label(quarters)}"), value

    releases: list[list[Figure]] = []
    for group in grouping.groups.values():
        for category in CATEGORIES:
            main, value = band(group.department_ids, group.label, category, window)
            if value >= k:
                releases.append([main])
            now, now_value = band(group.department_ids, group.label, category, [last])
            prev, prev_value = band(group.department_ids, group.label, category, [before])
            if now_value >= k and now_value >= 2 * max(prev_value, 1):
                releases.append([now, prev])
    random.Random(seed).shuffle(releases)
    return releases[:n]


def every_band(figures: list[Figure], rules: DisclosureRules) -> list[tuple[list[Figure],
                                                                            list[RuleConstraint]]]:
    """The figure sets (with their rules) the release could have had, as
    ``services.signals.publishing._alternatives`` builds them: a concentration any band from k;
    a rise any band from k now and ``< k`` or a band before with which it can still be a rise."""
    k, edges = rules.k, rules.band_edges
    bands: list[tuple[int, int | None]] = [
        (low, nxt - 1) for low, nxt in pairwise(edges)] + [(edges[-1], None)]
    if len(figures) == 1:
        return [([replace(figures[0], low=low, high=high)], []) for low, high in bands]
    now, before = figures
    out: list[tuple[list[Figure], list[RuleConstraint]]] = []
    for now_low, now_high in bands:
        for b_low, b_high in [(0, k - 1), *bands]:
            if now_high is not None and (now_high < 2 * b_low or now_high - b_low < 2):
                continue
            pair = [replace(now, low=now_low, high=now_high),
                    replace(before, low=b_low, high=b_high)]
            out.append((pair, list(RuleConstraint.rise(pair[0], pair[1]))))
    return out


def check_every_band(figures: list[Figure], ledger: list[Figure], counts: dict[CellKey, int],
                     rules: DisclosureRules) -> bool:
    """``audit_release``'s decision: the true bands, then every other band until one leaks."""
    rule = list(RuleConstraint.rise(figures[0], figures[1])) if len(figures) == 2 else []
    if not audit(figures, ledger, counts, rules, constraints=rule).ok:
        return False
    for alternative, constraints in every_band(figures, rules):
        if alternative == figures:
            continue
        result = audit(alternative, ledger, counts, rules, constraints=constraints)
        if any(p.kind == "disclosure" for p in result.problems):
            return False
    return True


def annual_then_signals(args: argparse.Namespace) -> None:
    """Last year's annual table in the ledger, 30 signal releases, then one more signal audit."""
    rules = DisclosureRules()
    year = 2026
    departments = organisation(args.seed)
    counts = case_counts(departments, args.cases // 2, year - 1, args.seed)
    counts.update(case_counts(departments, args.cases - args.cases // 2, year, args.seed + 1))
    grouping = merge_departments(departments, rules)

    clear_cache()
    start, start_cpu = time.perf_counter(), time.process_time()
    table = protect_table(
        counts, grouping, CATEGORIES, periods_of_year(year - 1), rules,
        column_totals=True,
    )
    table_wall, table_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    ledger: list[Figure] = list(table.released)
    releases = signal_releases(counts, grouping, rules, year, 3, args.signals + 1, args.seed)
    if len(releases) < 2:
        print("too few signal candidates for this scenario; use more --cases")
        return
    refused = 0
    audits: list[float] = []
    before_previous: list[Figure] = []
    for figures in releases[:-1]:
        before_previous = list(ledger)
        start = time.perf_counter()
        result = audit(figures, ledger, counts, rules)
        audits.append(time.perf_counter() - start)
        if result.ok:
            ledger.extend(figures)
        else:
            refused += 1
    previous, upcoming = releases[-2], releases[-1]
    result = audit(upcoming, ledger, counts, rules)

    def service_state() -> None:
        clear_cache()
        audit(previous, before_previous, counts, rules)

    def next_audit() -> object:
        return audit(upcoming, ledger, counts, rules)

    def next_check() -> object:
        return check_every_band(upcoming, ledger, counts, rules)

    signal_median = statistics.median(audits) if audits else 0.0
    print(f"annual table {year - 1} (ok={table.ok}, {len(table.released)} figures, "
          f"complementary {len(table.complementary)}): protect_table {table_wall * 1000:.1f} ms "
          f"wall, {table_cpu * 1000:.1f} ms CPU; then {len(releases) - 1} signal releases "
          f"audited one after another: median {signal_median * 1000:.1f} ms, "
          f"max {max(audits, default=0.0) * 1000:.1f} ms, {refused} refused")
    print(f"ledger {len(ledger)} figures; one more signal release "
          f"({', '.join(f.display for f in upcoming)}): ok={result.ok}, "
          f"units checked {result.units_checked}")
    for name, prepare in (("next", service_state), ("cold", clear_cache)):
        wall, cpu, worst = median_times(next_audit, args.runs, prepare)
        print(f"signal audit ({name}) median {wall * 1000:8.1f} ms wall, "
              f"{cpu * 1000:8.1f} ms CPU, max {worst * 1000:8.1f} ms wall")
    wall, cpu, worst = median_times(next_check, args.runs, service_state)
    print(f"signal check (every band, {len(every_band(upcoming, rules))} sets, "
          f"released={next_check()}) median {wall * 1000:8.1f} ms wall, "
          f"{cpu * 1000:8.1f} ms CPU, max {worst * 1000:8.1f} ms wall")


def timeline_organisation(n_groups: int, seed: int
                          ) -> tuple[list[DepartmentFacts], list[CaseFacts]]:
    """``n_groups`` departments of 12-140 employees (none merged) and a realistic case load
    over 2025-2026: 4-12 cases a year per 100 employees, skewed over departments (headcount x
    gamma) and categories (Zipf-like), one category in 80 % of the cases, else two."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    departments = [DepartmentFacts(i + 1, f"Afdeling {i + 1}",
                                   rng.choice([12, 18, 24, 38, 45, 65, 140]))
                   for i in range(n_groups)]
    weights = np.array([d.headcount * nrng.gamma(0.8) for d in departments])
    weights /= weights.sum()
    cat_w = 1.0 / np.arange(1, len(CATEGORIES) + 1) ** 1.2
    cat_w /= cat_w.sum()
    rate = rng.uniform(0.04, 0.12)
    headcount = sum(d.headcount for d in departments)
    cases: list[CaseFacts] = []
    for year in (2025, 2026):
        for _ in range(int(nrng.poisson(rate * headcount))):
            dept = departments[int(nrng.choice(len(departments), p=weights))]
            n_cats = 1 if rng.random() < 0.8 else 2
            cats = tuple(dict.fromkeys(
                CATEGORIES[int(i)] for i in nrng.choice(len(CATEGORIES), n_cats, p=cat_w)))
            opened = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            cases.append(CaseFacts(len(cases) + 1, opened, None, dept.department_id, cats))
    return departments, cases


def _cpu(action: Callable[[], object]) -> tuple[float, object]:
    start = time.process_time()
    result = action()
    return time.process_time() - start, result


def review_timeline(n_groups: int, seed: int) -> None:
    """A year of quarterly reviews' answers, signal releases and the annual table (issue 12,
    the held-slot rule), one cold cache per organisation; CPU seconds."""
    rules = DisclosureRules()
    departments, cases = timeline_organisation(n_groups, seed)
    grouping = merge_departments(departments, rules)
    labels = {c: c for c in CATEGORIES}
    clear_cache()
    ledger: list[Figure] = []
    constraints: list[RuleConstraint] = []
    review_cpu: list[str] = []
    checks: list[float] = []
    held = slots = released = 0
    for day in (date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1),
                date(2027, 1, 1)):
        basis = reviewing.basis_of([c for c in cases if c.opened_on < day], grouping, rules,
                                   day, labels)
        cpu, answered = _cpu(lambda b=basis: reviewing.review_answers(b, ledger, constraints))
        assert isinstance(answered, reviewing.ReviewAnswers)
        warm, _ = _cpu(lambda b=basis: reviewing.review_answers(b, ledger, constraints))
        rises = getattr(answered, "rises", ())  # session 8 (getattr: older snapshots)
        review_cpu.append(f"{day:%Y-%m-%d} {cpu:.2f} s, again {warm:.2f} s "
                          f"({len(answered.held)} held, {len(rises)} rise slots held)")
        ledger.extend(answered.figures)
        constraints.extend(getattr(answered, "constraints", ()))  # the rise answers
        held += len(answered.held)
        slots += len(reviewing.review_slots(basis))
        for candidate in basis.candidates:
            if not candidate.releasable:
                continue
            cpu, outcome = _cpu(lambda b=basis, c=candidate: publishing.audit_release(
                b, c, ledger, constraints))
            published, result = outcome  # type: ignore[misc]
            checks.append(cpu)
            if result.ok:
                released += 1
                ledger.extend(published.figures)
                constraints.extend(published.constraints)
    cpu, table = _cpu(lambda: protect_table(
        reviewing.atom_counts(cases), grouping, CATEGORIES, periods_of_year(2026), rules,
        ledger, column_totals=True, constraints=constraints))
    shown = [f for key, f in table.figures.items()  # type: ignore[attr-defined]
             if key[0] == "*" and f.is_exact]
    print(f"timeline {n_groups} departments x {len(CATEGORIES)} categories, {len(cases)} cases "
          f"2025-2026: {held} of {slots} review slots held, {released} of {len(checks)} "
          f"signals released, ledger {len(ledger)} figures")
    print("  review answers (CPU; again: the same review once more, as a second GET "
          "preview computes it): " + "; ".join(review_cpu))
    print(f"  signal check (CPU, audit_release): median {statistics.median(checks or [0]) * 1000:.1f} ms, "  # noqa: E501
          f"max {max(checks, default=0.0) * 1000:.1f} ms (target <= 100 ms)")
    print(f"  annual table 2026 against that ledger (CPU): {cpu:.2f} s, ok={table.ok}, "  # type: ignore[attr-defined]
          f"{len(shown)} of {len(CATEGORIES)} category totals exact (target <= 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--signals", type=int, default=30,
                        help="signal releases in the ledger before the measured one")
    parser.add_argument("--timeline", default="10,50",
                        help="department counts of the review timeline ('' to skip)")
    parser.add_argument("--only-timeline", action="store_true")
    parser.add_argument("--max-audited-groups", type=int, default=None,
                        help="the table's cap on bounded groups per audited total")
    args = parser.parse_args()
    if args.max_audited_groups is not None:
        tables.MAX_AUDITED_GROUPS = args.max_audited_groups  # type: ignore[misc]
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f}")
    if args.only_timeline:
        for n in filter(None, args.timeline.split(",")):
            review_timeline(int(n), args.seed)
        return

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
            column_totals=True,
        )

    clear_cache()
    table = protect_table(
        counts, grouping, CATEGORIES, quarters, rules, ledger,
        column_totals=True,
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
    wall, cpu, _ = median_times(build, max(1, args.runs // 2), clear_cache)
    print(f"protect_table  median {wall * 1000:8.1f} ms wall, {cpu * 1000:8.1f} ms CPU")
    print()
    annual_then_signals(args)
    print()
    for n in filter(None, args.timeline.split(",")):
        review_timeline(int(n), args.seed)


if __name__ == "__main__":
    main()
