"""How useful are the released figures? (issue 12: disclosure control vs. a reader who knows it)

Disclosure control may only hide more when it has to; this benchmark counts what a manager gets
to see, for random but realistic organisations, through the real release path:

* **annual report** (``core.report.build_report``, as the service calls it): every cell of the
  department x category table and the organisation totals per category (section 3). A cell is
  counted as ``exact`` (a number), ``band`` (e.g. ``3-4``, ``10+``), ``< k``, ``k+``, ``x``
  (withheld) or ``refused`` (the department table replaced by a sentence: all its cells), and
  ``no breakdown`` when the organisation is too small for one (not a disclosure decision);
* **key figures** of that report: in how many organisations each is shown as a number (the
  rest are withheld, ``x``; issue 12);
* **quarterly signals** (``services.signals.reviewing.basis_of`` and ``audit_release``, the Flask-
  and database-free steps of ``services.signals.publishing.release``: refused when some band the
  candidate could have had would leak; a rise's rule goes to the ledger): for eight consecutive
  quarters every releasable candidate (concentration, rise) is offered for release against the
  ledger built so far; a release is ``released`` or ``refused``, and each released figure is counted
  like a report cell (a rise also shows the quarter before, often ``< k``).

Organisations: 60, seeded; 6-25 departments with headcounts like the demo data
(``services/demo/seed.py``: sub-departments of 6-45, divisions of 12-140, a few tiny teams that get
merged), 7 categories (``DEFAULT_CATEGORIES``), 4-12 cases a year per 100 employees (a
counsellor's realistic case load), skewed over departments (headcount x gamma) and categories
(Zipf-like), over two years.

Speed (issue 12 targets: annual table <= 1 s, a signal check <= 100 ms): ``protect_table`` for
the annual table of 50 departments x 7 categories with organisation totals (as the report
builds it), median seconds, caches cleared; and one signal release audit against a ledger that
holds that table and earlier signals, median ms (warm, as the service runs it).

Run: ``.venv/bin/python benchmarks/bench_disclosure_usefulness.py [--orgs 60] [--runs 5]``.
The output of one run before the issue 12 change is in the issue's notes for comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
from synthetic import realistic_organisation

from vp_registry.core.disclosure import (
    CellKey,
    DisclosureRules,
    Figure,
    RuleConstraint,
    clear_cache,
    merge_departments,
    periods_of_year,
    protect_table,
)
from vp_registry.core.facts import CaseFacts, DepartmentFacts
from vp_registry.core.report import ReportRefused, ReportTexts, build_report
from vp_registry.core.signals import CONCENTRATION, RISE, SignalCandidate
from vp_registry.core.taxonomy import DEFAULT_CATEGORIES
from vp_registry.services.signals import publishing, reviewing

CATEGORIES = list(DEFAULT_CATEGORIES)
YEAR = 2026
KINDS = ("exact", "band", "< k", "k+", "x", "refused", "no breakdown")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def realistic_cases(
    departments: Sequence[DepartmentFacts], rng: random.Random, years: Sequence[int]
) -> list[CaseFacts]:
    nrng = np.random.default_rng(rng.randrange(2**32))
    headcount = sum(d.headcount for d in departments)
    dept_w = np.array([max(d.headcount, 1) * nrng.gamma(0.8) for d in departments])
    dept_w /= dept_w.sum()
    cat_w = 1.0 / np.arange(1, len(CATEGORIES) + 1) ** 1.2
    cat_w /= cat_w.sum()
    rate = rng.uniform(0.04, 0.12)
    cases: list[CaseFacts] = []
    for year in years:
        for _ in range(int(nrng.poisson(rate * headcount))):
            dept = departments[int(nrng.choice(len(departments), p=dept_w))]
            n_cats = 1 if rng.random() < 0.8 else 2
            cats = tuple(dict.fromkeys(
                CATEGORIES[int(i)] for i in nrng.choice(len(CATEGORIES), n_cats, p=cat_w)))
            opened = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            cases.append(CaseFacts(len(cases) + 1, opened, None, dept.department_id, cats))
    return cases


def classify(display: str, k: int) -> str:
    text = display.strip()
    if text == "x":
        return "x"
    if text == f"< {k}":
        return "< k"
    if text == f"{k}+":
        return "k+"
    if text.isdigit():
        return "exact"
    return "band"


def annual_cells(
    departments: Sequence[DepartmentFacts], cases: Sequence[CaseFacts], rules: DisclosureRules,
    key_counts: Counter[str] | None = None, ledger: Sequence[Figure] = (),
) -> tuple[Counter[str], Counter[str]]:
    """(department table cells, organisation totals per category) of the year's report;
    ``key_counts`` counts the key figures shown as a number; ``ledger``: released before."""
    table_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    grouping = merge_departments(departments, rules)
    n_cells = len(grouping.groups) * len(CATEGORIES)
    categories = [(c, c) for c in CATEGORIES]
    try:
        report = build_report(YEAR, cases, departments, categories, [], [], {}, ReportTexts(),
                              rules, list(ledger), "en")
    except ReportRefused:
        table_counts["refused"] += n_cells
        total_counts["refused"] += len(CATEGORIES)
        return table_counts, total_counts
    if key_counts is not None:
        for key_row in report.table("key_figures").rows:
            if key_row.cells[0].display.isdigit():
                key_counts[" ".join(w for w in key_row.label.split() if not w.isdigit())] += 1
    section = report.section("departments")
    tables = [t for t in section.tables if t.key == "departments"]
    if tables:
        for row in tables[0].rows:
            for cell in row.cells:
                table_counts[classify(cell.display, rules.k)] += 1
    elif not grouping.breakdown_allowed:
        table_counts["no breakdown"] += len(CATEGORIES)
    else:
        table_counts["refused"] += n_cells
    for row in report.table("categories").rows:
        if not row.total:
            total_counts[classify(row.cells[0].display, rules.k)] += 1
    return table_counts, total_counts


VARIANTS = ("current", "year", "rise-after-small", "kplus")
"""Signal rules measured (docs/decisions.md, usefulness proposal 3): ``current``; ``year`` -
concentrations only at the 1 January review (the window is the calendar year of the annual
report); ``rise-after-small`` - a rise only when the quarter before is ``< k`` (its
alternatives: any band now, ``< k`` before); ``kplus`` - one band, ``k+``."""


def _variant_rules(rules: DisclosureRules, variant: str) -> DisclosureRules:
    return replace(rules, band_edges=(rules.k,)) if variant == "kplus" else rules


def _offered(candidate: SignalCandidate, today: date, rules: DisclosureRules,
             variant: str) -> bool:
    if not candidate.releasable:
        return False
    if variant == "year" and candidate.kind == CONCENTRATION:
        return today.month == 1
    if variant == "rise-after-small" and candidate.kind == RISE:
        return int(candidate.explanation_parts["previous_count"]) < rules.k
    return True


def _small_before_alternatives(published: publishing.Publication, rules: DisclosureRules,
                               ) -> list[tuple[Figure, ...]]:
    """``rise-after-small``: the quarter before is always ``< k``."""
    k = rules.k
    return [alt for alt in _ALTERNATIVES(published, rules)
            if published.kind != RISE or alt[1].interval == (0, k - 1)]


_ALTERNATIVES = publishing._alternatives


SILENCES = hasattr(reviewing, "review_answers")  # the held-slot rule (issue 12, session 6)


def signal_cells(
    departments: Sequence[DepartmentFacts], cases: list[CaseFacts], rules: DisclosureRules,
    variant: str = "current", ledger: list[Figure] | None = None,
    constraints: list[RuleConstraint] | None = None,
) -> tuple[Counter[str], Counter[str]]:
    """(released figures by kind, releases released/refused) over eight quarters; with the
    held-slot rule each review first puts its answers into the ledger (``ledger`` and
    ``constraints``, when given, are the ledger the caller keeps)."""
    figures: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    grouping = merge_departments(departments, rules)
    labels = {c: c for c in CATEGORIES}
    ledger = [] if ledger is None else ledger
    constraints = [] if constraints is None else constraints
    for year in (YEAR - 1, YEAR):
        for quarter in range(4):
            today = date(year + (quarter == 3), (quarter + 1) % 4 * 3 + 1, 1)
            seen = [c for c in cases if c.opened_on < today]
            basis = reviewing.basis_of(seen, grouping, rules, today, labels)
            if SILENCES:
                answers = reviewing.review_answers(basis, ledger, constraints)
                ledger.extend(answers.figures)
                outcomes["held slots"] += len(answers.held)
                outcomes["slots"] += len(reviewing.review_slots(basis))
            for candidate in basis.candidates:
                if not _offered(candidate, today, rules, variant):
                    continue
                published, result = publishing.audit_release(basis, candidate, ledger,
                                                             constraints)
                if not result.ok:
                    outcomes["refused"] += 1
                    continue
                outcomes["released"] += 1
                ledger.extend(published.figures)
                constraints.extend(published.constraints)
                for f in published.figures:
                    figures[classify(f.display, rules.k)] += 1
    return figures, outcomes


def median_times(action: Callable[[], object], runs: int,
                 prepare: Callable[[], object] | None = None) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return statistics.median(walls), statistics.median(cpus)


def speed(runs: int, seed: int) -> None:
    rules = DisclosureRules()
    rng = random.Random(seed)
    departments: list[DepartmentFacts] = []
    for i in range(50):
        departments.append(DepartmentFacts(i + 1, f"Afdeling {i + 1}",
                                           rng.choice([12, 18, 24, 38, 45, 65, 140])))
    cases = realistic_cases(departments, rng, [YEAR])
    # a busier organisation than the usefulness sample: about 10,000 cases a year
    while len(cases) < 10_000:
        cases += realistic_cases(departments, rng, [YEAR])
    counts: Counter[CellKey] = Counter()
    for case in cases:
        for c in case.categories:
            counts[(case.department_id, c, f"{YEAR}-Q{(case.opened_on.month - 1) // 3 + 1}")] += 1
    grouping = merge_departments(departments, rules)
    quarters = periods_of_year(YEAR)

    def table() -> object:
        return protect_table(dict(counts), grouping, CATEGORIES, quarters, rules,
                             column_totals=True)

    wall, cpu = median_times(table, runs, clear_cache)
    ledger = list(protect_table(dict(counts), grouping, CATEGORIES, quarters, rules,
                                column_totals=True).released)
    labels = {c: c for c in CATEGORIES}
    basis = reviewing.basis_of(cases, grouping, rules, date(YEAR + 1, 1, 1), labels)
    releasable = [c for c in basis.candidates if c.releasable]
    constraints: list[RuleConstraint] = []
    for candidate in releasable[:10]:  # some earlier signals in the ledger
        published, result = publishing.audit_release(basis, candidate, ledger, constraints)
        if result.ok:
            ledger.extend(published.figures)
            constraints.extend(published.constraints)
    last = releasable[10]

    def signal_check() -> object:  # the service's check: every band the candidate could have
        return publishing.audit_release(basis, last, ledger, constraints)

    signal_check()  # warm, as in the service: the ledger's parts were audited just before
    s_wall, s_cpu = median_times(signal_check, runs)
    print(f"annual table 50 departments x 7 categories ({len(cases)} cases), cold: "
          f"median {wall:.3f} s wall, {cpu:.3f} s CPU (target <= 1 s)")
    print(f"signal check against a ledger of {len(ledger)} figures, warm: "
          f"median {s_wall * 1000:.1f} ms wall, {s_cpu * 1000:.1f} ms CPU (target <= 100 ms)")
    if SILENCES:
        speed_silences(runs, departments, cases, dict(counts))


def speed_silences(runs: int, departments: Sequence[DepartmentFacts], cases: list[CaseFacts],
                   counts: dict[CellKey, int]) -> None:
    """The held-slot rule's costs (issue 12): one review's answers (50 x 7 slots) against
    the four reviews before it, and the annual table against a year of review answers."""
    rules = DisclosureRules()
    labels = {c: c for c in CATEGORIES}
    grouping = merge_departments(departments, rules)
    ledger: list[Figure] = []
    reviews = [date(YEAR, 4, 1), date(YEAR, 7, 1), date(YEAR, 10, 1), date(YEAR + 1, 1, 1)]
    for day in reviews[:-1]:
        basis = reviewing.basis_of([c for c in cases if c.opened_on < day], grouping, rules,
                                   day, labels)
        ledger += reviewing.review_answers(basis, ledger).figures
    basis = reviewing.basis_of(cases, grouping, rules, reviews[-1], labels)

    def review() -> object:
        return reviewing.review_answers(basis, ledger)

    r_wall, r_cpu = median_times(review, max(1, runs // 2), clear_cache)
    ledger += reviewing.review_answers(basis, ledger).figures

    def table() -> object:
        return protect_table(counts, grouping, CATEGORIES, periods_of_year(YEAR), rules,
                             ledger, column_totals=True)

    t_wall, t_cpu = median_times(table, max(1, runs // 2), clear_cache)
    shown = table()
    exact = sum(1 for key, f in shown.figures.items()  # type: ignore[attr-defined]
                if key[0] == "*" and f.is_exact)
    print(f"review answers, 50 departments x 7 categories against {len(ledger)} earlier "
          f"answers, cold: median {r_wall:.2f} s wall, {r_cpu:.2f} s CPU")
    print(f"annual table against those answers, cold: median {t_wall:.2f} s wall, "
          f"{t_cpu:.2f} s CPU ({exact} of 7 category totals exact)")


def row(name: str, counts: Counter[str]) -> str:
    total = sum(counts.values()) or 1
    cells = "".join(f"{counts[k]:>7} {100 * counts[k] / total:5.1f}%" for k in KINDS)
    return f"{name:<28}{cells}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orgs", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--min-department-size", type=int, default=None,
                        help="proposal 2: fewer, coarser groups fixed in advance")
    parser.add_argument("--timeline", action="store_true",
                        help="build the report after the eight reviews, against their ledger "
                             "(signals and, with the held-slot rule, the reviews' answers)")
    parser.add_argument("--signals", choices=VARIANTS, default="current",
                        help="signal rules to measure (usefulness proposal 3)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}")
    rules = DisclosureRules()
    if args.min_department_size is not None:
        rules = replace(rules, min_department_size=args.min_department_size)
        print(f"min_department_size: {rules.min_department_size}")
    if args.signals == "rise-after-small":
        publishing._alternatives = _small_before_alternatives  # type: ignore[assignment]
    print(f"signal rules: {args.signals}")
    table_total: Counter[str] = Counter()
    org_total: Counter[str] = Counter()
    signal_total: Counter[str] = Counter()
    outcome_total: Counter[str] = Counter()
    key_total: Counter[str] = Counter()
    n_cases = 0
    start = time.perf_counter()
    for i in range(args.orgs):
        rng = random.Random(args.seed * 1000 + i)
        departments = realistic_organisation(rng)
        cases = realistic_cases(departments, rng, [YEAR - 1, YEAR])
        n_cases += len(cases)
        clear_cache()
        ledger: list[Figure] = []
        if not args.timeline:
            table, totals = annual_cells(departments, cases, rules, key_total)
            clear_cache()
        figures, outcomes = signal_cells(departments, cases,
                                         _variant_rules(rules, args.signals), args.signals,
                                         ledger)
        if args.timeline:  # the 2026 report on 15 January 2027, after the eight reviews
            table, totals = annual_cells(departments, cases, rules, key_total, ledger)
        table_total += table
        org_total += totals
        signal_total += figures
        outcome_total += outcomes
    elapsed = time.perf_counter() - start
    print(f"{args.orgs} organisations, {n_cases} cases over two years, k={rules.k} "
          f"({elapsed:.1f} s)")
    print(f"{'':<28}" + "".join(f"{k:>14}" for k in KINDS))
    print(row("annual: department cells", table_total))
    print(row("annual: category totals", org_total))
    print(row("signals: released figures", signal_total))
    print("annual: key figures shown as a number, organisations out of "
          f"{args.orgs}: " + ", ".join(f"{name} {n}" for name, n in sorted(key_total.items())))
    released, refused = outcome_total["released"], outcome_total["refused"]
    print(f"signal releases: {released} released, {refused} refused "
          f"({100 * refused / max(released + refused, 1):.1f}% refused)")
    if SILENCES:
        print(f"review slots held: {outcome_total['held slots']} of {outcome_total['slots']}")
    if not args.no_speed:
        speed(args.runs, args.seed)


if __name__ == "__main__":
    main()
