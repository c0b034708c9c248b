"""Simulatable decisions in the annual report (issue 12, docs/decisions.md).

* The number of cases opened in the year bounds the sum of the category totals: next to a
  category total shown as '< k' it is withheld, with everything that gives it away (open at
  the end of the year, the shares, the breakdowns whose lines add up to it, the trends).
* A correction repeats every figure of the version it corrects, whatever changed in the cases
  since, and releases nothing new.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import combinations, product

import pytest

from tests.unit.test_report_figures import (
    CASES,
    CATEGORIES,
    DEPARTMENTS,
    RULES,
    TEXTS,
    YEAR,
    case,
    golden_report,
)
from vp_registry.core.disclosure import Figure
from vp_registry.core.report import (
    AnnualReport,
    FrozenAggregates,
    ReportRefused,
    ReportTable,
    ReportTexts,
    build_report,
    protect_partition,
)


def _cells(report: AnnualReport, key: str) -> dict[str, list[str]]:
    return {row.label: [c.display for c in row.cells] for row in report.table(key).rows}


def test_opened_cases_are_withheld_next_to_a_hidden_category_total() -> None:
    # pesten 4 (Kantoor), seksisme 1 (Productie), werkdruk 0: two totals are '< 3'
    cases = [case(i, 3, ("pesten",), date(YEAR, 2, i), None, "colleague", None, "woman",
                  "permanent", 0, []) for i in range(1, 5)]
    cases.append(case(5, 1, ("seksisme",), date(YEAR, 3, 1), None, "manager", None, "man",
                      "permanent", 0, []))
    report = build_report(YEAR, cases, DEPARTMENTS, CATEGORIES, [], [], {}, TEXTS, RULES, [],
                          "en", include_gender=True, include_employment=True)
    key = _cells(report, "key_figures")
    assert key[f"New cases in {YEAR}"] == ["x"]
    assert key[f"Open on 31 December {YEAR}"] == ["x"]
    categories = _cells(report, "categories")
    assert categories["Pesten"] == ["4", "x"]  # the share would give the total away
    assert categories["Seksisme en seksuele intimidatie"] == ["< 3", "x"]
    assert list(categories.values())[-1] == ["x", "x"]
    tables = {t.key for t in report.tables()}
    assert not {"relation", "gender", "employment"} & tables
    assert any("not published" in b for b in report.section("breakdowns").paragraphs)
    assert (report.aggregates.cases_opened, report.aggregates.cases_open_at_end) == (None, None)
    assert not any("key:opened" in c for f in report.figures for _, c, _ in f.cells)
    # stored and read back for a later year's trends, where it is shown as withheld too
    stored = FrozenAggregates.from_json(report.aggregates.to_json())
    assert stored == report.aggregates
    later = build_report(YEAR + 1, [], DEPARTMENTS, CATEGORIES, [], [], {YEAR: stored}, TEXTS,
                         RULES, [], "en")
    assert _cells(later, "trend_key_figures")["New cases"][0] == "x"


def _exact_number(cells: list[str]) -> int | None:
    return int(cells[0]) if cells[0].isdigit() else None


def test_closed_minus_carried_over_gives_no_bound_on_withheld_opened_cases() -> None:
    """Cases closed in the year were carried over or opened in it: closed - carried over is a
    lower bound on the opened cases. Next to a hidden category total (opened withheld) that
    bound gives the hidden total away (here: every case of the year is seksisme, shown
    '< 3'; closed 2 - carried over 0 says seksisme is 2). The last year's report published
    its open cases at the end (0), so 'carried over' repeats a public figure; then 'closed'
    and the outcome table (whose total is the closed cases) are what must go."""
    earlier = FrozenAggregates(YEAR - 1, 0, 0, 0, 0, 0, 0, 0, 0, ())
    cases = [case(i, 3, ("seksisme",), date(YEAR, 2, i), date(YEAR, 5, i), "colleague",
                  "advice", "woman", "permanent", 0, []) for i in (1, 2)]
    report = build_report(YEAR, cases, DEPARTMENTS, CATEGORIES, [], [], {YEAR - 1: earlier},
                          TEXTS, RULES, [], "en")
    key = _cells(report, "key_figures")
    assert key[f"New cases in {YEAR}"] == ["x"]
    carried = _exact_number(key[f"Carried over from {YEAR - 1}"])
    closed = [_exact_number(key[f"Cases closed in {YEAR}"])]
    closed += [_exact_number(cells) for t in report.tables() if t.key in ("outcome", "referral")
               for label, cells in _cells(report, t.key).items() if label == "Total"]
    bounds = [c - (carried if carried is not None else c) for c in closed if c is not None]
    assert all(b <= 0 for b in bounds), (key, bounds)
    assert report.aggregates.cases_closed is None
    tables = {t.key for t in report.tables()}
    assert not {"outcome", "referral"} & tables


def test_carried_over_is_shown_only_when_it_repeats_a_published_figure() -> None:
    """'Carried over from Y-1' counts cases opened before Y: an exact organisation total over
    earlier periods whose department figures (signals, last year's table) may be '< k'. It is
    shown when last year's report published the open cases at the end of Y-1 (the same
    number), withheld otherwise - the decision uses the earlier report only."""
    cases = [case(1, 3, ("pesten",), date(YEAR - 1, 11, 2), None, "colleague", None,
                  "woman", "permanent", 0, [])]
    cases += [case(i, 3, ("pesten", "seksisme", "werkdruk"), date(YEAR, 2, i), None,
                   "colleague", None, "woman", "permanent", 0, []) for i in range(2, 6)]
    without = build_report(YEAR, cases, DEPARTMENTS, CATEGORIES, [], [], {}, TEXTS, RULES, [],
                           "en")
    key = _cells(without, "key_figures")
    assert key[f"New cases in {YEAR}"] == ["4"]
    assert key[f"Carried over from {YEAR - 1}"] == ["x"]
    assert key[f"Open on 31 December {YEAR}"] == ["x"]  # carried over + opened - closed
    assert key[f"Cases closed in {YEAR}"] == ["x"]  # closed - opened bounds carried over
    assert without.aggregates.cases_carried_over is None
    earlier = FrozenAggregates(YEAR - 1, 0, 1, 0, 1, 0, 0, 0, 0, ())
    with_earlier = build_report(YEAR, cases, DEPARTMENTS, CATEGORIES, [], [],
                                {YEAR - 1: earlier}, TEXTS, RULES, [], "en")
    key = _cells(with_earlier, "key_figures")
    assert [key[f"Carried over from {YEAR - 1}"], key[f"Open on 31 December {YEAR}"],
            key[f"Cases closed in {YEAR}"]] == [["1"], ["5"], ["0"]]
    # the registry started this year (public setting): nothing was carried over
    started = build_report(YEAR, cases[1:], DEPARTMENTS, CATEGORIES, [], [], {}, TEXTS, RULES,
                           [], "en", registry_start=date(YEAR, 1, 1))
    assert _cells(started, "key_figures")[f"Carried over from {YEAR - 1}"] == ["0"]
    with pytest.raises(ReportRefused) as refused:
        build_report(YEAR, cases, DEPARTMENTS, CATEGORIES, [], [], {}, TEXTS, RULES, [], "en",
                     registry_start=date(YEAR, 1, 1))
    assert "before the registry's first day" in refused.value.explanation


def test_opened_cases_are_exact_when_every_category_total_is() -> None:
    report = golden_report("en")
    assert _cells(report, "key_figures")[f"New cases in {YEAR}"] == ["16"]
    assert isinstance(report.table("channel"), ReportTable)


def test_a_correction_repeats_every_figure_of_the_version_it_corrects() -> None:
    first = golden_report("en", draft=False, issued_on=date(YEAR + 1, 1, 15))
    # since then: a late case, a case moved to another department, one erased
    changed = [replace(CASES[0], department_id=3), *CASES[2:],
               case(99, 4, ("pesten",), date(YEAR, 12, 1), None, "colleague", None, None,
                    None, 0, [])]
    texts = ReportTexts(TEXTS.introduction, "A corrected recommendation.")
    second = build_report(YEAR, changed, DEPARTMENTS, CATEGORIES, [], [], {}, texts, RULES,
                          list(first.figures), "en", draft=False, version=2,
                          issued_on=date(YEAR + 1, 2, 1), corrects=first)
    assert second.figures == ()  # nothing new is released
    assert second.aggregates == first.aggregates
    for a, b in zip(first.sections, second.sections, strict=True):
        if a.key not in {"introduction", "recommendations"}:
            assert a == b
    assert second.section("recommendations").paragraphs == ("A corrected recommendation.",)
    assert "version 1 of 15 January 2026" in second.section("introduction").paragraphs[-1]
    assert second.version == 2


def test_a_correction_needs_the_final_version_it_corrects() -> None:
    first = golden_report("en", draft=False, issued_on=date(YEAR + 1, 1, 15))
    args = (YEAR, CASES, DEPARTMENTS, CATEGORIES, [], [], {}, TEXTS, RULES, list(first.figures))
    with pytest.raises(ValueError, match="needs the version it corrects"):
        build_report(*args, "en", version=2)
    with pytest.raises(ValueError, match="language"):
        build_report(*args, "nl", version=2, corrects=first)
    with pytest.raises(ValueError, match="needs the version it corrects"):
        build_report(*args, "en", version=1, corrects=first)


# --------------------------------------------------------------------------------------------
# Organisation-level partitions (relation, outcome, ...): decisions a reader can simulate
# --------------------------------------------------------------------------------------------


def _partition_view(counts: tuple[int, ...], k: int) -> tuple[object, ...] | None:
    """What a reader sees of a partition of a published total (None: the table is left out)."""
    statuses = protect_partition(list(counts), list(range(len(counts) - 1, -1, -1)), k)
    if statuses is None:
        return None
    marks = {"primary": f"< {k}", "complementary": f"{k}+", "withheld": "x"}
    return tuple(n if s == "exact" else marks[s] for n, s in zip(counts, statuses, strict=True))


@pytest.mark.parametrize("lines", [2, 3, 4])
def test_a_partition_reader_who_knows_the_rule_learns_nothing_beyond_the_total(
    lines: int,
) -> None:
    """Every partition of every total up to 10 (k = 3): group the data sets by what a reader
    sees (the published total and the table, or its absence) and check that every line and
    every pair of lines can still take every value 0..min(k-1, total) - or is at least k. The
    old rule added a '3+' line only when the hidden lines were pinned, so seeing it (or a
    table left out) told the reader about them."""
    k = 3
    for total in range(11):
        views: dict[object, list[tuple[int, ...]]] = {}
        for counts in product(range(total + 1), repeat=lines):
            if sum(counts) == total:
                views.setdefault(_partition_view(counts, k), []).append(counts)
        units = [u for size in (1, 2) for u in combinations(range(lines), size)
                 if len(u) < lines]
        for view, datas in views.items():
            for unit in units:
                values = {sum(d[i] for i in unit) for d in datas}
                wanted = set(range(min(k - 1, total) + 1))
                assert wanted <= values or min(values) >= k, (total, view, unit, values)


def test_the_department_table_is_never_swapped_for_totals_on_the_auditors_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before issue 12 a department table the auditor refused was replaced by organisation
    totals and a sentence - a choice made on the counts behind the would-be table. Now the
    column rule decides from public facts; an objection of the auditor refuses the report."""
    from vp_registry.core.disclosure import AuditResult, DisclosureProblem
    from vp_registry.core.report import departments as report_module

    real = report_module.protect_table

    def objecting(*args: object, **kwargs: object) -> object:
        table = real(*args, **kwargs)  # type: ignore[arg-type]
        objection = AuditResult(False, [DisclosureProblem(
            "disclosure", frozenset(), "Kantoor · pesten", "could be narrowed")])
        return replace(table, audit=objection)

    monkeypatch.setattr(report_module, "protect_table", objecting)
    with pytest.raises(ReportRefused) as refused:
        golden_report("en")
    assert "public facts only" in refused.value.explanation


def test_category_totals_withheld_by_earlier_signals_are_not_shown_as_zero() -> None:
    """Every column of the department table touched by an earlier figure of another shape
    (a signal band over a window reaching into the year before) withholds its organisation
    total (433d1b3). The report then took the empty list of released department figures for
    'no departments, so no cases' and printed every category total as an exact 0 - false
    figures - and, with no total hidden, the exact number opened (13 here) next to them."""
    cases = [case(i, 1 if i <= 7 else 3, (("pesten",), ("seksisme",), ("werkdruk",))[i % 3],
                  date(YEAR, 7, i), None, "colleague", None, None, None, 0, [])
             for i in range(1, 14)]
    window = [f"{YEAR - 1}-Q4", f"{YEAR}-Q1", f"{YEAR}-Q2", f"{YEAR}-Q3"]
    ledger = [Figure(frozenset((1, code, q) for q in window), 3, 4, f"signal {code}")
              for code, _ in CATEGORIES]
    report = build_report(YEAR, cases, DEPARTMENTS, CATEGORIES, [], [], {}, TEXTS, RULES,
                          ledger, "en")
    categories = _cells(report, "categories")
    assert [cells[0] for cells in categories.values()] == ["x"] * 4, categories
    assert _cells(report, "key_figures")[f"New cases in {YEAR}"] == ["x"]
    assert report.aggregates.categories == () and report.aggregates.cases_opened is None
