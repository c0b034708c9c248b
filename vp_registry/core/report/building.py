"""build_report: the year's figures through disclosure control, one step per section.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from vp_registry.core.disclosure import (
    DisclosureRules,
    Figure,
    RuleConstraint,
)
from vp_registry.core.facts import CaseFacts, DepartmentFacts
from vp_registry.core.report.cells import (
    Release,
    count_heading,
    exact_cell,
    figure_cell,
    hours_cell,
    key_figure,
    paragraphs,
)
from vp_registry.core.report.correction import correction
from vp_registry.core.report.departments import DepartmentPart, department_part
from vp_registry.core.report.model import (
    MAX_EARLIER_YEARS,
    WITHHELD_MARK,
    ActivityFacts,
    AnnualReport,
    Block,
    CategoryTotal,
    FrozenAggregates,
    ReleasedSignalFacts,
    ReportCell,
    ReportRefused,
    ReportRow,
    ReportSection,
    ReportTable,
    ReportTexts,
)
from vp_registry.core.report.partitions import partition_table
from vp_registry.core.report.pulse_section import PulseFacts, pulse_section
from vp_registry.core.report.sections import activity_blocks, signal_blocks, trend_blocks
from vp_registry.core.report.tally import (
    CARRIED_FIGURES,
    CLOSED_PARTITIONS,
    DIMENSIONS,
    KEY_FIGURES,
    OPENED_FIGURES,
    OPENED_PARTITIONS,
    TIME_FIGURES,
    Tally,
    count_year,
    org_cells,
)
from vp_registry.core.report.words import (
    NOT_AVAILABLE_MARK,
    check_locale,
    minutes_to_hours,
    percent,
    text,
)
from vp_registry.core.taxonomy import (
    Outcome,
)


@dataclass(frozen=True)
class _Year:
    """What every step of one report shares: the year's counts and the public decisions."""

    year: int
    locale: str
    rules: DisclosureRules
    tally: Tally
    codes: tuple[str, ...]
    labels: dict[str, str]
    release: Release
    category_cells: dict[str, ReportCell]
    opened_public: bool
    withheld: frozenset[str]

    def word(self, key: str, **values: object) -> str:
        return text(self.locale, key, **values)

    def key(self, name: str) -> int:
        return self.tally.key[name]


def build_report(
    year: int,
    cases: Sequence[CaseFacts],
    departments: Sequence[DepartmentFacts],
    categories: Sequence[tuple[str, str]],
    activities: Sequence[ActivityFacts],
    signals: Sequence[ReleasedSignalFacts],
    previous_years: Mapping[int, FrozenAggregates],
    texts: ReportTexts,
    rules: DisclosureRules,
    ledger: Sequence[Figure],
    locale: str = "nl",
    *,
    organisation: str = "",
    draft: bool = True,
    version: int = 1,
    issued_on: date | None = None,
    include_gender: bool = True,
    include_employment: bool = True,
    corrects: AnnualReport | None = None,
    registry_start: date | None = None,
    pulse: PulseFacts | None = None,
    constraints: Sequence[RuleConstraint] = (),
    erased_quarters: Collection[str] = (),
) -> AnnualReport:
    """Build the annual report of ``year`` (see the package docstring for every rule).

    ``cases``: every case open at some time in the year (more may be passed; they are ignored);
    ``departments``: every department they refer to (inactive ones included); ``categories``: the
    (code, label) pairs in display order, labels in ``locale`` (a code missing there is shown under
    its code). ``previous_years``: the frozen aggregates of earlier final reports; ``ledger``:
    every figure released so far; ``registry_start`` (public, ``REGISTRY_START``): no case was
    opened before it; ``pulse`` (issue 16): the released pulse rounds, section 8; ``constraints``:
    the ledger's rules (a rise's inequalities); ``erased_quarters``: ``department_part`` (issue
    12). Raises :class:`ReportRefused` when the report would change or give away a figure,
    ValueError on inconsistent input.
    """
    _check_request(year, locale, version, corrects, previous_years)
    if corrects is not None:
        return correction(corrects, texts, locale, version=version, draft=draft,
                          issued_on=issued_on, organisation=organisation)
    tally = count_year(year, cases)
    codes, labels = _categories(categories, tally)
    # 5 first: the department table also yields the organisation totals per category (3, 6)
    department = department_part(locale, year, tally, departments, codes, labels, rules,
                                 ledger, constraints, erased_quarters=erased_quarters)
    the_year = _the_year(year, locale, rules, tally, codes, labels, ledger, department,
                         previous_years, registry_start)
    sections, aggregates = _sections(the_year, texts, department, activities, signals,
                                     previous_years, include_gender, include_employment)
    if pulse is not None:  # issue 16: released pulse rounds, after the signals (section 8)
        sections = _with_pulse(sections, pulse_section(locale, year, 8, pulse))
    if the_year.release.conflicts:
        raise ReportRefused("\n".join(the_year.release.conflicts))
    return AnnualReport(
        year=year, locale=locale, title=text(locale, "title", year=year),
        organisation=organisation, draft=draft, version=version, issued_on=issued_on,
        k=rules.k, legend=_legend(locale, rules.k), sections=sections,
        figures=(*department.figures, *the_year.release.figures), aggregates=aggregates,
    )


def _sections(the_year: _Year, texts: ReportTexts, department: DepartmentPart,
              activities: Sequence[ActivityFacts], signals: Sequence[ReleasedSignalFacts],
              previous_years: Mapping[int, FrozenAggregates], include_gender: bool,
              include_employment: bool) -> tuple[tuple[ReportSection, ...], FrozenAggregates]:
    """Sections 1-9 in reading order (the figures are released in this order) and the
    aggregates to freeze."""
    locale, year, word = the_year.locale, the_year.year, the_year.word
    key_section, activity_section, activity_minutes = _key_and_activity_sections(
        the_year, activities)
    aggregates = _aggregates(the_year, activity_minutes)
    previous = [previous_years[y] for y in sorted(previous_years)][-MAX_EARLIER_YEARS:]
    return (
        ReportSection("introduction", 1, word("s_introduction"),
                      paragraphs(texts.introduction, locale)),
        key_section,
        _category_section(the_year),
        _breakdown_section(the_year, include_gender, include_employment),
        ReportSection("departments", 5, word("s_departments"), department.blocks),
        ReportSection("trends", 6, word("s_trends"), trend_blocks(
            locale, year, previous, aggregates, the_year.codes, the_year.labels,
            the_year.category_cells)),
        ReportSection("signals", 7, word("s_signals"),
                      signal_blocks(locale, year, signals, the_year.rules)),
        activity_section,
        ReportSection("recommendations", 9, word("s_recommendations"),
                      paragraphs(texts.recommendations, locale)),
    ), aggregates


def _with_pulse(sections: tuple[ReportSection, ...], pulse: ReportSection
                ) -> tuple[ReportSection, ...]:
    """The pulse section after the signals; the sections after it move one number on."""
    at = next(i for i, s in enumerate(sections) if s.key == "signals") + 1
    later = tuple(ReportSection(s.key, s.number + 1, s.title, s.blocks) for s in sections[at:])
    return (*sections[:at], pulse, *later)


def _check_request(year: int, locale: str, version: int, corrects: AnnualReport | None,
                   previous_years: Mapping[int, FrozenAggregates]) -> None:
    check_locale(locale)
    if version < 1:
        raise ValueError("a report version starts at 1")
    if (version > 1) != (corrects is not None):
        raise ValueError("a correction (version 2 on) needs the version it corrects, "
                         "and only a correction takes one")
    if corrects is not None:
        if corrects.year != year:
            raise ValueError("a correction corrects a version of the same year")
        return
    for earlier_year, aggregates in previous_years.items():
        if earlier_year != aggregates.year or earlier_year >= year:
            raise ValueError(f"previous_years[{earlier_year}] must hold an earlier year's "
                             "frozen aggregates")


def _categories(categories: Sequence[tuple[str, str]], tally: Tally
                ) -> tuple[tuple[str, ...], dict[str, str]]:
    """The category codes in display order (unknown codes used by a case last) and labels."""
    labels = dict(categories)
    codes = list(labels)
    codes += sorted(set(tally.category_totals) - set(labels))
    for code in codes:
        labels.setdefault(code, code)
    return tuple(codes), labels


def _the_year(year: int, locale: str, rules: DisclosureRules, tally: Tally,
              codes: Sequence[str], labels: dict[str, str], ledger: Sequence[Figure],
              department: DepartmentPart, previous_years: Mapping[int, FrozenAggregates],
              registry_start: date | None) -> _Year:
    # no departments, so no cases: every total is a plain zero. Not "no figure released":
    # every column total can be withheld ('x') by earlier figures touching it (issue 12)
    if department.no_departments:
        category_cells = {c: exact_cell(0) for c in codes}
    else:
        category_cells = {c: figure_cell(department.category_figures[c]) for c in codes}
    # the number of cases opened in the year bounds the sum of the category totals (a case
    # has one category or more): next to a hidden category total it is not published, and
    # neither is anything that gives it away (issue 12; the decision uses the '< k' pattern)
    opened_public = not any(cell.suppressed for cell in category_cells.values())
    carried_public = _carried_over_is_public(year, tally, previous_years, registry_start)
    withheld = ((set() if opened_public else set(OPENED_FIGURES))
                | (set() if carried_public else set(CARRIED_FIGURES)))
    return _Year(year, locale, rules, tally, tuple(codes), labels,
                 Release(year, {f.cells: f for f in ledger}), category_cells, opened_public,
                 frozenset(withheld))


def _carried_over_is_public(year: int, tally: Tally,
                            previous_years: Mapping[int, FrozenAggregates],
                            registry_start: date | None) -> bool:
    """"Carried over" counts the cases opened before the year: an exact organisation total
    over earlier periods whose department figures (signals, last year's table) may be '< k'.
    It is shown only when it is public already - last year's report published the open
    cases at its end (the same cases; a case registered later counts from its registration,
    ``core.facts.as_counted``), or the registry started in this year (none) - and so is what
    gives it away: open at the end, and closed (closed - opened <= carried over, and closed -
    carried over <= opened). Decided from earlier reports and settings only."""
    carried = tally.key["carried_over"]
    last_year = previous_years.get(year - 1)
    started_this_year = registry_start is not None and registry_start >= date(year, 1, 1)
    if started_this_year and carried:
        raise ReportRefused(
            f"{carried} case(s) were opened before the registry's first day "
            f"({registry_start}); the published rules assume there are none. Correct the "
            "opening dates (or the REGISTRY_START setting) first.")
    return started_this_year or (
        last_year is not None and last_year.cases_open_at_end is not None)


def _key_and_activity_sections(the_year: _Year, activities: Sequence[ActivityFacts]
                               ) -> tuple[ReportSection, ReportSection, int]:
    """Sections 2 (key figures and time) and 8 (activities), and the activity minutes."""
    year, word = the_year.year, the_year.word
    key_rows = tuple(
        ReportRow(word(name, year=year, previous=year - 1),
                  (key_figure(the_year.release, name, the_year.key(name))
                   if name not in the_year.withheld
                   else ReportCell(WITHHELD_MARK, None, True),))
        for name in KEY_FIGURES
    )
    key_table = ReportTable("key_figures", word("key_table", year=year),
                            (word("measure"), word("number")), key_rows,
                            word("key_note", year=year, previous=year - 1))
    for name in TIME_FIGURES:
        the_year.release.add(Figure.exact(org_cells("time", name, year), the_year.key(name),
                                          f"Minutes: {name} · {year}", organisation_wide=True))
    blocks, activity_hours = activity_blocks(the_year.locale, year, activities)
    activity_minutes = int((activity_hours * 60).to_integral_value(rounding=ROUND_HALF_UP))
    key_section = ReportSection("key_figures", 2, word("s_key_figures"), (
        word("key_intro", k=the_year.rules.k), key_table,
        _time_table(the_year, activity_hours, activity_minutes)))
    activity_section = ReportSection("activities", 8, word("s_activities"), blocks)
    return key_section, activity_section, activity_minutes


def _time_table(the_year: _Year, activity_hours: Decimal, activity_minutes: int
                ) -> ReportTable:
    locale, word = the_year.locale, the_year.word
    conversation, other = the_year.key("conversation_minutes"), the_year.key("other_case_minutes")
    total_hours = minutes_to_hours(conversation + other + activity_minutes)
    return ReportTable(
        "time", word("time_table", year=the_year.year), (word("time"), word("hours")),
        (ReportRow(word("time_conversations"),
                   (hours_cell(locale, minutes_to_hours(conversation)),)),
         ReportRow(word("time_other"), (hours_cell(locale, minutes_to_hours(other)),)),
         ReportRow(word("time_activities"), (hours_cell(locale, activity_hours),)),
         ReportRow(word("total"), (hours_cell(locale, total_hours),), total=True)),
        word("time_note", year=the_year.year),
    )


def _category_section(the_year: _Year) -> ReportSection:
    """Section 3: new cases per category, with shares only when "opened" is public."""
    word, cells, opened = the_year.word, the_year.category_cells, the_year.key("opened")
    withheld = ReportCell(WITHHELD_MARK, None, True)

    def share(cell: ReportCell) -> ReportCell:
        if isinstance(cell.value, int) and the_year.opened_public:
            return ReportCell(percent(cell.value, opened))
        return withheld

    rows = [ReportRow(the_year.labels[c], (cells[c], share(cells[c]))) for c in the_year.codes]
    rows.append(ReportRow(
        word("cases_total"),
        (exact_cell(opened), ReportCell("100%" if opened else NOT_AVAILABLE_MARK))
        if the_year.opened_public else (withheld, withheld),
        total=True))
    table = ReportTable(
        "categories", word("cat_table", year=the_year.year),
        (word("category"), word("cases"), word("share")), tuple(rows), word("cat_note"),
        chart=None if any(c.suppressed for c in cells.values()) else "bar",
    )
    return ReportSection("categories", 3, word("s_categories"), (table,))


def _breakdown_section(the_year: _Year, include_gender: bool, include_employment: bool
                       ) -> ReportSection:
    """Section 4: relation, outcome, referral, channel, gender, employment."""
    word = the_year.word
    blocks: list[Block] = [word("breakdown_intro", k=the_year.rules.k)]
    blocks.append(_partition(the_year, "relation", note=word("relation_note")))
    outcome = _partition(the_year, "outcome")
    blocks.append(outcome)
    if isinstance(outcome, ReportTable):
        referral_row = list(DIMENSIONS["outcome"]).index(Outcome.REFERRAL)
        if outcome.rows[referral_row].cells[0].value is not None:
            blocks.append(_partition(the_year, "referral", note=word("referral_note")))
        else:
            blocks.append(word("referral_hidden"))
    blocks.append(_partition(the_year, "channel"))
    if include_gender:
        blocks.append(_partition(the_year, "gender", require_informative=True))
    if include_employment:
        blocks.append(_partition(the_year, "employment", require_informative=True))
    return ReportSection("breakdowns", 4, word("s_breakdowns"), tuple(blocks))


def _partition(the_year: _Year, dimension: str, **options: Any) -> Block:
    word, what = the_year.word, f"{dimension}_what"
    if dimension in OPENED_PARTITIONS and not the_year.opened_public:
        # its lines add up to the cases opened in the year, which is withheld
        return word("opened_withheld", what=word(what), k=the_year.rules.k)
    if dimension in CLOSED_PARTITIONS and "closed" in the_year.withheld:
        # its lines add up to the cases closed in the year, which is withheld
        return word("closed_withheld", what=word(what))
    table, sentence = partition_table(
        the_year.locale, the_year.release, the_year.rules, the_year.tally, dimension,
        key=dimension, title=word(f"{dimension}_table", year=the_year.year),
        column=word(dimension), unit=count_heading(the_year.locale, dimension), what=what,
        **options,
    )
    return table if table is not None else sentence


def _aggregates(the_year: _Year, activity_minutes: int) -> FrozenAggregates:
    """The organisation-wide figures to freeze (``None``: withheld, shown as 'x' later)."""
    def unless_withheld(name: str) -> int | None:
        return None if name in the_year.withheld else the_year.key(name)

    return FrozenAggregates(
        year=the_year.year,
        cases_carried_over=unless_withheld("carried_over"),
        cases_opened=the_year.key("opened") if the_year.opened_public else None,
        cases_closed=unless_withheld("closed"),
        cases_open_at_end=unless_withheld("open_at_end"),
        conversations=the_year.key("conversations"),
        conversation_minutes=the_year.key("conversation_minutes"),
        other_case_minutes=the_year.key("other_case_minutes"),
        activity_minutes=activity_minutes,
        categories=tuple(CategoryTotal(c, the_year.labels[c], v) for c in the_year.codes
                         if isinstance(v := the_year.category_cells[c].value, int)),
    )


def _legend(locale: str, k: int) -> tuple[tuple[str, str], ...]:
    return (
        (f"< {k}", text(locale, "mark_protected", k=k, k1=k - 1)),
        (f"{k}+", text(locale, "mark_complement", k=k)),
        (WITHHELD_MARK, text(locale, "mark_withheld")),
        (NOT_AVAILABLE_MARK, text(locale, "mark_na")),
    )
