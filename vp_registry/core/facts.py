"""Decrypted, in-memory view of a case used by signal detection and the annual report.

Services build these from decrypted rows; the core computes on them and never sees ciphertext
or a database. They are plain frozen dataclasses so tests can write them by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime


@dataclass(frozen=True)
class ContactFacts:
    held_on: date
    minutes: int
    channel: str  # taxonomy.Channel value


@dataclass(frozen=True)
class CaseFacts:
    case_id: int
    opened_on: date
    closed_on: date | None
    department_id: int
    categories: tuple[str, ...]  # category codes, at least one
    relation: str | None = None  # taxonomy.Relation value
    outcome: str | None = None  # taxonomy.Outcome value, set at closing
    referral: str | None = None  # taxonomy.Referral value
    gender: str | None = None
    employment_type: str | None = None
    minutes_spent: int = 0
    contacts: tuple[ContactFacts, ...] = field(default_factory=tuple)
    # keyed blind index of the normalised name of the person involved (counsellor-only use)
    involved_person_index: str | None = None
    # when the case was registered (UTC, the row's creation); None: on its opening day
    registered_at: datetime | None = None
    # when its closing was recorded (UTC); None: on its closing day (or not known)
    closed_recorded_at: datetime | None = None
    # the opening / closing date the figures count instead of the recorded one, kept when an
    # edit after a final report would have moved a published figure (opening_after_edit,
    # closing_after_reopen); None: the recorded date
    counted_opened_on: date | None = None
    counted_closed_on: date | None = None
    # the department and categories the figures count instead of the recorded ones, kept
    # when they changed after a release had counted the case's opening quarter
    # (grouping_after_edit). Case content: only ever inside the case's encrypted listing.
    counted_grouping: tuple[int, tuple[str, ...]] | None = None


class Published(dict[int, datetime]):
    """When figures were first published, for the edit rules (issue 12): per year the moment
    its first final report was finalised (the mapping, as ``finalised`` always was), and per
    quarter ``(year, number)`` the moment of the first ledger release - a signal or a
    review's answers - whose figures count that quarter (``quarters``).

    A plain ``dict[int, datetime]`` works wherever this does (years only, as before)."""

    def __init__(self, years: Mapping[int, datetime] | None = None,
                 quarters: Mapping[tuple[int, int], datetime] | None = None) -> None:
        super().__init__(years or {})
        self.quarters: dict[tuple[int, int], datetime] = dict(quarters or {})

    def __bool__(self) -> bool:
        return bool(len(self) or self.quarters)

    def __repr__(self) -> str:
        return f"Published({dict(self)!r}, quarters={self.quarters!r})"


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _released(finalised: Mapping[int, datetime], moment: datetime) -> set[tuple[int, int]]:
    """The quarters a ledger release had counted by ``moment`` (none for a plain mapping)."""
    quarters = finalised.quarters if isinstance(finalised, Published) else {}
    return {quarter for quarter, at in quarters.items() if at <= moment}


@dataclass(frozen=True)
class DepartmentFacts:
    department_id: int
    name: str
    headcount: int
    parent_id: int | None = None
    active: bool = True


def as_counted(cases: Iterable[CaseFacts],
               finalised: Mapping[int, datetime]) -> list[CaseFacts]:
    """The cases as every published figure counts them (issue 12, docs/decisions.md).

    A figure of a period that a final annual report covered never moves through an edit made
    after that report; the edit counts from the day it was recorded instead:

    * A case registered after the final report of a year in which it was open (registered
      late, or its opening date moved back into that year) was not counted by that report.
      Counting it there now would change what the next report repeats from it - "carried
      over from Y-1" against the published "open on 31 December Y-1" - and so give the
      late case away. It counts, in every later figure (reports, signals), as opened on the
      day it was registered, and closed no earlier than that day.
    * A closing recorded after the final report of a year that counted the case open at its
      end (a closing date inside that year, entered later) counts from the day it was
      recorded: the case stays "carried over" as published, and closes then.
    * An opening date changed, or a case reopened, after a final report that counted it:
      the dates that report counted stay (``counted_opened_on``, ``counted_closed_on``:
      :func:`opening_after_edit`, :func:`closing_after_reopen`).

    ``finalised`` maps a year to the moment its first final report was finalised; the
    decisions use those moments and the recording times only, never a count. Erased cases:
    :func:`erasure_of`.

    A signal release covers its quarters earlier than the report (session 7): with a
    :class:`Published` ``finalised``, the first ledger release counting a quarter (a signal,
    a review's answers) is treated like a final report for that quarter - a case registered
    after it with an opening date in that quarter counts from its registration day, and an
    opening date moved after it keeps the date the release counted (signals count a case by
    its department, category and opening quarter only, so closings are not concerned).
    """
    return [_frozen(_closing_as_counted(_as_counted(_opened(_grouped(case)), finalised),
                                        finalised))
            for case in cases]


def _grouped(case: CaseFacts) -> CaseFacts:
    if case.counted_grouping is None:
        return case
    department, categories = case.counted_grouping
    return replace(case, department_id=department, categories=categories)


def grouping_after_edit(case: CaseFacts, department_id: int, categories: Iterable[str],
                        edited_at: datetime, finalised: Mapping[int, datetime]
                        ) -> tuple[int, tuple[str, ...]] | None:
    """The department and categories the figures count when those of ``case`` (as counted
    before the edit) change to ``department_id`` / ``categories`` at ``edited_at`` - None:
    the new ones (issue 12, session 8).

    Every figure counts a case by its department, categories and opening quarter only. Once
    a release (a signal, a review's answers, a report) counted that quarter, a later figure
    over it - the year's department table and category totals, a signal window - would
    count the case under the new department or categories, and the difference from the
    released figure would give the edit away (or make the later figure contradict the
    ledger and be refused). So the ones counted then stay: ``case``'s own, or None when the
    edit puts back exactly what is counted. Decided from the release moments and the case's
    plaintext dates; the kept values are case content and are only ever stored inside the
    case's encrypted listing (``services.cases.codec``).
    """
    new = (department_id, tuple(categories))
    counted = (case.department_id, case.categories)
    if (new[0], sorted(new[1])) == (counted[0], sorted(counted[1])):
        return None
    year = case.opened_on.year
    final = finalised.get(year)
    if (final is not None and final <= edited_at) or \
            quarter_of(case.opened_on) in _released(finalised, edited_at):
        return counted
    return None


def _opened(case: CaseFacts) -> CaseFacts:
    if case.counted_opened_on is None:
        return case
    opened = case.counted_opened_on
    closed = None if case.closed_on is None else max(case.closed_on, opened)
    return replace(case, opened_on=opened, closed_on=closed)


def _frozen(case: CaseFacts) -> CaseFacts:
    if case.counted_closed_on is None:
        return case
    return replace(case, closed_on=max(case.counted_closed_on, case.opened_on))


def opening_after_edit(case: CaseFacts, opened_on: date, edited_at: datetime,
                       finalised: Mapping[int, datetime]) -> date | None:
    """The opening date the figures count when the opening date of ``case`` (as counted
    before the edit) is changed to ``opened_on`` at ``edited_at`` - None: ``opened_on``.

    A final report that counted the case keeps its date (the next report's "carried over"
    and the released quarters count it there); a case no final report counted, moved into
    a year already reported, counts from the edit's day, like a late registration. A
    quarter a signal release (or a review's answers) counted before the edit is kept the
    same way (:class:`Published`).
    """
    covered = [year for year, at in finalised.items() if at <= edited_at]
    released = _released(finalised, edited_at)
    if any(_open_in(case, year) for year in covered) or quarter_of(case.opened_on) in released:
        return case.opened_on
    moved = replace(case, opened_on=opened_on)
    if any(_open_in(moved, year) for year in covered) or quarter_of(opened_on) in released:
        return counts_from(edited_at, finalised)
    return None


def closing_after_reopen(case: CaseFacts, reopened_at: datetime,
                         finalised: Mapping[int, datetime]) -> date | None:
    """The closing date the figures keep counting when ``case`` (as counted) is reopened at
    ``reopened_at``: its closing date, if a final report finalised by then counted it closed
    (opened and closed by that year's end) - the next report's "carried over" leaves it
    out, as that report's "open on 31 December" did; None: the case counts as open again."""
    closed = case.closed_on
    if closed is None:
        return None
    if any(at <= reopened_at and closed.year <= year and case.opened_on <= date(year, 12, 31)
           for year, at in finalised.items()):
        return closed
    return None


def counts_from(moment: datetime, finalised: Mapping[int, datetime]) -> date:
    """The day an edit made at ``moment`` counts from: that day, and never inside a year
    whose final report was finalised by then, nor inside a quarter a release counted."""
    covered = [year for year, at in finalised.items() if at <= moment]
    day = moment.date()
    if covered:
        day = max(day, date(max(covered) + 1, 1, 1))
    released = _released(finalised, moment)
    if released:
        year, number = max(released)
        after = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
        day = max(day, after)
    return day


def _as_counted(case: CaseFacts, finalised: Mapping[int, datetime]) -> CaseFacts:
    registered = case.registered_at
    if registered is None or not (any(
        moment <= registered and _open_in(case, year) for year, moment in finalised.items()
    ) or quarter_of(case.opened_on) in _released(finalised, registered)):
        return case
    day = counts_from(registered, finalised)
    closed = None if case.closed_on is None else max(case.closed_on, day)
    return replace(case, opened_on=day, closed_on=closed)


def _closing_as_counted(case: CaseFacts, finalised: Mapping[int, datetime]) -> CaseFacts:
    recorded, closed = case.closed_recorded_at, case.closed_on
    if recorded is None or closed is None or not any(
        moment <= recorded and case.opened_on <= date(year, 12, 31) and closed.year <= year
        for year, moment in finalised.items()
    ):
        return case
    return replace(case, closed_on=max(closed, counts_from(recorded, finalised)))


def _open_in(case: CaseFacts, year: int) -> bool:
    """Did the annual report of ``year`` count the case (opened, carried over or closed)?"""
    return case.opened_on <= date(year, 12, 31) and (
        case.closed_on is None or case.closed_on >= date(year, 1, 1))


def _open_at_end(case: CaseFacts, year: int) -> bool:
    end = date(year, 12, 31)
    return case.opened_on <= end and (case.closed_on is None or case.closed_on > end)


@dataclass(frozen=True)
class ErasedCases:
    """Erased cases that a final report counted open at the end of ``open_at_end_of``, and
    the day each counts as closed: all that is kept of them (``services.cases.shredding``)."""

    open_at_end_of: int
    closed_on: date
    cases: int


def erasure_of(case: CaseFacts, erased_at: datetime,
               finalised: Mapping[int, datetime]) -> tuple[int, date] | None:
    """What must be kept of ``case`` (as counted) when it is erased at ``erased_at``: the
    last year whose final report counted it open at the year's end, and the day it counts
    as closed (its closing, or the erasure's day) - or None when no later report counts it.

    A report repeats "carried over from Y" when Y's report published its open cases; an
    erased case of those would make it drop, and give the erasure away. Nothing else is
    needed: a year's other figures are never counted again, and a case closed in a year
    already final counts in no later report. Uses dates and finalisation moments only (no
    key: retention erases without one).
    """
    ends = [year for year, at in finalised.items()
            if at <= erased_at and _open_at_end(case, year)]
    if not ends:
        return None
    year = max(ends)
    following = finalised.get(year + 1)
    if following is not None and following <= erased_at:
        return None  # closed in year + 1 (else it would be open at its end): final already
    closed = case.closed_on if case.closed_on is not None else counts_from(erased_at, finalised)
    return year, closed


def erased_quarter(case: CaseFacts, erased_at: datetime,
                   finalised: Mapping[int, datetime]) -> tuple[int, int] | None:
    """The opening quarter of ``case`` (as counted) when it is erased at ``erased_at`` after
    a release (a signal, a review's answers, a report) counted that quarter - None otherwise
    (issue 12, session 8).

    A later figure over that quarter would count the remaining cases and so differ from (or
    contradict) the released one exactly where the erased case was counted. The erasure must
    really erase (I-4), so its department and categories are not kept; instead the fact
    "a case of this quarter was erased after its first release" - dates only, what the
    audit log's ``case.erase`` entry and the plaintext opening date already show - makes
    the later figures over the quarter withheld, whatever the case was
    (``erased_quarters`` of ``core.report.build_report``).
    """
    quarter = quarter_of(case.opened_on)
    return quarter if quarter in _released(finalised, erased_at) else None


def erased_facts(erased: Iterable[ErasedCases], year: int) -> list[CaseFacts]:
    """The erased cases a report of ``year`` counts: carried over from the year they were
    open at the end of (before ``year``), closed on their day with nothing recorded - no
    department, category, outcome or time (they never count as opened in a later year)."""
    found: list[CaseFacts] = []
    for group in erased:
        if group.open_at_end_of < year:
            found += [CaseFacts(-(len(found) + 1), date(group.open_at_end_of, 12, 31),
                                group.closed_on, 0, ()) for _ in range(group.cases)]
    return found
