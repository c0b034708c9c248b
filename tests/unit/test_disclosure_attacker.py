"""The algorithm-aware attacker (tests/unit/disclosure_attacker.py) against the real pipeline.

Issue 12: no release may let a manager who knows the published algorithm learn that a
department x category x period holds 1..k-1 cases, nor that it holds 0 (zero is protected like
1..k-1). The harness enumerates every data set consistent with what the manager saw, re-runs the
real release path on each and keeps those that reproduce the manager's view exactly.

* the harness itself: the enumeration finds exactly the consistent tables, the true data always
  reproduces its own view, and a plain data-independent release gives nothing away;
* explicit regression examples for the four leaks of the issue;
* hypothesis: random small organisations (2-5 department groups, 2-3 categories, k=3) and
  histories (quarterly signals, annual reports, headcount changes that merge or split groups,
  corrections adding or moving cases, conversations) - no finding. About one history in
  three erases (session 9): on request (before or after the 1 January signals, or after the
  report) or by retention (cases closed in December, purged a month after the 2026 report),
  in any atom of a quarter, followed by the April review whose window covers the erased
  quarter (unless a correction follows); a second property draws an erasure in every history
  of a smaller organisation (2-3 departments, 1-2 categories, the registry from 1 January
  2026) with a bigger search budget, because CI's few derandomized examples of the first
  need not draw one. How many cases were erased (the audit log) or closed (the report's
  exact total) is public; where they were is a unit. The statistics
  (``--hypothesis-show-statistics``) count the examples of each kind ("erasure: ...").
  With the erased-quarter rule of ``services.signals.reviewing`` switched off, the second
  property fails in CI's examples (docs/decisions.md, "Erasures in the Hypothesis histories").
  Fixed worlds below test erasures after a report and after a signal release exhaustively.

More examples: ``DISCLOSURE_ATTACKER_EXAMPLES=200 pytest tests/unit/test_disclosure_attacker.py``.
"""

from __future__ import annotations

import os
from datetime import date
from itertools import product
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from vp_registry.core.disclosure import CellKey, DisclosureRules, parse_quarter
from vp_registry.core.facts import DepartmentFacts
from vp_registry.core.report import ORGANISATION_LEVEL

from .disclosure_attacker import (
    Attack,
    Closings,
    Erase,
    Erasures,
    Finding,
    Headcounts,
    History,
    LateCases,
    OpeningsMoved,
    Pipeline,
    Reopenings,
    Report,
    Signals,
    Step,
    attack,
    candidates,
)

Q3, Q4 = "2026-Q3", "2026-Q4"
REPORT_2026 = Report(2026, date(2027, 1, 15))


def departments(*headcounts: int) -> tuple[DepartmentFacts, ...]:
    return tuple(DepartmentFacts(i + 1, f"Afdeling {i + 1}", n) for i, n in enumerate(headcounts))


def test_candidates_are_exactly_the_tables_satisfying_the_constraints() -> None:
    constraints = [((0, 1), 3, 3), ((1, 2), 0, 2), ((2,), 1, None)]
    found = set(candidates(constraints, (1, 2, 0), 4))
    brute = {
        v for v in product(range(5), repeat=3)
        if v[0] + v[1] == 3 and v[1] + v[2] <= 2 and v[2] >= 1
    }
    assert found == brute
    # nearest to the truth first
    assert next(iter(candidates(constraints, (2, 1, 1), 4))) == (2, 1, 1)


def test_the_true_data_reproduces_its_own_view_and_the_figures_hold() -> None:
    history = History(departments(20, 20, 20), ("p", "s"), (Q4,), (REPORT_2026,))
    truth = (1, 4, 3, 0, 4, 4)
    state = Attack(history, truth, 6)
    assert state.pipeline.run(truth, state.expected) is not None
    # the figures the manager saw are true intervals of world variables
    for variables, low, high in state.constraints:
        total = sum(truth[v] for v in variables)
        assert low <= total and (high is None or total <= high)
    # another data set with a different visible cell does not reproduce the view
    assert state.pipeline.run((1, 4, 3, 0, 5, 3), state.expected) is None


def test_a_release_without_a_breakdown_gives_no_department_away() -> None:
    """An organisation under 50 employees gets organisation totals only: nothing to narrow."""
    history = History(departments(20, 20), ("p", "s"), (Q4,), (REPORT_2026,))
    for truth in [(1, 0, 0, 2), (0, 0, 0, 0), (2, 3, 1, 0)]:
        findings, _ = attack(history, truth)
        assert findings == [], [str(f) for f in findings]


def test_a_merged_sub_department_stays_open_inside_its_group() -> None:
    """A sub-department under 10 employees is shown only inside its parent's group: whatever
    the group shows, a reader cannot narrow the small department alone."""
    history = History(
        (DepartmentFacts(1, "Productie", 40), DepartmentFacts(2, "Ploeg C", 8, 1),
         DepartmentFacts(3, "Kantoor", 30)),
        ("p", "s"), (Q4,), (REPORT_2026,), DisclosureRules(),
    )
    for truth in [(3, 4, 1, 0, 5, 6), (0, 2, 2, 1, 4, 4)]:
        findings, _ = attack(history, truth, only=lambda name: name.startswith("D2 "))
        assert findings == [], [str(f) for f in findings]


# --- regression examples of the leaks in issue 12 (each failed before the fix) --------------


def no_findings(findings: list[Finding]) -> None:
    assert findings == [], "\n".join(map(str, findings))


def test_leak1_complement_chosen_by_the_data() -> None:
    """A/p hidden as < 3 with 1 case: B/p became 3+ only because A/p was 1 or 2 (with A/p = 0
    B/p stayed exact), so seeing the complement told 0 from 1..2."""
    history = History(departments(20, 20, 20), ("p", "s"), (Q4,), (REPORT_2026,))
    findings, _ = attack(history, (1, 4, 3, 0, 4, 4), only=lambda n: n.startswith("D1 · p"))
    no_findings(findings)


def test_leak1_zero_is_protected_like_one_or_two() -> None:
    """The exact column total minus the visible cells pinned B/s = 0."""
    history = History(departments(20, 20, 20), ("p", "s"), (Q4,), (REPORT_2026,))
    findings, _ = attack(history, (1, 4, 3, 0, 4, 4), only=lambda n: n.startswith("D2 · s"))
    no_findings(findings)


def test_leak3_a_correction_that_moves_a_case_does_not_mark_it() -> None:
    """A correction moves one case from B/p (shown 4) to A/p: the version 2 showed B/p as 'x'
    (no longer true) or was refused, so the manager learnt that 1..k-1 cases moved."""
    history = History(
        departments(20, 20, 20), ("p", "s"), (Q4,),
        (REPORT_2026, LateCases(), Report(2026, date(2027, 2, 1), version=2)),
        moves=(((2, "p", Q4), (1, "p", Q4)),),
    )
    findings, _ = attack(history, (0, 4, 4, 4, 4, 4, 1), only=lambda n: n.startswith("cases"))
    no_findings(findings)


def test_leak3_a_late_case_is_not_given_away_by_the_correction() -> None:
    """A late case added to A/p ('< 3' in version 1): version 2 was refused because the exact
    key figure 'opened' changed, so the manager learnt that 1..k-1 cases came late. A
    correction now repeats every figure of the version it corrects, whatever changed."""
    history = History(
        departments(20, 20, 20), ("p", "s"), (Q4,),
        (REPORT_2026, LateCases(), Report(2026, date(2027, 2, 1), version=2)),
        late=((1, "p", Q4),),
    )
    findings, _ = attack(history, (0, 4, 4, 4, 4, 4, 1),
                         only=lambda n: "late cases)" in n)
    no_findings(findings)


def test_the_number_of_opened_cases_does_not_pin_department_cells() -> None:
    """The hypothesis' minimal example: 2 groups (42 and 'other departments' 8). An exact key
    figure 'opened' (0) pinned every cell to 0; next to hidden category totals it gave their
    sum away (opened 5, p = 4 exact: s = 1, so each department's s is 0 or 1)."""
    history = History(departments(42, 8), ("p", "s"), (Q4,), (REPORT_2026,))
    for truth in [(0, 0, 0, 0), (4, 0, 0, 0), (4, 1, 0, 0), (1, 0, 0, 0)]:
        findings, _ = attack(history, truth)
        no_findings(findings)


@pytest.mark.parametrize("truth", [(2, 1, 4), (3, 0, 4), (3, 1, 4), (2, 2, 4), (1, 2, 4)])
def test_leak2_a_department_table_withheld_after_a_split(truth: tuple[int, ...]) -> None:
    """Leak 2: Ploeg (8 employees) is merged into Productie when a concentration signal is
    released for Productie + Ploeg (4 cases, band '3-4'); then Ploeg grows to 12 and the
    annual report shows Productie and Ploeg apart. Productie's 3 leaves Ploeg 0 or 1 - if
    the table were published when Ploeg has 0 (nothing to protect) and withheld when it has
    1, 'cannot be published' would tell the manager Ploeg had cases. (Before the fix, with
    Productie 2 and Ploeg 1 the table was left out, and that pinned Ploeg to 1 or 2.)"""
    before = (DepartmentFacts(1, "Productie", 30), DepartmentFacts(2, "Ploeg", 8, 1),
              DepartmentFacts(3, "Kantoor", 20))
    after = (before[0], DepartmentFacts(2, "Ploeg", 12, 1), before[2])
    history = History(
        before, ("p",), ("2026-Q4",),
        (Signals(date(2027, 1, 1), frozenset({("concentration", "p")})), Headcounts(after),
         REPORT_2026),
    )
    findings, _ = attack(history, truth, only=lambda n: n.startswith("D2 "))
    no_findings(findings)


@pytest.mark.parametrize("truth", [(1, 3, 5, 4), (0, 3, 5, 4), (2, 4, 5, 4), (0, 4, 4, 3)])
def test_leak4_the_rise_rule_is_a_constraint_like_the_figures(truth: tuple[int, ...]) -> None:
    """Leak 4: the registry started in 2026-Q4. A rise signal for Productie x p in 2027-Q1
    shows band '3-4' and the quarter before '< 3'; the 2027 annual report then shows
    Productie's p count 3 exactly (2027-Q1 is the only quarter with cases). The figures alone
    leave 2026-Q4 at 0, 1 or 2, but the published rule (now >= 2 x before, now - before >= 2)
    with now = 3 leaves 0 or 1 - never 2. The old auditor saw only the two bands."""
    history = History(
        (DepartmentFacts(1, "Productie", 30), DepartmentFacts(2, "Kantoor", 20)),
        ("p",), ("2026-Q4", "2027-Q1"),
        (Signals(date(2027, 4, 1), frozenset({("rise", "p")})), Report(2027, date(2028, 1, 15))),
    )
    # (1, 3, 5, 4): Productie 2026-Q4 1, 2027-Q1 3 (a rise); Kantoor 5 then 4 (no rise), so
    # the key figure "carried over from 2026" (6) narrows nothing by itself
    # (0, 4, 4, 3): a rise under the session-8 rule (4 - 2 x 0 >= 4), released as '3-9'; the
    # budget covers the tables whose 2026-Q4 is 2 (2027-Q1 = 8)
    findings, _ = attack(history, truth, bound=8, budget=3000,
                         only=lambda n: n.startswith("D1 "))
    no_findings(findings)


@pytest.mark.parametrize("truth", [(1, 3, 0, 0, 0, 0), (0, 3, 0, 0, 0, 0), (1, 3, 2, 0, 0, 0)])
def test_leak4_consecutive_signals_a_concentration_after_a_rise(truth: tuple[int, ...]) -> None:
    """Consecutive quarterly signals: a rise for Productie x p in 2027-Q1 ('3-4' after '< 3'),
    then the concentration of the window 2026-Q3..2027-Q2. Before the fix a '3-4'
    concentration was released (the first two data sets), which with 2027-Q1 >= 3 leaves
    2026-Q4 and 2027-Q2 at 0 or 1. The third (a '5-9' window) is the control: releasing or
    refusing it must not depend on the band the concentration would show either."""
    history = History(
        (DepartmentFacts(1, "Productie", 30), DepartmentFacts(2, "Kantoor", 20)),
        ("p",), ("2026-Q4", "2027-Q1", "2027-Q2"),
        (Signals(date(2027, 4, 1), frozenset({("rise", "p")})),
         Signals(date(2027, 7, 1), frozenset({("concentration", "p")}))),
    )
    # the budget covers every candidate table (2026-Q4 = 2 needs 2027-Q1 = 8 under the rise
    # rule of session 8, now - 2 x before >= 4: searched last)
    findings, _ = attack(history, truth, budget=30000, only=lambda n: n.startswith("D1 "))
    no_findings(findings)


def test_carried_over_does_not_pin_a_quarter_of_the_year_before() -> None:
    """Registry from 2026-Q4. Productie p: 1 in 2026-Q4, 3 in 2027-Q1; Kantoor p: 0, then 4.
    Rise signals for both in 2027-Q1 ('3-4', before '< 3'). The 2027 report's key figure
    'carried over from 2026' was the exact organisation total of 2026-Q4 (1), so Productie's
    2026-Q4 was 0 or 1, never 2: an exact organisation total below k over a breakdown the
    signals published. It is now shown only when it repeats a published figure (the open
    cases at the end of 2026 in the 2026 report) or the registry started in the report year."""
    history = History(
        (DepartmentFacts(1, "Productie", 30), DepartmentFacts(2, "Kantoor", 20)),
        ("p",), ("2026-Q4", "2027-Q1"),
        (Signals(date(2027, 4, 1), frozenset({("rise", "p")})), Report(2027, date(2028, 1, 15))),
    )
    findings, _ = attack(history, (1, 3, 0, 4), only=lambda n: n.startswith("D1 "))
    no_findings(findings)


def test_a_signal_band_and_the_exact_column_total_do_not_pin_the_other_group() -> None:
    """The hypothesis property's minimal example (registry from 2026-Q3, a public fact). A
    concentration for 'other departments' x s over 2025-Q4..2026-Q3 ('3-4') and the exact
    2026 total of s (3) left Productie's s at 0 (the window's 2025 quarter is empty). A column
    an earlier figure of another shape touches now withholds its total as well, and the
    auditor knows the atoms before the registry's first quarter are 0."""
    offer = frozenset((kind, c) for kind in ("concentration", "rise") for c in ("p", "s"))
    history = History(
        departments(42, 8), ("p", "s"), (Q3, Q4),
        (Signals(date(2026, 10, 1), offer), REPORT_2026),
    )
    findings, _ = attack(history, (0, 0, 0, 0, 0, 0, 3, 0))
    no_findings(findings)



def test_two_shifted_concentration_windows_do_not_pin_the_quarter_between() -> None:
    """Registry from 2026-Q3 (public). Productie x s: 4 in 2026-Q3, 0 in 2026-Q4. The
    concentration over 2025-Q4..2026-Q3 ('3-4', released 2026-10-01) and the one over
    2026-Q1..2026-Q4 ('3-4', released 2027-01-01) differ only by 2025-Q4 (empty: before the
    registry) and 2026-Q4, so 2026-Q4 was 0 or 1. The auditor now knows the atoms before the
    registry's first quarter are 0 (``DisclosureRules.first_quarter``), so the windows nest."""
    offer = frozenset((kind, c) for kind in ("concentration", "rise") for c in ("p", "s"))
    history = History(
        departments(42, 8), ("p", "s"), (Q3, Q4),
        (Signals(date(2026, 10, 1), offer), Signals(date(2027, 1, 1), offer), REPORT_2026),
    )
    findings, _ = attack(history, (0, 0, 4, 0, 5, 1, 3, 0), budget=1000,
                         only=lambda n: n == "D1 · s · 2026-Q4")
    no_findings(findings)


# --- hypothesis: random small organisations and histories (moved from the pending file) ----

ATTACKER_EXAMPLES = int(os.environ.get("DISCLOSURE_ATTACKER_EXAMPLES", "12"))
ERASING_EXAMPLES = int(os.environ.get("DISCLOSURE_ATTACKER_EXAMPLES", "8"))
ERASING_BUDGET = 1000
SIGNALS_Q3 = Signals(date(2026, 10, 1), frozenset(
    (kind, c) for kind in ("concentration", "rise") for c in ("p", "s", "w")))
SIGNALS_Q4 = Signals(date(2027, 1, 1), SIGNALS_Q3.offer)
SIGNALS_Q1_2027 = Signals(date(2027, 4, 1), SIGNALS_Q3.offer)


@st.composite
def histories(draw: st.DrawFn, erasing: bool = False) -> tuple[History, tuple[int, ...]]:
    """A small organisation and history. ``erasing``: always with an erasure, in an
    organisation of 2-3 departments, 1-2 categories and one quarter, small enough for the
    search to exhaust the tables where the erased cases were elsewhere (a refusal or an
    absent signal is no linear constraint: only trying every table shows it pins one)."""
    n_depts = draw(st.integers(2, 3 if erasing else 4))
    sizes = draw(st.lists(st.sampled_from([8, 12, 20, 30]), min_size=n_depts,
                          max_size=n_depts))
    if sum(sizes) < 50:
        sizes[0] += 50 - sum(sizes)
    depts = departments(*sizes)
    if erasing:
        cats = ("p", "s")[: draw(st.integers(1, 2 if n_depts == 2 else 1))]
    else:
        cats = ("p", "s", "w")[: draw(st.integers(2, 3 if n_depts <= 2 else 2))]
    two_quarters = not erasing and n_depts * len(cats) <= 6 and draw(st.booleans())
    quarters = (Q3, Q4) if two_quarters else (Q4,)
    early: list[Step] = []  # 2026: the signals over Q3, edits in December
    late_steps: list[Step] = []  # the 1 January signals and the headcount change
    if two_quarters and draw(st.booleans()):
        early.append(SIGNALS_Q3)
    if erasing or draw(st.booleans()):  # an erasure matters after a release
        late_steps.append(SIGNALS_Q4)
    if draw(st.booleans()):  # headcounts change: other merges / splits
        new = draw(st.lists(st.sampled_from([5, 8, 12, 20, 30]), min_size=n_depts,
                            max_size=n_depts))
        if sum(new) < 50:
            new[0] += 50 - sum(new)
        late_steps.append(Headcounts(departments(*new)))
    after: list[Step] = []  # after the 2026 report, before a correction
    correction = draw(st.sampled_from(["none", "none", "late", "move"]))
    erasure, erased, closed = _draw_erasure(draw, n_depts, cats, quarters, early, late_steps,
                                            after, erasing)
    steps = [*early, *late_steps, REPORT_2026, *after]
    late: tuple[tuple[int, str, str], ...] = ()
    moves: tuple[tuple[tuple[int, str, str], tuple[int, str, str]], ...] = ()
    if correction != "none":
        d = draw(st.integers(1, n_depts))
        atom = (d, cats[0], quarters[-1])
        if correction == "late":
            late = (atom,)
        else:
            moves = ((atom, (d % n_depts + 1, cats[0], quarters[-1])),)
        steps += [LateCases(), Report(2026, date(2027, 2, 1), version=2)]
    elif erasure == "retention" or (erasure != "none" and (erasing or draw(st.booleans()))):
        # the April review: its window (2026-Q2..2027-Q1) covers the erased quarter (a
        # correction's LateCases model no registration day, so no signals after one)
        steps.append(SIGNALS_Q1_2027)
        # its window ends in 2027-Q1, whose cases a reader does not know: the world holds
        # that quarter too (without it the search would be told it held none - session 9's
        # false finding, test_a_review_after_a_merge_does_not_pin_the_merged_departments)
        quarters = (*quarters, Q1_2027)
    # erasing: the registry started on 1 January 2026 (public), so the 1 January signals
    # can count a whole year; otherwise from the world's first quarter (attack's default)
    rules = DisclosureRules(first_quarter="2026-Q1" if erasing else None)
    history = History(depts, cats, quarters, tuple(steps), rules, late, moves,
                      talks=draw(st.booleans()), closed=closed, erased=erased)
    value = st.sampled_from([0, 0, 1, 1, 2, 3, 4, 5])
    # on top of the cases that stay
    erased_value = st.sampled_from([0, 1, 2] if erasing else [0, 0, 1, 2])
    return history, _valid_truth(history, [draw(erased_value if kind == "erase" else value)
                                           for kind, _ in history.variables])


def _draw_erasure(draw: st.DrawFn, n_depts: int, cats: tuple[str, ...],
                  quarters: tuple[str, ...], early: list[Step], late_steps: list[Step],
                  after: list[Step], erasing: bool,
                  ) -> tuple[str, tuple[CellKey, ...], tuple[CellKey, ...]]:
    """One history in three erases (``erasing``: every one; the steps go into the lists,
    in date order):

    * ``request``: cases of one quarter, on request, before the 1 January signals, after
      them (before the report) or after the report;
    * ``retention``: cases closed on 20 December 2026, purged by retention (one month) on
      25 January 2027, after the 2026 report (organisations of at most 4 atoms).

    Every atom of the quarter may lose (or close) cases: that a case of the quarter was
    erased is public (the audit log, its dates; the report says so), where it was is not - a
    world erasing in one atom only would tell the reader that atom had a case.
    Returns (the kind and when, History.erased, History.closed)."""
    kinds = ["request", "retention"] if erasing else ["none", "request", "retention"]
    kind = draw(st.sampled_from(kinds))
    if kind == "retention" and n_depts * len(cats) * len(quarters) > 4:
        # a closing variable per atom and the April review re-run on every candidate: a
        # bigger organisation took 40-100 s per example (measured), so it erases on request
        kind = "request"
    if kind == "retention":
        closed = tuple((d, c, q) for d in range(1, n_depts + 1) for c in cats
                       for q in quarters)
        early.append(Closings(date(2026, 12, 20), date(2026, 12, 20), closed))
        after.append(Erase(date(2027, 1, 25), months=1))
        return kind, (), closed
    if kind == "none":
        return kind, (), ()
    quarter = draw(st.sampled_from(quarters))
    erased = tuple((d, c, quarter) for d in range(1, n_depts + 1) for c in cats)
    when = draw(st.sampled_from(["before the signals", "after the signals",
                                 "after the report"]))
    if when == "before the signals":
        early.append(Erasures(date(2026, 12, 31)))
    elif when == "after the signals":
        late_steps.append(Erasures(date(2027, 1, 5)))
    else:
        after.append(Erasures(date(2027, 1, 25)))
    return f"request {when}", erased, ()


def _valid_truth(history: History, truth: list[int]) -> tuple[int, ...]:
    """The drawn values made a data set of the world (the harness's ``Invalid`` rules):
    a correction moves, and a closing closes, at most the cases the atom keeps (``base``;
    the ones erased on request, ``erase``, come on top), and a year's conversations need a
    case the history never erases (a conversation belongs to a case and goes with it)."""
    index = {v: i for i, v in enumerate(history.variables)}

    def base(atom: CellKey) -> int:
        return truth[index[("base", atom)]]

    for source, _ in history.moves:
        truth[index[("move", source)]] = min(truth[index[("move", source)]], base(source))
    for atom in history.closed:
        truth[index[("close", atom)]] = min(truth[index[("close", atom)]], base(atom))
    retention = any(isinstance(step, Erase) for step in history.steps)
    for year in history.years if history.talks else ():
        # a year's conversations are held by a case opened by its end (``_with_talks``):
        # 2026's by a 2026 case, 2027's (worlds with 2027-Q1) by any; a case closed in a
        # history with a retention purge holds none
        holders = sum(base(a) - (truth[index[("close", a)]]
                                 if retention and a in history.closed else 0)
                      for a in history.atoms if parse_quarter(a[2])[0] <= year)
        if holders <= 0:
            truth[index[("talk", (ORGANISATION_LEVEL, "conversations", str(year)))]] = 0
    return tuple(truth)


def _erasure_event(history: History, truth: tuple[int, ...]) -> str:
    index = {v: i for i, v in enumerate(history.variables)}
    if any(isinstance(step, Erase) for step in history.steps):
        closed = sum(truth[index[("close", a)]] for a in history.closed)
        return f"erasure: retention ({'none' if not closed else 'some'} closed)"
    for step in history.steps:
        if isinstance(step, Erasures):
            erased = sum(truth[index[("erase", a)]] for a in history.erased)
            when = {date(2026, 12, 31): "before the 1 January signals",
                    date(2027, 1, 5): "after the 1 January signals"}.get(
                step.on, "after the report")
            return f"erasure: on request {when} ({'none' if not erased else 'some'} erased)"
    return "erasure: none"


@settings(max_examples=ATTACKER_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(histories())
def test_no_history_lets_a_reader_who_knows_the_algorithm_narrow_a_cell(
    scenario: tuple[History, tuple[int, ...]],
) -> None:
    no_narrowed_unit(*scenario)


@settings(max_examples=ERASING_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(histories(erasing=True))
def test_no_history_with_an_erasure_lets_a_reader_who_knows_the_algorithm_narrow_a_cell(
    scenario: tuple[History, tuple[int, ...]],
) -> None:
    """The same with an erasure in every history (on request or by retention, at the
    points :func:`_draw_erasure` draws): CI's few derandomized examples of the property
    above need not draw one."""
    no_narrowed_unit(*scenario, budget=ERASING_BUDGET)


def no_narrowed_unit(history: History, truth: tuple[int, ...], budget: int = 150) -> None:
    note(f"{history}\ntruth {truth}")
    findings, state = attack(history, truth, budget=budget)
    event(f"pipeline runs: {'<20' if state.pipeline.runs < 20 else '20+'}")
    event(_erasure_event(history, truth))
    no_findings([f for f in findings if f.exhausted])
    for f in findings:
        event("search budget hit" if not f.exhausted else "finding")


@pytest.mark.parametrize("late", [0, 1, 2])
def test_a_case_registered_after_its_years_report_is_not_given_away_by_the_next_report(
    late: int,
) -> None:
    """Registry from 2026-Q4. Productie and Kantoor p: 3 and 3 in 2026-Q4, so the 2026 report
    shows the cells, 'opened' 6 and 'open on 31 December 2026' 6. After it, 0-2 cases of
    Productie 2026-Q4 are registered late (1 February 2027). The 2027 report repeats 'carried
    over from 2026' because 2026 published its open cases - but counted them again, so
    'carried over' 6 + late gave the late cases away exactly. A case registered after its
    year's report now counts, in every later figure, as opened on its registration day
    (``core.facts.as_counted``): carried over stays 6, the late cases are 2027-Q1 cases."""
    history = History(
        (DepartmentFacts(1, "Productie", 30), DepartmentFacts(2, "Kantoor", 20)),
        ("p",), ("2026-Q4", "2027-Q1"),
        (REPORT_2026, LateCases(on=date(2027, 2, 1)), Report(2027, date(2028, 1, 15))),
        # the auditor is told the registry started on 1 January (it refuses a report of the
        # year a registry starts in mid-year: 640eb60); the world still has no earlier cases
        DisclosureRules(first_quarter="2026-Q1"), late=((1, "p", "2026-Q4"),),
    )
    findings, state = attack(history, (3, 3, 3, 3, late))
    no_findings(findings)
    key = [b[4] for b in state.expected[1] if isinstance(b, tuple) and b[0] == "key_figures"]
    assert key and key[0][0] == ("Carried over from 2026", ("6",))  # as published for 2026


TALKS_2026 = History(departments(42, 8), ("p",), (Q3, Q4), (REPORT_2026,),
                     DisclosureRules(), talks=True)


@pytest.mark.parametrize(("history", "truth"), [
    (TALKS_2026, (0, 1, 0, 0, 2)),  # one category, two groups, every total '< 3'
    (TALKS_2026, (2, 0, 0, 0, 1)),
    (TALKS_2026, (0, 0, 0, 1, 1)),
    (TALKS_2026, (0, 0, 0, 0, 0)),
    (History(departments(20, 20, 20), ("p",), (Q4,), (REPORT_2026,),
             DisclosureRules(), talks=True), (1, 0, 0, 1)),
    (History(departments(42, 8), ("p", "s"), (Q3, Q4),
             (Signals(date(2026, 10, 1), SIGNALS_Q3.offer), REPORT_2026),
             DisclosureRules(), talks=True), (0, 0, 0, 0, 0, 1, 3, 0, 2)),
    (History((DepartmentFacts(1, "Productie", 30), DepartmentFacts(2, "Kantoor", 20)), ("p",),
             ("2026-Q4", "2027-Q1"), (REPORT_2026, Report(2027, date(2028, 1, 15))),
             DisclosureRules(), talks=True), (0, 0, 1, 0, 0, 1)),
])
def test_conversations_in_the_year_narrow_no_department(
    history: History, truth: tuple[int, ...],
) -> None:
    """Issue 12, "still open": the number of conversations (and their hours) is exact, and a
    conversation belongs to a case, so "conversations > 0" says a case was open in the year;
    with the registry starting in that year (carried over 0, public) and one category, its
    organisation total is at least 1. The whole organisation is not a protected unit, and
    every department group can still hold 0 (another group holds the case) or k-1: the
    harness finds no narrowed unit in small organisations (one or two categories, two or
    three groups, with signals, over two years). It does see the fact: with conversations,
    no data set reproducing the view has an empty organisation."""
    findings, state = attack(history, truth, budget=2000)
    no_findings(findings)
    year_2026 = tuple(i for i, (kind, atom) in enumerate(history.variables)
                      if kind == "base" and atom[2].startswith("2026"))
    talked = truth[-2 if len(history.years) > 1 else -1] > 0
    assert state.reachable(year_2026, 0, 0) is (not talked)


def test_the_search_bound_covers_the_largest_published_sum() -> None:
    """The hypothesis property's example (harness, not pipeline): 'other departments' s = 2
    shown '< 3' next to Afdeling 1 '3+' and the exact total 7. With every atom bounded by
    2k = 6 the search could not give Afdeling 1 all 7, so 'other departments' looked to be at
    least 1 - a false finding. The bound now covers the largest published sum."""
    history = History(departments(42, 8), ("p", "s"), (Q4,), (REPORT_2026,),
                      DisclosureRules(first_quarter="2026-Q1"))
    findings, state = attack(history, (0, 5, 0, 2))
    no_findings(findings)
    assert state.bound >= 7


# --- edits after a report (issue 12, "still open"): a closing date moved back, an erasure ---

Q1_2027 = "2027-Q1"
PRODUCTIE_KANTOOR = (DepartmentFacts(1, "Productie", 30), DepartmentFacts(2, "Kantoor", 20))
# the 2027 cases close in May 2027 (ordinary closings, recorded on the day)
CLOSINGS_2027 = Closings(date(2027, 6, 1), date(2027, 5, 3), ((1, "p", Q1_2027),
                                                              (2, "p", Q1_2027)))


def edits_history(edit: Closings | Erasures | OpeningsMoved, **atoms: Any) -> History:
    """Registry from 2026-Q4 (the auditor is told 1 January, see the late-registration test).
    Productie and Kantoor p: 3 and 3 in 2026-Q4 and in 2027-Q1; the 2026 report shows 'open
    on 31 December 2026' 6; then ``edit`` (1 February 2027); then some 2027 cases are closed
    in May, and the 2027 report repeats 'carried over from 2026' 6."""
    return History(
        PRODUCTIE_KANTOOR, ("p",), ("2026-Q4", Q1_2027),
        (REPORT_2026, edit, CLOSINGS_2027, Report(2027, date(2028, 1, 15))),
        DisclosureRules(first_quarter="2026-Q1"), **atoms,
    )


def carried_over(state: Attack) -> tuple[str, ...]:
    key = [b[4] for b in state.expected[-1] if isinstance(b, tuple) and b[0] == "key_figures"]
    assert key, state.expected[-1]
    shown: tuple[str, ...] = dict(key[0])["Carried over from 2026"]
    return shown


@pytest.mark.parametrize("moved", [0, 1, 2])
def test_a_closing_date_moved_back_after_the_report_is_not_given_away_by_the_next_report(
    moved: int,
) -> None:
    """After the 2026 report (6 cases open on 31 December) the counsellor closes 0-2 of
    Productie's 2026-Q4 cases with a closing date in December 2026. The 2027 report repeats
    'carried over from 2026' because 2026 published its open cases - but counted it again
    (6 - moved): the difference gave the closings away. A closing recorded after the final
    report of a year that counted the case open at its end now counts from the day it was
    recorded (``core.facts.as_counted``): carried over stays 6, the cases close in 2027
    among that year's other closings."""
    closed_back = (1, "p", "2026-Q4")
    history = edits_history(Closings(date(2027, 2, 1), date(2026, 12, 20), (closed_back,)),
                            closed=(closed_back, (1, "p", Q1_2027), (2, "p", Q1_2027)))
    # variables: 4 atoms, then the closings of (1 p Q4), (1 p Q1), (2 p Q1)
    findings, state = attack(history, (3, 3, 3, 3, moved, 1, 1))
    no_findings(findings)
    assert carried_over(state) == ("6",)  # as published for 2026


@pytest.mark.parametrize("erased", [0, 1, 2])
def test_an_erasure_after_the_report_is_not_given_away_by_the_next_report(
    erased: int,
) -> None:
    """After the 2026 report (6 cases open on 31 December) the counsellor erases 0-2 of
    Productie's open 2026-Q4 cases (the person asked). 'Carried over from 2026' in the 2027
    report dropped by the number erased. The service now keeps, of an erased case that a
    final report counted open at its year's end, that fact only (the year, the day it
    counts as closed: ``core.facts.erasure_of``), without any identifying content: it stays
    carried over and counts as closed, outcome not recorded, on its erasure day."""
    erased_atom = (1, "p", "2026-Q4")
    history = edits_history(Erasures(date(2027, 2, 1)), erased=(erased_atom,),
                            closed=((1, "p", Q1_2027), (2, "p", Q1_2027)))
    # variables: 4 atoms, the closings of (1 p Q1) and (2 p Q1), the erasures of (1 p Q4)
    # (base: the cases that stay; the erased ones come on top)
    findings, state = attack(history, (3 - erased, 3, 3, 3, 1, 1, erased))
    no_findings(findings)
    assert carried_over(state) == ("6",)  # as published for 2026


@pytest.mark.parametrize("moved", [0, 1, 2])
@pytest.mark.parametrize("direction", ["out of 2026", "into 2026"])
def test_an_opening_date_moved_across_the_year_after_the_report_is_not_given_away(
    moved: int, direction: str,
) -> None:
    """After the 2026 report the counsellor moves the opening date of 0-2 of Productie's
    cases across the year's end: out of 2026-Q4 into 2027-Q1 (the report counted them open
    on 31 December), or from 2027-Q1 (registered before the report) back into 2026-Q4.
    'Carried over from 2026' counted them again (6 - moved, 6 + moved). The date a final
    report counted now stays (``core.facts.opening_after_edit``); a case no final report
    counted, moved into a reported year, counts from the edit's day."""
    q4, q1 = (1, "p", "2026-Q4"), (1, "p", Q1_2027)
    source, target = (q4, q1) if direction == "out of 2026" else (q1, q4)
    history = edits_history(OpeningsMoved(date(2027, 2, 1)), moves=((source, target),),
                            closed=((1, "p", Q1_2027), (2, "p", Q1_2027)))
    # variables: 4 atoms, the moves of the source, the closings of (1 p Q1) and (2 p Q1)
    findings, state = attack(history, (3, 3, 3, 3, moved, 1, 1))
    no_findings(findings)
    assert carried_over(state) == ("6",)  # as published for 2026


@pytest.mark.parametrize("reopened", [0, 1, 2])
def test_a_case_reopened_after_the_report_is_not_given_away_by_the_next_report(
    reopened: int,
) -> None:
    """Two of Productie's 2026-Q4 cases and one of Kantoor's are closed in November 2026,
    before the 2026 report ('open on 31 December 2026' 3, 'closed' 3); after it the
    counsellor reopens 0-2 of Productie's. 'Carried over from 2026' counted them as open
    again (3 + reopened). The closing date a final report counted now stays in the figures
    (``core.facts.closing_after_reopen``). The units of the closings themselves are left
    out: the exact organisation total 'closed' bounds them, as DESIGN section 4 allows."""
    q4, other = (1, "p", "2026-Q4"), (2, "p", "2026-Q4")
    history = History(
        PRODUCTIE_KANTOOR, ("p",), ("2026-Q4", Q1_2027),
        (Closings(date(2026, 11, 30), date(2026, 11, 30), (q4, other)), REPORT_2026,
         Reopenings(date(2027, 2, 1), (q4,)), CLOSINGS_2027, Report(2027, date(2028, 1, 15))),
        DisclosureRules(first_quarter="2026-Q1"),
        closed=(q4, other, (1, "p", Q1_2027), (2, "p", Q1_2027)), reopened=(q4,),
    )
    # variables: 4 atoms, the closings of (1 p Q4), (2 p Q4), (1 p Q1), (2 p Q1), reopened
    findings, state = attack(history, (3, 3, 3, 3, 2, 1, 1, 1, reopened),
                             only=lambda name: "closed after" not in name)
    no_findings(findings)
    assert carried_over(state) == ("3",)  # as published for 2026


# --- edits after a signal release, before the year's final report (session 7) -------------

CONCENTRATION_P = frozenset((kind, "p") for kind in ("concentration", "rise"))
SIGNALS_2027 = Signals(date(2027, 1, 1), CONCENTRATION_P)


def signal_edits_history(edit: OpeningsMoved | Erasures | LateCases, **atoms: Any) -> History:
    """Productie and Kantoor p: 3 and 3 in 2026-Q4 (the auditor is told the registry started
    on 1 January 2026). The 1 January 2027 review releases both concentrations over 2026
    ('3-4'); ``edit`` on 5 January; the 2026 report on 15 January 2027 - whose exact
    organisation total 6 the two bands allow."""
    return History(
        PRODUCTIE_KANTOOR, ("p",), ("2026-Q4", Q1_2027),
        (SIGNALS_2027, edit, REPORT_2026),
        DisclosureRules(first_quarter="2026-Q1"), **atoms,
    )


@pytest.mark.parametrize("moved", [0, 1, 2])
@pytest.mark.parametrize("direction", ["out of the window", "into the window"])
def test_an_opening_date_moved_after_a_signal_release_is_not_given_away_by_the_report(
    moved: int, direction: str,
) -> None:
    """Decisions 'Edits after a report' item 6. After the 1 January 2027 signals the
    counsellor moves the opening date of 0-2 of Productie's cases out of the released window
    (2026-Q4 -> 2027-Q1) or into it (2027-Q1, registered before, -> 2026-Q4). The 2026 report
    counted them again: out of the window it was refused (6 - moved contradicts both bands:
    the refusal said 'at least one moved'), into it the total grew. The first release
    counting a quarter is now treated like a final report for it (``core.facts.Published``):
    the date it counted stays, a case moved into it counts from the edit's day."""
    q4, q1 = (1, "p", "2026-Q4"), (1, "p", Q1_2027)
    source, target = (q4, q1) if direction == "out of the window" else (q1, q4)
    history = signal_edits_history(OpeningsMoved(date(2027, 1, 5)), moves=((source, target),))
    truth = (3, 0, 3, 0, moved) if source == q4 else (3, 2, 3, 0, moved)
    findings, state = attack(history, truth)
    no_findings(findings)
    assert state.expected[-1] != ("report refused", 2026, 1)


@pytest.mark.parametrize("late", [0, 1, 2])
def test_a_case_registered_after_a_signal_release_is_not_given_away_by_the_report(
    late: int,
) -> None:
    """0-2 Productie cases opened in 2026-Q4 are registered on 5 January 2027, after the
    signals over 2026 were released. Counted in 2026-Q4 they made the report's total
    contradict the bands; they now count from their registration day (2027-Q1)."""
    history = signal_edits_history(LateCases(on=date(2027, 1, 5)), late=((1, "p", "2026-Q4"),))
    findings, state = attack(history, (3, 0, 3, 0, late))
    no_findings(findings)
    assert state.expected[-1] != ("report refused", 2026, 1)


def two_categories_history(edit: OpeningsMoved | Erasures, **atoms: Any) -> History:
    """Productie and Kantoor, categories p and s, cases in 2026-Q4 only (the auditor is told
    the registry started on 1 January 2026). The 1 January 2027 review releases both
    concentrations of p over 2026 ('3-4') and holds every slot (s too: its answers go to the
    ledger unseen); ``edit`` on 5 January; the 2026 report on 15 January 2027."""
    return History(
        PRODUCTIE_KANTOOR, ("p", "s"), ("2026-Q4",),
        (SIGNALS_2027, edit, REPORT_2026),
        DisclosureRules(first_quarter="2026-Q1"), **atoms,
    )


ERASED_ATOMS = ((1, "p", "2026-Q4"), (1, "s", "2026-Q4"))


@pytest.mark.parametrize("erased", [(1, 0), (2, 0), (0, 1)])
def test_an_erasure_after_a_signal_release_is_not_given_away_by_the_report(
    erased: tuple[int, int],
) -> None:
    """The person asks to erase 1-2 of Productie's 2026-Q4 cases on 5 January 2027, after the
    signals over 2026 ('3-4' for p in both groups). The 2026 report counted 6 - erased for p,
    which contradicts the bands, and was refused - but published when the erased case was
    an s case: the refusal said in which category (and so department cell) the erased case
    had been. Now (option (b), session 8) the erasure keeps only 'a case of 2026-Q4 was
    erased after that quarter's first release' (``core.facts.erased_quarter``: dates, as the
    audit log shows) and the report withholds every figure over the year's quarters -
    whichever case it was. That an erasure happened is public (the audit log), so the
    number erased is not a unit here: with both atoms erasable neither is narrowed."""
    history = two_categories_history(Erasures(date(2027, 1, 5)), erased=ERASED_ATOMS)
    # variables: (1 p), (1 s), (2 p), (2 s) in 2026-Q4 (the cases that stay), the erasures
    # of (1 p) and (1 s) (Productie had 3 p and 1 s cases before)
    findings, state = attack(history, (3 - erased[0], 1 - erased[1], 3, 0, *erased))
    no_findings(findings)
    report = state.expected[-1]
    assert report != ("report refused", 2026, 1)
    assert any(isinstance(block, str) and "was erased" in block for block in report)


def test_an_erasure_before_any_release_of_its_quarter_withholds_nothing() -> None:
    """The same erasure before the signals (31 December 2026): every release counts the
    remaining cases, nothing is recounted, and the report shows its department table."""
    history = History(
        PRODUCTIE_KANTOOR, ("p", "s"), ("2026-Q4",),
        (Erasures(date(2026, 12, 31)), SIGNALS_2027, REPORT_2026),
        DisclosureRules(first_quarter="2026-Q1"), erased=ERASED_ATOMS,
    )
    findings, state = attack(history, (2, 1, 3, 0, 1, 0))
    no_findings(findings)
    report = state.expected[-1]
    assert not any(isinstance(block, str) and "was erased" in block for block in report)
    assert any(isinstance(block, tuple) and block[0] == "departments" for block in report)


@pytest.mark.parametrize("moved", [0, 1, 2])
@pytest.mark.parametrize("target", [(1, "s", "2026-Q4"), (2, "s", "2026-Q4")],
                         ids=["category", "department and category"])
def test_a_department_or_category_changed_after_a_signal_release_is_not_given_away(
    moved: int, target: tuple[int, str, str],
) -> None:
    """After the 1 January 2027 signals ('3-4' for p in both groups) the counsellor changes
    0-2 of Productie's 2026-Q4 p cases to category s (and to Kantoor). The 2026 report
    recounted them under the new category: p's total 6 - moved contradicts the bands and
    the report was refused for 1 or 2, published for 0. The department and categories a
    release counted now stay inside the case's encrypted listing and the figures count them
    (``core.facts.grouping_after_edit``, session 8)."""
    history = two_categories_history(OpeningsMoved(date(2027, 1, 5)),
                                     moves=(((1, "p", "2026-Q4"), target),))
    findings, state = attack(history, (3, 0, 3, 0, moved))
    no_findings(findings)
    assert state.expected[-1] != ("report refused", 2026, 1)


def test_a_review_after_a_merge_does_not_pin_the_merged_departments() -> None:
    """Found by the randomized erasing property (seed 2, session 9) in a world that held no
    2027-Q1: registry from 2026-Q1; p cases in 2026-Q4: Afdeling 1 0, Afdeling 2 (8
    employees, 'Other departments' alone) 1, Afdeling 3 (12) 2. The 1 January 2027 review
    releases nothing (each group under 3); the headcounts change to 40/5/5, so Other
    departments = Afdeling 2 + 3; the 2026 report shows only 'x'; the 1 April review releases
    'Other departments p 3+' over 2026-Q2..2027-Q1. Without 2027-Q1 in the world the search
    was told that quarter held no case, and the '3+' then pinned each part to 1..2. A reader
    does not know 2027-Q1 (nothing released counts it alone), and with it in the world no
    table is pinned: the world must hold every quarter a release's window covers."""
    history = History(
        departments(30, 8, 12), ("p",), (Q4, Q1_2027),
        (SIGNALS_Q4, Headcounts(departments(40, 5, 5)), REPORT_2026, SIGNALS_Q1_2027),
        DisclosureRules(first_quarter="2026-Q1"),
    )
    findings, state = attack(history, (0, 0, 1, 0, 2, 0), budget=3000)
    no_findings(findings)
    assert state.expected[-1][0][4] == "3+"  # the April review did release the concentration


OPEN_COUNT_LEAK = (
    "open leak (disc, session 11): the number of cases erased - a retention purge's audited "
    "count, or the case.erase entries - is an exact organisation total over a quarter that no "
    "auditor sees; next to the 1 January review's absent signals ('< 3' for every group) it "
    "pins each group to 1..2 (docs/decisions.md, 'A leak after an erasure found by the "
    "randomized attacker')")
RETENTION_WORLD = History(
    departments(42, 8), ("p",), (Q4,),
    (Closings(date(2026, 12, 20), date(2026, 12, 20), ((1, "p", Q4), (2, "p", Q4))),
     SIGNALS_Q4, Headcounts(departments(45, 5)), REPORT_2026,
     Erase(date(2027, 1, 25), months=1), LateCases(), Report(2026, date(2027, 2, 1), version=2)),
    DisclosureRules(first_quarter="2026-Q1"),
    moves=(((2, "p", Q4), (1, "p", Q4)),), closed=((1, "p", Q4), (2, "p", Q4)),
)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=OPEN_COUNT_LEAK)
def test_a_retention_purge_after_a_silent_review_does_not_place_the_closings() -> None:
    """Found by the randomized erasing property (dev profile, session 11), exactly as drawn:
    registry from 2026-Q1; p cases in 2026-Q4: Afdeling 1 (42) 2, Afdeling 2 (8, 'Other
    departments') 2; on 20 December 2026 2 of Afdeling 1's and 1 of Afdeling 2's are closed;
    the 1 January 2027 review releases nothing (each group under 3 over 2026); headcounts
    45/5 (the same two groups); the 2026 report (every department figure and 'closed' 'x');
    retention purges the 3 closed cases on 25 January 2027 and audits their count (public to
    this reader); a correction moves one of Afdeling 2's cases to Afdeling 1 and version 2
    repeats version 1. Each group under 3 and 3 closed pins 'closed in D1' and 'closed in D2'
    (and each group's 2026 p cases) to 1..2. The headcounts, the move and version 2 play no
    part: without them the same units are pinned; without the review or the purge, none.
    Strict: passes once the leak is fixed (then drop the mark)."""
    # variables: base (1 p Q4), base (2 p Q4), moved from (2 p Q4), closed of (1 p Q4) and
    # (2 p Q4); as the property judges: only exhaustive findings
    findings, _ = attack(RETENTION_WORLD, (2, 2, 1, 2, 1), budget=ERASING_BUDGET)
    no_findings([f for f in findings if f.exhausted])


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=OPEN_COUNT_LEAK)
@pytest.mark.parametrize("erased_on", [date(2027, 1, 5), date(2027, 1, 25)],
                         ids=["before the report", "after the report"])
def test_an_erasure_on_request_after_a_silent_review_does_not_place_the_erased(
    erased_on: date,
) -> None:
    """The same leak without retention (session 11, built by hand; the erasing property can
    draw it): Afdeling 1 2 and Afdeling 2 1 p cases in 2026-Q4, the 1 January review
    releases nothing, then all 3 are erased on request (3 case.erase entries in the audit
    log, public to this reader) before or after the 2026 report."""
    steps = ((SIGNALS_Q4, Erasures(erased_on), REPORT_2026) if erased_on.day == 5
             else (SIGNALS_Q4, REPORT_2026, Erasures(erased_on)))
    history = History(departments(42, 8), ("p",), (Q4,), steps,
                      DisclosureRules(first_quarter="2026-Q1"),
                      erased=((1, "p", Q4), (2, "p", Q4)))
    # variables: base (1 p Q4), base (2 p Q4) (the cases that stay), erased of each
    findings, _ = attack(history, (0, 0, 2, 1), budget=ERASING_BUDGET)
    no_findings([f for f in findings if f.exhausted])


def test_a_drawn_truth_holds_each_years_conversations_in_a_case_of_that_world() -> None:
    """The randomized erasing property (seed 7, session 11) drew 2027 conversations in a
    world whose cases were all 0 (three departments, 2026-Q4 and 2027-Q1, a retention purge,
    the April review): ``_valid_truth`` made only 2026's conversations need a case, so the
    truth was no data set and ``Attack`` failed its own check - a harness failure, not a
    finding. Every year's conversations now need a case opened by its end."""
    quarters = (Q4, Q1_2027)
    atoms = tuple((d, "p", Q4) for d in (1, 2, 3))
    history = History(
        departments(34, 8, 8), ("p",), quarters,
        (Closings(date(2026, 12, 20), date(2026, 12, 20), atoms), SIGNALS_Q4, REPORT_2026,
         Erase(date(2027, 1, 25), months=1), SIGNALS_Q1_2027),
        DisclosureRules(first_quarter="2026-Q1"), talks=True, closed=atoms,
    )
    truth = _valid_truth(history, [0] * 10 + [1])
    assert truth[-1] == 0
    assert Pipeline(history).run(truth) is not None
    # a 2026 case that is not closed (so never purged) holds them
    assert _valid_truth(history, [1] + [0] * 9 + [1])[-1] == 1
