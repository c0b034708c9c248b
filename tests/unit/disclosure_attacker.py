"""An attacker who knows the release algorithm (issue 12): brute force over consistent data.

The linear attacker in ``test_disclosure_properties.py`` checks what the *figures* give away.
A manager who has read the (open source) code learns more: every decision the pipeline takes -
which complement it adds, whether a table is withheld or a report refused, which signal exists
(a rise means ``now - 2 x before >= k + 1`` since session 8; ``now >= 2 x before`` and
``now - before >= 2`` before) - is a function of the data.
This harness plays that manager:

1. A :class:`History` is a small organisation (raw departments with public headcounts, which
   may change between steps: merges and splits of department groups), a *world* of integer
   variables (case counts per atom department x category x quarter; optionally cases
   registered late, which a correction of a finalised report adds, or registered on a given
   day after their year's report (``LateCases(on=...)``: the pipeline counts them from that
   day); optionally a retention erasure; optionally the conversations of each year,
   ``talks``) and a sequence of steps: quarterly signal releases (the counsellor offers a public
   set of (kind, category) candidates whenever they exist), annual reports and corrections.
2. :func:`observe` runs the REAL release path on one data set -
   ``services.signals.reviewing.basis_of`` / ``publication`` and the auditor (the Flask- and
   database-free steps of ``services.signals.publishing.release``), ``core.report.build_report`` and
   the auditor as ``services.reports.finalising.finalise`` runs it - and returns exactly what a
   manager sees: released signals (kind, group, category, period, band, previous band), every
   visible block of every report version (paragraphs, table cells as displayed, ``x`` marks), or
   "refused".
3. :func:`attack` searches, for every protected *unit* (a department group of any step, or a
   single raw department, x a category x a quarter or the year; for corrections also the late
   cases and the corrected totals), the set of values it takes over all data sets that
   reproduce the manager's view exactly, and reports every unit whose set neither contains
   all of ``0..k-1`` nor lies at or above ``k`` (zero is protected like ``1..k-1``).

Search, not blind enumeration: a data set can only reproduce the view when it satisfies
every released figure (the pipeline only shows true intervals; the auditor refuses an
``incorrect_figure``), so candidates are enumerated by branch and bound over those linear
constraints plus "unit == v", nearest to the true data first, and the pipeline is re-run only
on them (step by step, stopping at the first step whose view differs; results memoised per
step input). A value is *possible* once one candidate reproduces the view; it is *impossible*
only when every candidate was tried. A search that exceeds its budget is reported as
inconclusive (``Finding.exhausted`` False), never silently as safe or unsafe.

Bound and what it misses: every variable ranges over ``0..bound`` (default ``2k``). Values up
to ``2k`` suffice for the criterion: "some consistent data set gives the unit 0, 1, .. k-1" is
witnessed by small tables, and "the unit can reach k" by a table whose unit holds exactly k
(<= 2k per atom whenever a figure does not force more). What it misses: data sets needing an
atom above the bound (a cell shown ``10+`` or an exact ``12``); scenarios therefore keep
exact figures below the bound (the truth draws values up to ``k + 2``), and a unit that is
only reachable with bigger atoms can at worst be reported as a (false) leak, never hidden.
The world assumes no cases outside its quarters: before them that is public (the registry
started then); after them it is not, so a world must hold every quarter that a release's
window covers (else the search is told a later quarter held none: a false finding).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from heapq import heappop, heappush
from itertools import count, product
from types import SimpleNamespace
from typing import Any

from vp_registry.core.casework import add_months
from vp_registry.core.disclosure import (
    CellKey,
    DisclosureRules,
    Figure,
    RuleConstraint,
    audit,
    merge_departments,
    parse_quarter,
)
from vp_registry.core.facts import (
    CaseFacts,
    ContactFacts,
    DepartmentFacts,
    ErasedCases,
    Published,
    as_counted,
    closing_after_reopen,
    counts_from,
    erased_facts,
    erased_quarter,
    erasure_of,
    grouping_after_edit,
    opening_after_edit,
)
from vp_registry.core.report import (
    ORGANISATION_LEVEL,
    AnnualReport,
    FrozenAggregates,
    ReportRefused,
    ReportTable,
    ReportTexts,
    build_report,
    report_true_counts,
)
from vp_registry.core.signals import rise_rule
from vp_registry.services.infrastructure import retention
from vp_registry.services.signals import publishing, reviewing

Observation = tuple[Any, ...]
Var = int


# --------------------------------------------------------------------------------------------
# Scenario
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signals:
    """Quarterly signal releases on ``today``: every existing candidate in ``offer`` is offered."""

    today: date
    offer: frozenset[tuple[str, str]]  # (kind, category)


@dataclass(frozen=True)
class Report:
    """Finalise the annual report of ``year`` on ``today`` (version 1, or a correction)."""

    year: int
    today: date
    version: int = 1


@dataclass(frozen=True)
class Headcounts:
    """The organisation changes (public): new headcounts, hence possibly other groups."""

    departments: tuple[DepartmentFacts, ...]


@dataclass(frozen=True)
class LateCases:
    """From now on the late cases of the world exist (registered after a report, same year).

    ``on``: the day they were registered (the pipeline counts a case registered after its
    year's final report as opened that day, ``core.facts.as_counted``); None: the harness
    does not model the registration day (a correction of the same year, which repeats its
    figures anyway).
    """

    on: date | None = None


@dataclass(frozen=True)
class Erase:
    """Retention on ``on`` (``services.infrastructure.retention.purge``): every case closed
    (as recorded) on or before ``on`` minus ``months`` months whose counted years all have a
    final report (``retention._all_counted_years_reported``, the service's own rule) is
    shredded from now on; of each the harness keeps what the service's
    ``services.cases.erasures.keep_counted`` keeps (``core.facts.erasure_of``: a case a final
    report counted open at its year's end; ``erased_quarter``: its quarter, when a release
    had counted it). Only closed cases go: the cases :class:`Closings` closed."""

    on: date
    months: int = 1


@dataclass(frozen=True)
class Closings:
    """On ``on`` the counsellor closes the world's ``close`` cases of ``atoms`` (the first
    ones of each atom) with the closing date ``closed_on`` - possibly inside a year whose
    final report counted them open at its end (a closing date moved back after a report)."""

    on: date
    closed_on: date
    atoms: tuple[CellKey, ...]


@dataclass(frozen=True)
class Erasures:
    """On ``on`` the counsellor erases the world's ``erase`` cases of each atom in
    ``History.erased`` (they come after its ``base`` cases, which stay), e.g. on the
    person's request; the service keeps what ``services.cases.erasures.keep_counted`` keeps
    of each (``core.facts.erasure_of``, ``erased_quarter``: :func:`_kept`)."""

    on: date


@dataclass(frozen=True)
class Reopenings:
    """On ``on`` the counsellor reopens the world's ``reopen`` cases of ``atoms`` (the first
    of those a :class:`Closings` step closed; ``core.facts.closing_after_reopen`` says which
    closing the figures keep)."""

    on: date
    atoms: tuple[CellKey, ...]


@dataclass(frozen=True)
class OpeningsMoved:
    """On ``on`` the counsellor changes the opening date, department and category (and so the
    atom) of the world's ``move`` cases of each ``History.moves`` source to the target's
    (``core.facts.opening_after_edit`` and ``grouping_after_edit`` say which date,
    department and categories the figures count; a target in the source's quarter changes
    only the department and/or category)."""

    on: date


Step = (Signals | Report | Headcounts | LateCases | Erase | Closings | Erasures | Reopenings
        | OpeningsMoved)


@dataclass(frozen=True)
class History:
    departments: tuple[DepartmentFacts, ...]
    categories: tuple[str, ...]
    quarters: tuple[str, ...]  # the quarters with cases (the registry started with the first)
    steps: tuple[Step, ...]
    rules: DisclosureRules = field(default_factory=DisclosureRules)
    late: tuple[CellKey, ...] = ()  # atoms that may receive late cases (a correction)
    moves: tuple[tuple[CellKey, CellKey], ...] = ()  # a correction moves cases from -> to
    # conversations: one variable per year, the number of conversations held in it (all with
    # the first case open in that year; a year with conversations and no case is no data set)
    talks: bool = False
    closed: tuple[CellKey, ...] = ()  # atoms whose cases a Closings step may close
    erased: tuple[CellKey, ...] = ()  # atoms whose cases the Erasures step may erase
    reopened: tuple[CellKey, ...] = ()  # atoms whose closed cases a Reopenings step reopens

    @property
    def atoms(self) -> tuple[CellKey, ...]:
        return tuple(
            (d.department_id, c, q)
            for d in self.departments for c in self.categories for q in self.quarters
        )

    @property
    def variables(self) -> tuple[tuple[str, CellKey], ...]:
        return (*(("base", a) for a in self.atoms), *(("late", a) for a in self.late),
                *(("move", a) for a, _ in self.moves),
                *(("close", a) for a in self.closed), *(("erase", a) for a in self.erased),
                *(("reopen", a) for a in self.reopened),
                *(("talk", (ORGANISATION_LEVEL, "conversations", str(y))) for y in self.years
                  if self.talks))

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({parse_quarter(q)[0] for q in self.quarters}))


def _first_day(quarter: str) -> date:
    year, number = parse_quarter(quarter)
    return date(year, 3 * number - 2, 1)


Known = tuple[tuple[tuple[int, datetime], ...], tuple[tuple[tuple[int, int], datetime], ...]]
"""The publication moments known at an edit (years' final reports, released quarters)."""


def _known(published: Published) -> Known:
    return tuple(sorted(published.items())), tuple(sorted(published.quarters.items()))


def _published(known: Known) -> Published:
    return Published(dict(known[0]), dict(known[1]))


def _publish_quarters(published: Published, figures: Sequence[Figure], moment: datetime) -> None:
    """The quarters ``figures`` count, first released at ``moment`` (as the service reads
    them from the ledger: ``services.reports.counting.finalised_moments``)."""
    for figure in figures:
        for _, _, period in figure.cells:
            try:
                quarter = parse_quarter(period)
            except ValueError:
                continue
            published.quarters.setdefault(quarter, moment)


class Invalid(Exception):
    """Values that are no data set of the world: an edit of more cases than an atom holds
    (see :func:`_edited`), or conversations in a year without a case to hold them."""


Identity = tuple[str, CellKey, int]
"""A case of the world: (``"base"`` or ``"late"``, its atom, its position in the atom) - the
same case in every step, whatever the edits did to it."""


@dataclass(frozen=True)
class Edits:
    """The edits made so far: closings (date recorded, closing date, atoms), erasures."""

    closings: tuple[Closings, ...] = ()
    erase: str = "keep"  # "keep": not erased yet; "drop": erased; "only": the erased ones
    # reopenings and opening-date edits, with the publication moments known then (_known)
    reopenings: tuple[tuple[Reopenings, Known], ...] = ()
    moved: tuple[tuple[OpeningsMoved, Known], ...] = ()
    purged: frozenset[Identity] = frozenset()  # the cases retention shredded (Erase)
    purge_ran: bool = False  # an Erase step ran (whether or not it found a due case)


def _edited(history: History, counts: Sequence[int], index: Mapping[tuple[str, CellKey], int],
            atom: CellKey, edits: Edits, *, late: bool
            ) -> list[tuple[int, CaseFacts, bool]]:
    """The cases of one base atom after the edits: (position, case, may be erased).

    The world's cases of an atom are fixed, whatever happens to them: the ``base`` ones and,
    after them, the ``erase`` ones an :class:`Erasures` step erases on request (so the atom
    held ``base + erase`` cases until then, and ``base`` after: both linear in the
    variables, the search's constraints on either side of the erasure). A :class:`Closings`
    step closes (and a :class:`Reopenings` reopens) the first ``close`` (``reopen``) ones, a
    move - a correction's (``late``) or an :class:`OpeningsMoved` - takes the first ``move``
    ones to the target atom, and retention (:class:`Erase`) only ever shreds closed ones.
    So a data set needs ``close <= base`` and ``move <= base`` (an erased case is neither
    closed nor moved; a moved case may be closed); other values are :class:`Invalid` - in
    every step, so a candidate is judged the same whichever step it fails at. "May be
    erased": the history erases it on request, or it is closed and the history has a
    retention purge (such a case holds no conversation, :func:`_with_talks`).
    """
    kept = counts[index[("base", atom)]]
    close, erased, moving, reopen = (counts[index[(kind, atom)]] if (kind, atom) in index
                                     else 0 for kind in ("close", "erase", "move", "reopen"))
    if max(close, moving) > kept:
        raise Invalid()  # an edit of more cases than the atom holds: no such data set
    n = kept + erased
    closing = {a: step for step in edits.closings for a in step.atoms}
    closed = close if atom in closing else 0
    retention = any(isinstance(step, Erase) for step in history.steps)
    start = _first_day(atom[2])
    found: list[tuple[int, CaseFacts, bool]] = []
    for i in range(n):
        gone = i >= kept
        if (edits.erase == "drop" and gone) or (edits.erase == "only" and not gone):
            continue
        case = CaseFacts(0, start + timedelta(days=i), None, atom[0], (atom[1],))
        if i < closed:
            step = closing[atom]
            case = replace(case, closed_on=step.closed_on,
                           closed_recorded_at=datetime.combine(step.on, time(12)))
        case = _moved(case, i, moving, atom, history, edits, late=late)
        found.append((i, _reopened(case, i < min(closed, reopen), atom, edits),
                      gone or (retention and i < close)))
    return found


def _reopened(case: CaseFacts, closed: bool, atom: CellKey, edits: Edits) -> CaseFacts:
    for step, known in edits.reopenings:
        if closed and atom in step.atoms:
            finalised = _published(known)
            moment = datetime.combine(step.on, time(12))
            counted = as_counted([case], finalised)[0]
            case = replace(case, closed_on=None, closed_recorded_at=None,
                           counted_closed_on=closing_after_reopen(counted, moment, finalised))
    return case


def _moved(case: CaseFacts, i: int, moving: int, atom: CellKey, history: History,
           edits: Edits, *, late: bool) -> CaseFacts:
    """The case after a move: a correction's (after :class:`LateCases`: the data as they
    are, nothing kept) or an :class:`OpeningsMoved` edit's (what a release counted kept)."""
    targets = {source: target for source, target in history.moves}
    if atom not in targets or i >= moving or not (edits.moved or late):
        return case
    target = targets[atom]
    new = replace(case, opened_on=_first_day(target[2]) + timedelta(days=i),
                  department_id=target[0], categories=(target[1],))
    if not edits.moved:
        return new
    step, known = edits.moved[-1]
    finalised = _published(known)
    counted = as_counted([case], finalised)[0]
    moment = datetime.combine(step.on, time(12))
    # one edit: the opening date and the department/category, each kept as counted when a
    # release counted it (core.facts.opening_after_edit / grouping_after_edit)
    return replace(new, counted_opened_on=opening_after_edit(
        counted, new.opened_on, moment, finalised), counted_grouping=grouping_after_edit(
        counted, new.department_id, new.categories, moment, finalised))


def _world(history: History, values: Sequence[int], *, late: bool, late_on: date | None,
           edits: Edits) -> list[tuple[Identity, CaseFacts, bool]]:
    """Every case that exists now (retention's purges not taken out yet), with its
    identity and whether it may be erased (:func:`_edited`)."""
    index = {v: i for i, v in enumerate(history.variables)}
    found: list[tuple[Identity, CaseFacts, bool]] = []
    for (kind, atom), n in zip(history.variables, values, strict=True):
        if kind == "base":
            found += [((kind, atom, i), case, erasable) for i, case, erasable
                      in _edited(history, values, index, atom, edits, late=late)]
        elif kind == "late" and late and edits.erase != "only":
            start = _first_day(atom[2]) + timedelta(days=40)
            registered = datetime.combine(late_on, time(12)) if late_on else None
            found += [((kind, atom, i), CaseFacts(0, start + timedelta(days=i), None, atom[0],
                                                  (atom[1],), registered_at=registered), False)
                      for i in range(n)]
    return found


def _cases(history: History, values: Sequence[int], *, late: bool,
           late_on: date | None = None, edits: Edits | None = None) -> list[CaseFacts]:
    """One single-category case per unit of count; opened on the quarter's first days.

    After :class:`LateCases`, late cases exist (registered ``late_on``, if it is modelled)
    and a correction's moved cases are in their new atom. ``edits``: cases closed, moved,
    reopened, erased on request (:class:`Erasures`; ``erase == "only"``: just those, without
    conversations) and shredded by retention (:class:`Erase`) so far. A year's
    conversations are held with its first case that the history never erases
    (:func:`_with_talks`).
    """
    edits = edits or Edits()
    world = [(case, erasable) for identity, case, erasable
             in _world(history, values, late=late, late_on=late_on, edits=edits)
             if identity not in edits.purged]
    cases = [replace(case, case_id=i + 1) for i, (case, _) in enumerate(world)]
    if edits.erase == "only":
        return cases
    talks = [(int(atom[2]), n) for (kind, atom), n in zip(history.variables, values, strict=True)
             if kind == "talk"]
    holders = [case for case, (_, erasable) in zip(cases, world, strict=True) if not erasable]
    return _with_talks(cases, talks, holders)


def _with_talks(cases: list[CaseFacts], talks: Sequence[tuple[int, int]],
                holders: Sequence[CaseFacts]) -> list[CaseFacts]:
    """The year's conversations, held with the first of ``holders`` open in the year.

    A conversation belongs to a case and goes with it when the case is erased, so the
    holders are the cases the history never erases (on request or by retention): the talk
    variable is then the year's conversations in every step, before and after an erasure.
    A year with conversations and no such case is no data set of the world (:class:`Invalid`)."""
    for year, n in talks:
        if not n:
            continue
        open_then = [c for c in holders if c.opened_on <= date(year, 12, 31)]
        if not open_then:
            raise Invalid()  # a conversation belongs to a case
        first = min(open_then, key=lambda c: (c.opened_on, c.case_id))
        held = max(first.opened_on, date(year, 1, 1))
        talk = tuple(ContactFacts(held, 30, "in_person") for _ in range(n))
        position = next(i for i, c in enumerate(cases) if c.case_id == first.case_id)
        cases[position] = replace(cases[position], contacts=cases[position].contacts + talk)
    return cases


# --------------------------------------------------------------------------------------------
# The real release path, as a manager sees it
# --------------------------------------------------------------------------------------------


def release_signal(
    basis: reviewing.SignalBasis, candidate: Any, ledger: Sequence[Figure],
    rules: Sequence[RuleConstraint] = (),
) -> tuple[bool, Sequence[Figure], Observation, tuple[RuleConstraint, ...]]:
    """The Flask-free steps of ``services.signals.publishing.release``: (released?, figures,
    view, the rules it adds to the ledger) (``audit_release``: refused when some band the
    candidate could have had would leak; a rise's inequalities go to the ledger with its
    figures)."""
    published, result = publishing.audit_release(basis, candidate, ledger, rules)
    view = (published.kind, published.group_label, published.category,
            published.period_label, published.band, published.previous_band)
    return result.ok, published.figures, view, published.constraints


def report_view(report: Any) -> Observation:
    """Every block a manager sees in a report (all formats print exactly these strings)."""
    blocks: list[Any] = [report.title, report.version, report.legend]
    for section in report.sections:
        blocks.append(section.title)
        for block in section.blocks:
            if isinstance(block, ReportTable):
                blocks.append((block.key, block.title, block.columns, block.note, tuple(
                    (row.label, tuple(cell.display for cell in row.cells)) for row in block.rows
                )))
            else:
                blocks.append(block)
    return tuple(blocks)


def finalise_report(history: History, step: Report, facts: list[CaseFacts],
                    departments: Sequence[DepartmentFacts], ledger: Sequence[Figure],
                    corrects: AnnualReport | None = None,
                    rules: Sequence[RuleConstraint] = (),
                    previous: Mapping[int, FrozenAggregates] | None = None,
                    erased_quarters: frozenset[str] = frozenset(),
                    ) -> tuple[bool, Sequence[Figure], Observation, AnnualReport | None]:
    """``build_report`` + the auditor on its figures, as ``services.reports.finalising.finalise``
    (a correction gets the latest final version of its year, as the service passes it;
    ``rules``: the published rules in the ledger, which ``ledger.check`` adds; ``previous``:
    the frozen aggregates of earlier final reports; the registry starts with the world's
    first quarter, the public ``REGISTRY_START``; ``erased_quarters``: the quarters a case
    was erased from after their first release, as the service keeps them)."""
    if step.version > 1 and corrects is None:  # nothing final to correct
        return False, (), ("report refused", step.year, step.version), None
    try:
        report = build_report(
            step.year, facts, departments, [(c, c) for c in history.categories], [], [],
            dict(previous or {}), ReportTexts("intro", "advice"), history.rules, ledger, "en",
            draft=False, version=step.version, issued_on=step.today, corrects=corrects,
            registry_start=_first_day(history.quarters[0]), erased_quarters=erased_quarters,
            constraints=rules,  # the ledger's rules, as finalising passes them
        )
    except ReportRefused:
        return False, (), ("report refused", step.year, step.version), None
    result = audit(report.figures, ledger, report_true_counts(step.year, facts), history.rules,
                   constraints=rules)
    if not result.ok:
        return False, (), ("report refused", step.year, step.version), None
    return True, report.figures, report_view(report), report


@dataclass
class Run:
    """One data set through the history: the manager's view, and the figures per step."""

    view: list[Observation] = field(default_factory=list)
    figures: list[tuple[Figure, tuple[int, ...]]] = field(default_factory=list)


class Pipeline:
    """Runs histories on data sets, memoised per step on the step's whole input."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.memo: dict[Any, tuple[bool, tuple[Figure, ...], Observation, Any, Any]] = {}
        self.unseen: set[Figure] = set()  # a review's answers: in the ledger, not shown
        # released figures (a concentration released as 'k+' equals the review's answer)
        self.shown: set[Figure] = set()
        self.runs = 0

    def run(self, values: Sequence[int], expected: Sequence[Observation] | None = None,
            record: bool = False) -> Run | None:
        """The view of ``values``; None as soon as it differs from ``expected``."""
        h = self.history
        departments = h.departments
        late = False
        late_on: date | None = None
        ledger: list[Figure] = []
        rules: list[RuleConstraint] = []  # published rules in the ledger (a rise's)
        finals: dict[int, AnnualReport] = {}  # the latest final version per year
        # when the first final version was finalised; the quarters: when first released
        finalised = Published()
        edits = Edits()
        kept: list[ErasedCases] = []  # what the service keeps of erased cases
        erased_quarters: frozenset[str] = frozenset()  # erased from after a release
        out = Run()
        self.runs += 1
        index_of = {v: i for i, v in enumerate(h.variables)}
        for step in h.steps:
            if isinstance(step, Headcounts):
                departments = step.departments
                continue
            if isinstance(step, LateCases):
                late, late_on = True, step.on
                continue
            try:
                if isinstance(step, Closings):
                    edits = replace(edits, closings=(*edits.closings, step))
                    continue
                if isinstance(step, Reopenings):
                    known = _known(finalised)
                    edits = replace(edits, reopenings=(*edits.reopenings, (step, known)))
                    continue
                if isinstance(step, OpeningsMoved):
                    known = _known(finalised)
                    edits = replace(edits, moved=(*edits.moved, (step, known)))
                    continue
                if isinstance(step, Erasures):
                    tally, quarters = _erase(h, values, step, finalised, late=late,
                                             late_on=late_on, edits=edits)
                    kept += tally
                    erased_quarters |= quarters
                    edits = replace(edits, erase="drop")
                    continue
                if isinstance(step, Erase):
                    tally, quarters, purged = _purge(h, values, step, finalised, late=late,
                                                     late_on=late_on, edits=edits)
                    kept += tally
                    erased_quarters |= quarters
                    edits = replace(edits, purged=edits.purged | purged, purge_ran=True)
                    continue
                cases = _cases(h, values, late=late, late_on=late_on, edits=edits)
            except Invalid:
                return None
            # as the services count them (a case registered after its year's report: opened
            # on its registration day; a closing recorded after a report from that day; an
            # erased case that a report counted open at its year's end as kept)
            counted = as_counted(cases, finalised)
            if isinstance(step, Report):
                counted += erased_facts(kept, step.year)
            facts = [c for c in counted if c.opened_on < step.today]
            corrects = finals.get(step.year) if isinstance(step, Report) else None
            previous = ({y: r.aggregates for y, r in finals.items() if y < step.year}
                        if isinstance(step, Report) else {})
            key = (step, tuple(sorted(previous.items())),
                   tuple(sorted((c.department_id, c.categories, c.opened_on,
                                 c.closed_on is None, c.closed_on or date.min,
                                 tuple(t.held_on for t in c.contacts)) for c in facts)),
                   departments, tuple(ledger), tuple(rules),
                   None if corrects is None else report_view(corrects),
                   erased_quarters)
            views: list[Observation] = []
            if isinstance(step, Signals):
                cached = self.memo.get(key)
                if cached is None:
                    figures_out: list[Figure] = []
                    rules_out: list[RuleConstraint] = []
                    step_ledger = list(ledger)
                    step_rules = list(rules)
                    grouping = merge_departments(departments, h.rules)
                    # erased quarters: no slot over them (edits, session 8)
                    basis = reviewing.basis_of(facts, grouping, h.rules, step.today,
                                               {c: c for c in h.categories}, erased_quarters)
                    # the review's answers (issue 12): the held slots' "< k" / "k+" go to
                    # the ledger; the reader sees only what is released (not recorded
                    # as search constraints: a data set with other answers may look the same)
                    answered = reviewing.review_answers(basis, step_ledger, step_rules)
                    step_ledger.extend(answered.figures)
                    figures_out.extend(answered.figures)
                    self.unseen.update(answered.figures)
                    # the held rise slots' rules: the rise's or its absence's (session 8)
                    step_rules.extend(answered.constraints)
                    rules_out.extend(answered.constraints)
                    offered = sorted((c for c in reviewing.offered(basis.candidates, answered)
                                      if c.releasable and (c.kind, c.category) in step.offer),
                                     key=lambda c: c.key)
                    for candidate in offered:
                        ok, figures, view, added = release_signal(basis, candidate, step_ledger,
                                                                  step_rules)
                        if ok:
                            self.shown.update(figures)
                            step_ledger.extend(figures)
                            step_rules.extend(added)
                            figures_out.extend(figures)
                            rules_out.extend(added)
                            views.append(view)
                    cached = (True, tuple(figures_out), tuple(sorted(views, key=repr)), None,
                              tuple(rules_out))
                    self.memo[key] = cached
            else:
                cached = self.memo.get(key)
                if cached is None:
                    ok, figures, view, report = finalise_report(
                        h, step, facts, departments, ledger,
                        corrects if step.version > 1 else None, rules, previous,
                        erased_quarters)
                    cached = (ok, tuple(figures), view, report, ())
                    self.memo[key] = cached
            _, figures, view, report, added_rules = cached
            if report is not None:
                finals[report.year] = report
                finalised.setdefault(report.year, datetime.combine(step.today, time(9)))
            _publish_quarters(finalised, figures, datetime.combine(step.today, time(9)))
            position = len(out.view)
            if expected is not None and expected[position] != view:
                return None
            out.view.append(view)
            ledger.extend(figures)
            rules.extend(added_rules)
            if record:
                for f in figures:
                    if f in self.unseen and f not in self.shown:
                        continue
                    variables = _variables_of(f, h, index_of, late=late, today=step.today,
                                              moved=_moved_late(h, late_on, finalised),
                                              edited=_edited_atoms(h, edits),
                                              erasing=edits.erase == "keep")
                    if variables is not None:
                        out.figures.append((f, variables))
        return out


def _edited_atoms(h: History, edits: Edits) -> set[CellKey]:
    """Atoms whose department figures are no plain sum of world variables after the edits."""
    found: set[CellKey] = set()
    if edits.purge_ran:  # retention shredded closed cases of these (how many: the data's)
        found |= set(h.closed)
    if edits.moved:
        found |= {a for pair in h.moves for a in pair}
    return found


def _erase(h: History, values: Sequence[int], step: Erasures,
           finalised: Mapping[int, datetime], **state: Any
           ) -> tuple[list[ErasedCases], frozenset[str]]:
    """What the service keeps of the cases erased on ``step.on`` (``core.facts.erasure_of``
    on each, as counted at that moment), and the quarters erased from after a release
    counted them (``core.facts.erased_quarter``: dates only)."""
    gone = _cases(h, values, **{**state, "edits": replace(state["edits"], erase="only")})
    return _kept(gone, datetime.combine(step.on, time(12)), finalised)


def _purge(h: History, values: Sequence[int], step: Erase, finalised: Published, *,
           late: bool, late_on: date | None, edits: Edits
           ) -> tuple[list[ErasedCases], frozenset[str], frozenset[Identity]]:
    """Retention's purge on ``step.on``, as ``services.infrastructure.retention`` decides it
    (``due_cases`` / ``erase``: closed as recorded, the closing at or before the cutoff, and
    every year the case counts in reported - the service's ``_all_counted_years_reported``
    on the case's plaintext dates), and what ``shred`` keeps of the due cases (the same
    ``keep_counted`` as an erasure on request: :func:`_kept`)."""
    cutoff = add_months(step.on, -step.months)
    reported = set(finalised)  # the years with a final report (every step ran in order)
    due = [(identity, case) for identity, case, _ in _world(h, values, late=late,
                                                             late_on=late_on, edits=edits)
           if identity not in edits.purged and case.closed_on is not None
           and case.closed_on <= cutoff
           and retention._all_counted_years_reported(_dated_row(case), reported, finalised)]
    tally, quarters = _kept([case for _, case in due], datetime.combine(step.on, time(12)),
                            finalised)
    return tally, quarters, frozenset(identity for identity, _ in due)


def _dated_row(case: CaseFacts) -> SimpleNamespace:
    """The plaintext date columns the service reads of a case (``dating.DATE_COLUMNS``)."""
    return SimpleNamespace(id=case.case_id, opened_on=case.opened_on, closed_on=case.closed_on,
                           created_at=case.registered_at,
                           closed_recorded_at=case.closed_recorded_at,
                           counted_opened_on=case.counted_opened_on,
                           counted_closed_on=case.counted_closed_on)


def _kept(gone: Sequence[CaseFacts], moment: datetime, finalised: Mapping[int, datetime]
          ) -> tuple[list[ErasedCases], frozenset[str]]:
    """What ``services.cases.erasures.keep_counted`` keeps of the cases shredded at
    ``moment`` (nothing when nothing was published), read from their dates as counted."""
    kept: dict[tuple[int, date], int] = {}
    if not finalised:
        return [], frozenset()
    quarters: set[str] = set()
    for case in as_counted(gone, finalised):
        found = erasure_of(case, moment, finalised)
        if found is not None:
            kept[found] = kept.get(found, 0) + 1
        released = erased_quarter(case, moment, finalised)
        if released is not None:
            quarters.add(f"{released[0]}-Q{released[1]}")
    return ([ErasedCases(year, closed, n) for (year, closed), n in sorted(kept.items())],
            frozenset(quarters))


def _moved_late(h: History, late_on: date | None,
                finalised: Mapping[int, datetime]) -> dict[CellKey, tuple[CellKey, date]]:
    """Late atoms whose cases count from their registration day (``as_counted``): the atom
    they count in and that day."""
    if late_on is None:
        return {}
    registered = datetime.combine(late_on, time(12))
    day = counts_from(registered, finalised)
    quarter = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    released = {q for q, m in getattr(finalised, "quarters", {}).items() if m <= registered}
    return {a: ((a[0], a[1], quarter), day) for a in h.late
            if any(m <= registered and y >= parse_quarter(a[2])[0]
                   for y, m in finalised.items()) or parse_quarter(a[2]) in released}


def _variables_of(f: Figure, h: History, index_of: Mapping[tuple[str, CellKey], int], *,
                  late: bool, today: date,
                  moved: Mapping[CellKey, tuple[CellKey, date]] | None = None,
                  edited: set[CellKey] | None = None, erasing: bool = True,
                  ) -> tuple[int, ...] | None:
    """The world variables a figure sums (None when it is not a sum of world atoms).

    ``moved``: late atoms counted in another atom from their registration day; ``edited``:
    atoms that lost cases to retention or a move (no plain sum any more); ``erasing``: the
    cases an :class:`Erasures` step erases still exist (an atom's ``erase`` variable counts).
    """
    found: list[int] = []
    shifted = ({a for pair in h.moves for a in pair} if late else set()) | (edited or set())
    counted = dict(moved or {})
    years = {q[:4] for _, name, q in f.cells if name == "key:conversations"}
    if h.talks and len(years) == 1 and all(a[1] == "key:conversations" for a in f.cells):
        # the year's conversations: exactly its talk variable (a search constraint)
        return (index_of[("talk", (ORGANISATION_LEVEL, "conversations", years.pop()))],)
    for atom in f.cells:
        if atom[0] < 0 or atom in shifted:
            return None  # organisation-level pseudo atoms, or not a plain sum after a move
        sources = [("base", atom, _first_day(atom[2]))]
        if erasing:
            sources.append(("erase", atom, _first_day(atom[2])))
        if late:
            sources += [("late", a, _first_day(a[2]) + timedelta(days=40))
                        for a in h.late if (counted[a][0] if a in counted else a) == atom]
        for kind, source, opened in sources:
            i = index_of.get((kind, source))
            counts_from = counted[source][1] if kind == "late" and source in counted else opened
            if i is None or counts_from >= today:
                continue
            found.append(i)
    return tuple(sorted(found))


# --------------------------------------------------------------------------------------------
# Search over consistent data sets
# --------------------------------------------------------------------------------------------

Constraint = tuple[tuple[Var, ...], int, int | None]


def _propagate(constraints: Sequence[Constraint], lo: list[int], hi: list[int]) -> bool:
    changed = True
    while changed:
        changed = False
        for variables, low, high in constraints:
            min_sum = sum(lo[v] for v in variables)
            max_sum = sum(hi[v] for v in variables)
            if (high is not None and min_sum > high) or max_sum < low:
                return False
            for v in variables:
                if high is not None and high - (min_sum - lo[v]) < hi[v]:
                    hi[v] = high - (min_sum - lo[v])
                    max_sum = sum(hi[w] for w in variables)
                    changed = True
                if low - (max_sum - hi[v]) > lo[v]:
                    lo[v] = low - (max_sum - hi[v])
                    min_sum = sum(lo[w] for w in variables)
                    changed = True
                if lo[v] > hi[v]:
                    return False
    return True


def candidates(constraints: Sequence[Constraint], truth: Sequence[int],
               bound: int) -> Iterator[tuple[int, ...]]:
    """Every integer table in [0, bound]^n satisfying the constraints, nearest to truth first:
    by the sum of the distances of its variables to the truth's. Best first over boxes
    (each node of the walk visited once, the box with the least distance any table in it can
    have first; a variable's values nearest first among equals). A walk by variables alone
    tried every value of the last variables before a second one moved, so a table one step
    away in two variables (an erased case counted in another atom) came after hundreds."""
    n = len(truth)

    def least(lo: list[int], hi: list[int]) -> int:
        return sum(max(lo[v] - truth[v], truth[v] - hi[v], 0) for v in range(n))

    lo, hi = [0] * n, [bound] * n
    if not _propagate(constraints, lo, hi):
        return
    queue: list[tuple[int, int, list[int], list[int]]] = [(least(lo, hi), 0, lo, hi)]
    order = count(1)
    while queue:
        _, _, lo, hi = heappop(queue)
        open_vars = [v for v in range(n) if lo[v] < hi[v]]
        if not open_vars:
            yield tuple(lo)
            continue
        v = min(open_vars, key=lambda i: (hi[i] - lo[i], i))
        for value in sorted(range(lo[v], hi[v] + 1), key=lambda x: (abs(x - truth[v]), x)):
            lo2, hi2 = list(lo), list(hi)
            lo2[v] = hi2[v] = value
            if _propagate(constraints, lo2, hi2):
                heappush(queue, (least(lo2, hi2), next(order), lo2, hi2))


@dataclass(frozen=True)
class Finding:
    unit: str
    variables: tuple[Var, ...]
    truth: int
    possible: frozenset[int]  # values found possible below k (and k meaning ">= k")
    exhausted: bool  # every consistent candidate was tried for the missing values

    def __str__(self) -> str:
        shown = sorted(self.possible)
        return (f"{self.unit}: true {self.truth}, a reader who knows the algorithm can only "
                f"have {shown} (k = '>= k'){'' if self.exhausted else ' (search budget hit)'}")


@dataclass
class Attack:
    history: History
    truth: tuple[int, ...]
    bound: int
    budget: int = 400
    pipeline: Pipeline = field(init=False)
    expected: list[Observation] = field(init=False)
    constraints: list[Constraint] = field(init=False)
    matching: set[tuple[int, ...]] = field(init=False)

    def __post_init__(self) -> None:
        self.pipeline = Pipeline(self.history)
        run = self.pipeline.run(self.truth, record=True)
        assert run is not None
        self.expected = run.view
        self.constraints = sorted({(v, f.low, f.high) for f, v in run.figures if v}, key=repr)
        # an exact (or lower-bounded) sum above the bound needs atoms up to that sum: without
        # them a unit next to it looks pinned (total 7 over 2k = 6: '0' unreachable)
        self.bound = max(self.bound, *(low for _, low, _ in self.constraints), *self.truth)
        self.matching = {self.truth}

    def matches(self, values: tuple[int, ...]) -> bool:
        if values in self.matching:
            return True
        if self.pipeline.run(values, self.expected) is not None:
            self.matching.add(values)
            return True
        return False

    def reachable(self, unit: tuple[Var, ...], low: int, high: int | None) -> bool | None:
        """Can a data set reproducing the view give ``unit`` a value in [low, high]?"""
        for values in self.matching:
            total = sum(values[v] for v in unit)
            if total >= low and (high is None or total <= high):
                return True
        search = candidates([*self.constraints, (unit, low, high)], self.truth, self.bound)
        for tried, values in enumerate(search, 1):
            if self.matches(values):
                return True
            if tried >= self.budget:
                return None
        return False

    def check(self, name: str, unit: tuple[Var, ...], k: int) -> Finding | None:
        truth = sum(self.truth[v] for v in unit)
        possible: set[int] = set()
        exhausted = True
        for value in range(k):
            found = self.reachable(unit, value, value)
            if found:
                possible.add(value)
            exhausted &= found is not None
        if len(possible) == k:
            return None
        if not possible and exhausted:
            return None  # lies at or above k
        reach = self.reachable(unit, k, None)
        if reach:
            possible.add(k)
        return Finding(name, unit, truth, frozenset(possible), exhausted and reach is not None)


def units(history: History) -> list[tuple[str, tuple[Var, ...]]]:
    """Protected units: department groups shown by some step x a category x a period.

    Department sets: the groups of every grouping with a breakdown (before and after each
    headcount change) and the differences of nested ones (a department split off a merged
    group), never the whole organisation (organisation-wide totals per year may be exact, and
    they bound every department: an organisation total of 1 leaves each department 0 or 1,
    which DESIGN section 4 accepts when no department figure is shown). Periods: each quarter
    and the whole year of the world's quarters. For corrections also the late cases (the
    change a correction makes), base + late, and the number of moved cases.
    """
    h = history
    index = {v: i for i, v in enumerate(h.variables)}
    dept_sets: set[frozenset[int]] = set()
    organisations = [h.departments] + [s.departments for s in h.steps
                                       if isinstance(s, Headcounts)]
    for departments in organisations:
        grouping = merge_departments(departments, h.rules)
        if grouping.breakdown_allowed:
            dept_sets |= {g.department_ids for g in grouping.groups.values()}
    dept_sets |= {a - b for a in dept_sets for b in dept_sets if b < a}
    everybody = frozenset(d.department_id for d in h.departments)
    dept_sets.discard(everybody)
    periods = [(q, (q,)) for q in h.quarters]
    years = sorted({parse_quarter(q)[0] for q in h.quarters})
    periods += [(str(y), tuple(q for q in h.quarters if parse_quarter(q)[0] == y)) for y in years]
    found: list[tuple[str, tuple[Var, ...]]] = []
    for depts, cat, (plabel, quarters) in product(sorted(dept_sets, key=sorted), h.categories,
                                                  periods):
        atoms = [(d, cat, q) for d in sorted(depts) for q in quarters]
        label = f"D{'+'.join(map(str, sorted(depts)))} · {cat} · {plabel}"
        # an atom's cases: its base ones and those erased on request (Erasures)
        base = tuple(sorted(index[(kind, a)] for kind in ("base", "erase") for a in atoms
                            if (kind, a) in index))
        late = tuple(index[("late", a)] for a in atoms if ("late", a) in index)
        found.append((label, base))
        if late:
            found.append((label + " (late cases)", late))
            found.append((label + " (with late cases)", base + late))
    for source, target in h.moves:
        found.append((f"cases moved from {source} to {target}", (index[("move", source)],)))
    if any(isinstance(step, Erase) for step in h.steps):  # retention shreds closed cases
        found += _edit_units(h, index, "close", h.closed, dept_sets | {everybody},
                             "closed")
    else:
        found += [(f"cases of {a} closed after a report", (index[("close", a)],))
                  for a in h.closed]
    found += _edit_units(h, index, "erase", h.erased, dept_sets | {everybody}, "erased")
    for atom in h.reopened:
        found.append((f"cases of {atom} reopened after a report", (index[("reopen", atom)],)))
    return found


def _edit_units(h: History, index: Mapping[tuple[str, CellKey], int], kind: str,
                atoms: Sequence[CellKey], dept_sets: set[frozenset[int]], what: str,
                ) -> list[tuple[str, tuple[Var, ...]]]:
    """Where the cases an edit took were (``kind`` "erase", or "close" before a retention
    purge), when the atoms span several departments: per department group; in one
    department (fixed worlds): per atom. Never all the atoms: how many were erased or
    closed is public (:func:`_public_totals`)."""
    found: list[tuple[str, tuple[Var, ...]]] = []
    if len({a[0] for a in atoms}) > 1:
        for depts in sorted(dept_sets, key=sorted):
            group = tuple(index[(kind, a)] for a in atoms if a[0] in depts)
            if group and len(group) < len(atoms):
                found.append((f"cases {what} in D{'+'.join(map(str, sorted(depts)))}", group))
    elif len(atoms) > 1:
        found += [(f"cases of {a} {what} after a report", (index[(kind, a)],)) for a in atoms]
    return found


def _public_totals(history: History, state: Attack) -> dict[str, int]:
    """How many cases the history erases on request - public: each erasure is an entry in
    the audit log - and, in a history with a retention purge, how many it closes (the
    report's exact organisation total "closed", and the purge's audited count): search
    constraints too. Only where they were is not public."""
    totals: dict[str, int] = {}
    retention = any(isinstance(step, Erase) for step in history.steps)
    for kind in ("erase", "close") if retention else ("erase",):
        edited = tuple(i for i, (k, _) in enumerate(history.variables) if k == kind)
        if edited:
            totals[kind] = sum(state.truth[i] for i in edited)
            state.constraints.append((edited, totals[kind], totals[kind]))
    return totals


def _rise_bound(history: History) -> int:
    """The smallest count of a quarter that rises after k - 1 cases (the rise rule,
    ``core.signals.rise_rule``; 8 for k = 3): a rise's "up from k - 1" needs an atom that
    large, or a quarter before a rise would look pinned below k - 1 (0 when histories offer
    no rise)."""
    if not any(isinstance(s, Signals) and any(kind == "rise" for kind, _ in s.offer)
               for s in history.steps):
        return 0
    rule, k = rise_rule(history.rules.k), history.rules.k
    return next(now for now in range(k, 10 * k) if rule.fires(now, k - 1))


def attack(history: History, truth: Sequence[int], *, bound: int | None = None,
           budget: int = 400,
           only: Callable[[str], bool] | None = None) -> tuple[list[Finding], Attack]:
    """Every unit a reader who knows the algorithm narrows; see the module docstring."""
    k = history.rules.k
    if history.rules.first_quarter is None:  # the registry's start is public (docstring)
        history = replace(history, rules=replace(history.rules,
                                                 first_quarter=history.quarters[0]))
    bound = max(bound if bound is not None else 2 * k, _rise_bound(history))
    state = Attack(history, tuple(truth), bound, budget)
    totals = _public_totals(history, state)
    findings = []
    for name, unit in units(history):
        if only is not None and not only(name):
            continue
        # where erased (closed) cases were: every number up to the public total is possible
        kind = "erase" if " erased " in name else "close" if " closed " in name else None
        finding = state.check(name, unit, min(k, totals[kind] + 1) if kind in totals else k)
        if finding is not None:
            findings.append(finding)
    return findings, state
