"""The annual report's department table is audited with the ledger's published rules
(issue 12, session 7: ``build_report(..., constraints=)``; the service passes
``ledger.load_constraints``).

Before, ``core/report`` gave ``protect_table`` no rules: a total audited for every value it
could have (``totals.every_value_safe``) was judged without the inequalities a reader applies,
and a leak through them showed only at finalising (the ledger's approval runs with the rules:
a safety stop after a preview that showed the figure). The world here: three groups, one of
them silent in a review ("Beta < 3" over 2026) and a published rule of a rise's shape linking
Alfa to Beta (Alfa >= 2 x Beta, Alfa - Beta >= 2). Shown as "< 3", the total pins
Alfa = 2, Beta = 0, Gamma = 0 for a reader who applies the rule.

Why a rule of two groups and not a rise of two quarters: a rise also releases its last
quarter as a band of at least k, so the lowest value the column total could have already
pins the group's other quarters to 0 and the per-value audit withholds that total whatever
the rule (docs/decisions.md, session 7). The pass-through matters for every rule whose own
figures do not settle the column like that.
"""

from __future__ import annotations

from datetime import date

from vp_registry.core.disclosure import (
    CellKey,
    DisclosureRules,
    Figure,
    RuleConstraint,
    audit,
    cell_set,
    clear_cache,
    periods_of_year,
)
from vp_registry.core.facts import CaseFacts, DepartmentFacts
from vp_registry.core.report import AnnualReport, ReportTexts, build_report

RULES = DisclosureRules(first_quarter="2026-Q1")
YEAR = 2026
DEPARTMENTS = [DepartmentFacts(1, "Alfa", 40), DepartmentFacts(2, "Beta", 40),
               DepartmentFacts(3, "Gamma", 40)]
CATEGORIES = [("pesten", "Pesten")]
TEXTS = ReportTexts("Inleiding.", "Aanbevelingen.")
CASES = [CaseFacts(i, date(YEAR, 2, i), None, 1, ("pesten",)) for i in (1, 2)]  # Alfa 2
TOTAL_CELLS = cell_set([1, 2, 3], ["pesten"], periods_of_year(YEAR))


def _year(dept: int) -> frozenset[CellKey]:
    return cell_set([dept], ["pesten"], periods_of_year(YEAR))


SILENCE = Figure.protected(_year(2), RULES, "Beta · Pesten · 2026")  # a review's answer
RULE = RuleConstraint.rise(Figure(_year(1), 0, None, "Alfa"), Figure(_year(2), 0, None, "Beta"))


def _report(constraints: tuple[RuleConstraint, ...]) -> AnnualReport:
    clear_cache()
    return build_report(YEAR, CASES, DEPARTMENTS, CATEGORIES, [], [], {}, TEXTS, RULES,
                        [SILENCE], "en", registry_start=date(YEAR, 1, 1),
                        constraints=constraints)


def _total(report: AnnualReport) -> Figure | None:
    return next((f for f in report.figures if f.cells == TOTAL_CELLS), None)


def test_the_total_is_shown_next_to_the_silence_without_the_rule() -> None:
    total = _total(_report(()))
    assert total is not None and total.display == "< 3"


def test_the_ledgers_rules_withhold_a_total_that_would_pin_the_groups_with_them() -> None:
    counts = {(1, "pesten", f"{YEAR}-Q1"): 2}
    shown = Figure(TOTAL_CELLS, 0, 2, "Whole organisation · Pesten · 2026", True)
    # what "< 3" would give away with the rule: Alfa exactly 2, Beta and Gamma 0
    leaked = audit([shown], [SILENCE], counts, RULES, constraints=list(RULE))
    assert any(p.kind == "disclosure" for p in leaked.problems)
    assert _total(_report(RULE)) is None  # withheld: decided from the ledger, not the value
