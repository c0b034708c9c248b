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
* **the current pipeline** (issue 12, session 7), in the order of real life over 2025-2026:
  at every quarter start a review (``services.signals.reviewing.review_answers``: each held
  slot's ``< k`` / ``k+`` answer goes to the ledger), then every offered candidate through
  ``services.signals.publishing.audit_release`` (refused when some band it could have had
  would leak; a rise's rule goes to the ledger); the 2025 report on 15 January 2026 and the
  2026 report on 15 January 2027, each built against the ledger (the per-value audit of
  bounded totals) and audited as ``finalise`` does, its figures joining the ledger. The 2026
  report is counted; each released signal figure is counted like a report cell.
* **before** (``--before SNAPSHOT``): the session-4 pipeline of ``ad34ea5`` (``git archive
  ad34ea5 | tar -x -C SNAPSHOT``), run from that snapshot on the same organisations: the
  report against an empty ledger, every releasable candidate audited for its true band.

Organisations: 60, seeded; 3-15 departments (``synthetic.sized_organisation``: divisions of
7-140, sub-departments of 6-45, teams of 3-12 employees like the demo data; ``--shape legacy``:
sessions 4-6's 2-34 departments), 7 categories (``DEFAULT_CATEGORIES``), 4-12 cases a year per
100 employees, skewed over departments (headcount x gamma) and categories (Zipf-like), over two
years. Organisations run in ``--workers`` processes (default 2); the CPU time per
organisation is the worker's. Variants (usefulness proposals): ``--reviews yearly|shifted|none``,
``--min-department-size N``.

Speed (issue 12 targets: annual table <= 1 s, a signal check <= 100 ms): ``protect_table`` for
the annual table of 50 departments x 7 categories with organisation totals, median seconds,
caches cleared; and one signal release audit against a ledger that holds that table and
earlier signals, median ms (warm). The review answers' and the per-value audit's speed at
10 x 7 and 50 x 7: ``bench_disclosure.py``.

Run: ``.venv/bin/python benchmarks/bench_disclosure_usefulness.py [--orgs 60] [--runs 5]
[--before SNAPSHOT]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import numpy as np
from synthetic import realistic_organisation, sized_organisation

from vp_registry.core.disclosure import (
    CellKey,
    DisclosureRules,
    Figure,
    RuleConstraint,
    audit,
    clear_cache,
    merge_departments,
    periods_of_year,
    protect_table,
)
from vp_registry.core.facts import CaseFacts, DepartmentFacts
from vp_registry.core.report import (
    AnnualReport,
    FrozenAggregates,
    ReportRefused,
    ReportTexts,
    build_report,
    report_true_counts,
)
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


def row(name: str, counts: Counter[str]) -> str:
    total = sum(counts.values()) or 1
    cells = "".join(f"{counts[k]:>7} {100 * counts[k] / total:5.1f}%" for k in KINDS)
    return f"{name:<28}{cells}"


def final_report(year: int, cases: Sequence[CaseFacts], departments: Sequence[DepartmentFacts],
                 rules: DisclosureRules, ledger: list[Figure], constraints: list[RuleConstraint],
                 previous: dict[int, FrozenAggregates], key_counts: Counter[str] | None,
                 ) -> tuple[Counter[str], Counter[str]]:
    """The final report of ``year`` on 15 January of the next year, as
    ``services.reports.finalising.finalise`` makes it: built against the ledger (the reviews'
    answers and the released signals and reports), audited with the ledger's rules; released,
    its figures join the ledger and its aggregates the later reports' trends."""
    today = date(year + 1, 1, 15)
    seen = [c for c in cases if c.opened_on < today]
    try:
        report = build_report(year, seen, departments, [(c, c) for c in CATEGORIES], [], [],
                              dict(previous), ReportTexts(), rules, list(ledger), "en",
                              draft=False, issued_on=today,
                              constraints=list(constraints))  # as finalising passes them
    except ReportRefused:
        report = None
    if report is not None and not audit(report.figures, ledger,
                                        report_true_counts(year, seen), rules,
                                        constraints=constraints).ok:
        report = None  # the safety stop: the report is refused
    grouping = merge_departments(departments, rules)
    if report is None:
        return (Counter({"refused": len(grouping.groups) * len(CATEGORIES)}),
                Counter({"refused": len(CATEGORIES)}))
    ledger.extend(report.figures)
    previous[year] = report.aggregates
    return report_cells(report, grouping, rules, key_counts)


def report_cells(report: AnnualReport, grouping: Any, rules: DisclosureRules,
                 key_counts: Counter[str] | None) -> tuple[Counter[str], Counter[str]]:
    table_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    if key_counts is not None:
        for key_row in report.table("key_figures").rows:
            if key_row.cells[0].display.isdigit():
                key_counts[" ".join(w for w in key_row.label.split() if not w.isdigit())] += 1
    tables = [t for t in report.section("departments").tables if t.key == "departments"]
    if tables:
        for table_row in tables[0].rows:
            for cell in table_row.cells:
                table_counts[classify(cell.display, rules.k)] += 1
    elif not grouping.breakdown_allowed:
        table_counts["no breakdown"] += len(CATEGORIES)
    else:
        table_counts["refused"] += len(grouping.groups) * len(CATEGORIES)
    for total_row in report.table("categories").rows:
        if not total_row.total:
            total_counts[classify(total_row.cells[0].display, rules.k)] += 1
    return table_counts, total_counts


def review_days(cadence: str) -> list[date]:
    """The review days over 2025-2026 (their windows: the four quarters before each)."""
    quarter_starts = [date(YEAR - 1 + (m == 1 and i > 0), m, 1)
                      for i, m in enumerate((4, 7, 10, 1))]
    starts = quarter_starts + [d.replace(year=d.year + 1) for d in quarter_starts]
    if cadence == "none":
        return []
    if cadence == "yearly":
        return [d for d in starts if d.month == 1]
    if cadence == "shifted":  # a month into each quarter: the 1 February review after the report
        return [d.replace(month=d.month + 1) for d in starts]
    return starts


def review(basis: reviewing.SignalBasis, ledger: list[Figure],
           constraints: list[RuleConstraint], out: dict[str, Counter[str]],
           k: int) -> None:
    """One review: its answers into the ledger, then every offered candidate released or
    refused (``out``: the counters)."""
    answers = reviewing.review_answers(basis, ledger, constraints)
    ledger.extend(answers.figures)
    # a rise slot's answer (session 8; getattr: the same bench runs on older snapshots)
    constraints.extend(getattr(answers, "constraints", ()))
    out["outcomes"]["held slots"] += len(answers.held)
    out["outcomes"]["held rise slots"] += len(getattr(answers, "rises", ()))
    out["outcomes"]["slots"] += len(reviewing.review_slots(basis))
    offered = reviewing.offered(basis.candidates, answers)
    for candidate in basis.candidates:
        if candidate.releasable:
            out["outcomes"][f"candidates {candidate.kind}"] += 1
    for candidate in offered:
        if not candidate.releasable:
            continue
        published, result = publishing.audit_release(basis, candidate, ledger, constraints)
        if not result.ok:
            out["outcomes"]["refused"] += 1
            out["outcomes"][f"refused {candidate.kind}"] += 1
            continue
        out["outcomes"]["released"] += 1
        out["outcomes"][f"released {candidate.kind}"] += 1
        ledger.extend(published.figures)
        constraints.extend(published.constraints)
        for f in published.figures:
            out["signals"][classify(f.display, k)] += 1


def pipeline(departments: Sequence[DepartmentFacts], cases: list[CaseFacts],
             rules: DisclosureRules, cadence: str = "quarterly") -> dict[str, Counter[str]]:
    """The current pipeline over two years, in the order of real life: the reviews
    (:func:`review_days`; quarterly: 1 April 2025 .. 1 January 2027), each recording its
    answers, then every offered candidate; the 2025 report on 15 January 2026 and the 2026
    report on 15 January 2027 between them (the 2026 report is counted, as before).
    ``cadence`` (usefulness proposals): "yearly" - only the 1 January reviews (the window is
    the report's year); "shifted" - a month into each quarter, so the review whose window is
    the calendar year comes after that year's report; "none" - no signals, the reports only."""
    grouping = merge_departments(departments, rules)
    labels = {c: c for c in CATEGORIES}
    ledger: list[Figure] = []
    constraints: list[RuleConstraint] = []
    previous: dict[int, FrozenAggregates] = {}
    out = {name: Counter[str]() for name in ("table", "totals", "signals", "outcomes", "keys")}
    events = [(day, "review") for day in review_days(cadence)]
    events += [(date(year + 1, 1, 15), "report") for year in (YEAR - 1, YEAR)]
    for today, event in sorted(events):
        if event == "review":
            seen = [c for c in cases if c.opened_on < today]
            review(reviewing.basis_of(seen, grouping, rules, today, labels), ledger,
                   constraints, out, rules.k)
            continue
        year = today.year - 1
        table, totals = final_report(year, cases, departments, rules, ledger, constraints,
                                     previous, out["keys"] if year == YEAR else None)
        if year == YEAR:
            out["table"], out["totals"] = table, totals
    return out


def organisation_of(i: int, seed: int, shape: str) -> tuple[list[DepartmentFacts],
                                                            list[CaseFacts]]:
    rng = random.Random(seed * 1000 + i)
    departments = (realistic_organisation(rng) if shape == "legacy"
                   else sized_organisation(rng))
    return departments, realistic_cases(departments, rng, [YEAR - 1, YEAR])


def one_organisation(task: tuple[int, int, str, int | None, str]) -> dict[str, Any]:
    """One organisation through the current pipeline (a worker process): its counters, CPU."""
    i, seed, shape, min_size, cadence = task
    rules = DisclosureRules()
    if min_size is not None:
        rules = replace(rules, min_department_size=min_size)
    departments, cases = organisation_of(i, seed, shape)
    clear_cache()
    started = time.process_time()
    out = pipeline(departments, cases, rules, cadence)
    return {"org": i, "cases": len(cases), "departments": len(departments),
            "groups": len(merge_departments(departments, rules).groups),
            "cpu": time.process_time() - started, **{k: dict(v) for k, v in out.items()}}


BEFORE = r"""
import importlib.util, json, random, sys, time
snapshot, here, seed, shape, first, step, orgs = sys.argv[1:8]
sys.path[:0] = [snapshot, here]
from synthetic import realistic_organisation, sized_organisation
spec = importlib.util.spec_from_file_location(
    "before", snapshot + "/benchmarks/bench_disclosure_usefulness.py")
old = importlib.util.module_from_spec(spec)
spec.loader.exec_module(old)
rules = old.DisclosureRules()
for i in range(int(first), int(orgs), int(step)):
    rng = random.Random(int(seed) * 1000 + i)
    departments = (realistic_organisation if shape == "legacy" else sized_organisation)(rng)
    cases = old.realistic_cases(departments, rng, [old.YEAR - 1, old.YEAR])
    started = time.process_time()
    old.clear_cache()
    table, totals = old.annual_cells(departments, cases, rules)
    old.clear_cache()
    signals, outcomes = old.signal_cells(departments, cases, rules)
    print(json.dumps({"org": i, "cases": len(cases), "departments": len(departments),
                      "cpu": time.process_time() - started, "table": table, "totals": totals,
                      "signals": signals, "outcomes": outcomes, "keys": {}}), flush=True)
"""
"""The session-4 pipeline (before issue 12: the report against an empty ledger, every
releasable candidate audited for its true band only), run from a snapshot of its commit
(``git archive ad34ea5``) with this benchmark's organisations, one process per worker."""


BEFORE_COMMIT = "ad34ea5"


def before_snapshot(option: str, folder: str) -> str | None:
    """The snapshot folder of the session-4 pipeline (``auto``: archived from git here)."""
    if option == "none":
        return None
    if option != "auto":
        return option
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    archive = subprocess.run(["git", "-C", top, "archive", BEFORE_COMMIT],
                             capture_output=True, check=False)
    if archive.returncode:
        print(f"before: skipped (no commit {BEFORE_COMMIT} here)")
        return None
    subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
    return folder


def run_before(snapshot: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    here = os.path.dirname(os.path.abspath(__file__))
    workers = [subprocess.Popen(
        [sys.executable, "-c", BEFORE, snapshot, here, str(args.seed), args.shape, str(w),
         str(args.workers), str(args.orgs)], stdout=subprocess.PIPE, text=True)
        for w in range(args.workers)]
    results = []
    for worker in workers:
        out, _ = worker.communicate()
        if worker.returncode:
            raise SystemExit(f"the before pipeline failed ({worker.returncode})")
        results += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return results


def summary(title: str, results: list[dict[str, Any]], orgs: int, k: int,
            wall: float) -> None:
    total: dict[str, Counter[str]] = {name: Counter() for name in
                                      ("table", "totals", "signals", "outcomes", "keys")}
    for result in results:
        for name in total:
            total[name] += Counter(result[name])
    cpu = [r["cpu"] for r in results]
    print(f"== {title}: {len(results)} organisations ({sum(r['cases'] for r in results)} "
          f"cases over two years, {min(r['departments'] for r in results)}-"
          f"{max(r['departments'] for r in results)} departments), k={k}: {wall:.0f} s wall, "
          f"{sum(cpu):.0f} s CPU (median {statistics.median(cpu):.1f} s, max {max(cpu):.1f} s "
          f"per organisation)")
    print(f"{'':<28}" + "".join(f"{name:>14}" for name in KINDS))
    print(row("annual: department cells", total["table"]))
    print(row("annual: category totals", total["totals"]))
    print(row("signals: released figures", total["signals"]))
    if total["keys"]:
        print("annual: key figures shown as a number, organisations out of "
              f"{orgs}: " + ", ".join(f"{n} {c}" for n, c in sorted(total["keys"].items())))
    released, refused = total["outcomes"]["released"], total["outcomes"]["refused"]
    print(f"signal releases: {released} released, {refused} refused "
          f"({100 * refused / max(released + refused, 1):.1f}% refused)")
    outcomes = total["outcomes"]
    for kind in ("concentration", "rise"):
        found, out, no = (outcomes[f"{what} {kind}"]
                          for what in ("candidates", "released", "refused"))
        print(f"  {kind}: {found} candidates, {out} released, {no} refused, "
              f"{found - out - no} not offered (slot not held)")
    if outcomes["slots"]:
        print(f"review slots held: {outcomes['held slots']} of {outcomes['slots']}; "
              f"rise slots held: {outcomes['held rise slots']} of {outcomes['slots']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orgs", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2, help="parallel processes")
    parser.add_argument("--shape", choices=("sized", "legacy"), default="sized",
                        help="sized: 3-15 departments (session 7); legacy: sessions 4-6's")
    parser.add_argument("--before", metavar="SNAPSHOT", default="auto",
                        help="the session-4 pipeline from this snapshot of ad34ea5 (auto: "
                             "git archive it into a temporary folder; none: skip)")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--reviews", choices=("quarterly", "yearly", "shifted", "none"),
                        default="quarterly",
                        help="review cadence (usefulness proposals; none: no signals at all)")
    parser.add_argument("--min-department-size", type=int, default=None,
                        help="proposal 2: fewer, coarser groups fixed in advance")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs ({cpu_model()}), Python "
          f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}")
    k = DisclosureRules().k
    with tempfile.TemporaryDirectory() as folder:
        snapshot = before_snapshot(args.before, folder)
        if snapshot is not None:
            start = time.perf_counter()
            results = run_before(snapshot, args)
            summary("before (session 4, ad34ea5)", results, args.orgs, k,
                    time.perf_counter() - start)
            print(f"load {os.getloadavg()[0]:.1f}")
    start = time.perf_counter()
    tasks = [(i, args.seed, args.shape, args.min_department_size, args.reviews)
             for i in range(args.orgs)]
    with multiprocessing.Pool(args.workers) as pool:
        results = pool.map(one_organisation, tasks, chunksize=1)
    variant = "".join([f", {args.reviews} reviews" if args.reviews != "quarterly" else "",
                       f", min. department size {args.min_department_size}"
                       if args.min_department_size is not None else ""])
    summary(f"now (reviews' answers in the ledger, signals, the 2025 and 2026 reports{variant})",
            results, args.orgs, k, time.perf_counter() - start)
    print(f"load {os.getloadavg()[0]:.1f}")
    if not args.no_speed:
        speed(args.runs, args.seed)


if __name__ == "__main__":
    main()
