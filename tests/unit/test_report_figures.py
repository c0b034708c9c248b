"""The annual report's figures (vp_registry.core.report) against a data set computed by hand.

The golden organisation: Productie (40 employees) with Lakstraat (6, merged into Productie),
Kantoor (20), Magazijn (12) and Kantine (4, too small: "Overige afdelingen"); 82 employees, so
there is a department breakdown. Three categories. 16 cases opened in 2025 (two with two
categories), two carried over from 2024, one closed in 2024 (not carried over) and one opened
in 2026 (ignored). Every expected figure below is written out as a literal, with the sum that
gives it, and is never recomputed from the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import combinations, product
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vp_registry.core.disclosure import DisclosureRules, Figure, audit, periods_of_year
from vp_registry.core.facts import CaseFacts, ContactFacts, DepartmentFacts
from vp_registry.core.report import (
    ORGANISATION_LEVEL,
    ActivityFacts,
    AnnualReport,
    CategoryTotal,
    FrozenAggregates,
    ReleasedSignalFacts,
    ReportRefused,
    ReportTexts,
    build_report,
    partition_is_safe,
    protect_partition,
    report_true_counts,
)

YEAR = 2025
RULES = DisclosureRules()  # k = 3, departments >= 10, organisation >= 50

DEPARTMENTS = [
    DepartmentFacts(1, "Productie", 40),
    DepartmentFacts(2, "Lakstraat", 6, parent_id=1),
    DepartmentFacts(3, "Kantoor", 20),
    DepartmentFacts(4, "Magazijn", 12),
    DepartmentFacts(5, "Kantine", 4),
]
CATEGORIES = [
    ("pesten", "Pesten"),
    ("seksisme", "Seksisme en seksuele intimidatie"),
    ("werkdruk", "Werkdruk"),
]


def contact(y: int, m: int, d: int, minutes: int, channel: str) -> ContactFacts:
    return ContactFacts(date(y, m, d), minutes, channel)


def case(
    case_id: int, department: int, categories: tuple[str, ...], opened: date,
    closed: date | None, relation: str | None, outcome: str | None, gender: str | None,
    employment: str | None, spent: int, contacts: Sequence[ContactFacts],
    referral: str | None = None,
) -> CaseFacts:
    return CaseFacts(case_id, opened, closed, department, categories, relation, outcome,
                     referral, gender, employment, spent, tuple(contacts))


D = date
CASES = [
    # Productie (1) and Lakstraat (2)
    case(1, 1, ("pesten",), D(2025, 1, 13), D(2025, 3, 20), "colleague", "advice", "woman",
         "permanent", 30, [contact(2025, 1, 13, 60, "in_person"),
                           contact(2025, 2, 10, 45, "in_person")]),
    case(2, 1, ("pesten",), D(2025, 2, 3), D(2025, 4, 15), "colleague", "informal", "man",
         "permanent", 20, [contact(2025, 2, 3, 50, "in_person")]),
    case(3, 2, ("pesten",), D(2025, 4, 7), None, "colleague", None, "woman", "temporary", 0,
         [contact(2025, 4, 7, 40, "phone")]),
    case(4, 1, ("pesten", "seksisme"), D(2025, 3, 11), D(2025, 6, 30), "manager", "referral",
         "woman", "permanent", 60, [contact(2025, 3, 11, 60, "in_person"),
                                    contact(2025, 5, 2, 30, "video")],
         referral="company_doctor"),
    case(5, 1, ("pesten", "seksisme"), D(2025, 5, 19), D(2025, 9, 1), "colleague", "referral",
         "woman", "agency", 15, [contact(2025, 5, 19, 45, "in_person")], referral="hr"),
    case(6, 1, ("seksisme",), D(2025, 6, 2), D(2025, 7, 14), "colleague", "advice", "woman",
         "permanent", 10, [contact(2025, 6, 2, 30, "phone")]),
    case(7, 1, ("seksisme", "werkdruk"), D(2025, 8, 25), D(2025, 11, 3), "manager",
         "mediation", "man", "permanent", 45, [contact(2025, 8, 25, 60, "in_person"),
                                               contact(2025, 9, 15, 60, "in_person")]),
    case(8, 1, ("werkdruk",), D(2025, 9, 8), None, "manager", None, "man", "permanent", 0,
         [contact(2025, 9, 8, 30, "phone")]),
    case(9, 1, ("werkdruk",), D(2025, 10, 20), D(2025, 12, 1), "colleague", "no_follow_up",
         None, None, 0, [contact(2025, 10, 20, 30, "email")]),
    # Kantoor (3)
    case(10, 3, ("pesten",), D(2025, 1, 27), D(2025, 2, 28), "colleague", "advice", "woman",
         "permanent", 10, [contact(2025, 1, 27, 45, "in_person")]),
    case(11, 3, ("pesten",), D(2025, 3, 31), D(2025, 5, 12), "external", "referral", "man",
         "temporary", 30, [contact(2025, 3, 31, 30, "phone")], referral="hr"),
    case(12, 3, ("pesten", "werkdruk"), D(2025, 7, 7), D(2025, 10, 6), "manager",
         "formal_complaint", "woman", "permanent", 90,
         [contact(2025, 7, 7, 60, "in_person"), contact(2025, 8, 4, 60, "in_person")]),
    case(13, 3, ("werkdruk",), D(2025, 7, 21), D(2025, 8, 18), "colleague", "no_follow_up",
         "man", "permanent", 0, [contact(2025, 7, 21, 30, "video")]),
    case(14, 3, ("werkdruk",), D(2025, 11, 10), None, "colleague", None, "woman", "permanent",
         0, [contact(2025, 11, 10, 45, "in_person")]),
    case(15, 3, ("werkdruk",), D(2025, 12, 15), None, "subordinate", None, "man", "permanent",
         0, [contact(2025, 12, 15, 30, "phone")]),
    # Kantine (5): one case, shown under "Overige afdelingen"
    case(16, 5, ("pesten",), D(2025, 10, 2), D(2025, 12, 31), "colleague", "no_follow_up",
         "woman", "agency", 0, [contact(2025, 10, 2, 20, "in_person")]),
    # from 2024: 17 closed in January 2025 (carried over), 18 still open (carried over),
    # 19 closed on 31 December 2024 (not carried over); 20 opened in 2026 (not counted)
    case(17, 3, ("werkdruk",), D(2024, 11, 4), D(2025, 1, 20), "colleague", "advice", "woman",
         "permanent", 90, [contact(2024, 11, 4, 60, "in_person"),
                           contact(2025, 1, 15, 30, "phone")]),
    case(18, 1, ("pesten",), D(2024, 6, 3), None, "colleague", None, "woman", "permanent", 0,
         [contact(2024, 6, 3, 60, "in_person"), contact(2025, 3, 3, 45, "in_person")]),
    case(19, 4, ("seksisme",), D(2024, 3, 1), D(2024, 12, 31), "colleague", "advice", "man",
         "permanent", 30, [contact(2024, 3, 1, 60, "in_person")]),
    case(20, 3, ("pesten",), D(2026, 1, 5), None, "colleague", None, "man", "permanent", 0,
         [contact(2026, 1, 5, 30, "phone")]),
]
ACTIVITIES = [
    ActivityFacts(D(2025, 2, 12), "presentation", Decimal("1.5"),
                  "Voorlichting voor nieuwe medewerkers"),
    ActivityFacts(D(2025, 3, 5), "office_hours", Decimal("2"), "Inloopspreekuur"),
    ActivityFacts(D(2025, 6, 18), "training", Decimal("3.5"),
                  "Training omgangsvormen voor leidinggevenden"),
    ActivityFacts(D(2025, 9, 10), "office_hours", Decimal("2"), "Inloopspreekuur"),
    ActivityFacts(D(2025, 11, 20), "management_meeting", Decimal("1"),
                  "Jaargesprek met de directie"),
    ActivityFacts(D(2024, 12, 10), "presentation", Decimal("1"), "Vorig jaar: telt niet mee"),
]
PREVIOUS = {
    2023: FrozenAggregates(2023, 1, 10, 9, 2, 15, 700, 300, 480, (
        CategoryTotal("pesten", "Pesten", 5), CategoryTotal("seksisme", "Seksisme", 2),
        CategoryTotal("werkdruk", "Werkdruk", 4))),
    2024: FrozenAggregates(2024, 2, 12, 12, 2, 18, 800, 350, 540, (
        CategoryTotal("pesten", "Pesten", 6), CategoryTotal("seksisme", "Seksisme", 3),
        CategoryTotal("werkdruk", "Werkdruk", 5),
        CategoryTotal("agressie", "Agressie en geweld", 1))),
}
SIGNALS = [
    ReleasedSignalFacts("2025-Q2 - 2025-Q3", "Productie", "Pesten", "3-4",
                        "Meerdere meldingen over omgangsvormen op de werkvloer.",
                        ("team_talk", "training"),
                        "Teamsessie gehouden met de Toolbox Sociaal Veilig Werken.",
                        D(2025, 10, 14)),
    ReleasedSignalFacts("2025-Q3", "Kantoor", "Werkdruk", "3-4",
                        "Piekbelasting rond de jaarafsluiting.", ("ways_of_working",)),
]
TEXTS = ReportTexts(
    "De vertrouwenspersoon is te bereiken via intranet en op het spreekuur.\n\n"
    "Dit verslag gaat over 2025.",
    "Herhaal de training voor leidinggevenden.\n\nMaak de vertrouwenspersoon beter vindbaar.",
)


def golden_report(locale: str = "nl", ledger: Sequence[Figure] = (), **options: Any
                  ) -> AnnualReport:
    options.setdefault("organisation", "Voorbeeld BV")
    options.setdefault("issued_on", D(2026, 2, 12))
    return build_report(YEAR, CASES, DEPARTMENTS, CATEGORIES, ACTIVITIES, SIGNALS, PREVIOUS,
                        TEXTS, RULES, ledger, locale, **options)


# Every numeric table of the golden report: header, then [label, *display] per row.
GOLDEN_TABLES: dict[str, list[list[str]]] = {
    "key_figures": [
        ["Kerncijfer", "Aantal"],
        ["Lopend uit 2024", "2"],                 # cases 17 and 18 (19 closed in 2024)
        ["Nieuwe meldingen in 2025", "16"],        # cases 1-16
        ["Afgesloten meldingen in 2025", "13"],    # 1, 2, 4-7, 9-13, 16 and 17
        ["Lopend op 31 december 2025", "5"],      # 3, 8, 14, 15, 18 (= 2 + 16 - 13)
        ["Gesprekken in 2025", "22"],             # 12 (Productie) + 7 (Kantoor) + 16, 17, 18
    ],
    "time": [
        ["Tijd", "Uren"],
        ["Gesprekken", "15,6"],                   # 540 + 300 + 20 + 30 + 45 = 935 min
        ["Overig werk aan meldingen", "6,7"],      # closed in 2025: 400 min (case 17: 90)
        ["Activiteiten", "10,0"],                 # 1.5 + 2 + 3.5 + 2 + 1 (not 2024's hour)
        ["Totaal", "32,3"],                       # (935 + 400 + 600) / 60 = 32.25
    ],
    "categories": [
        ["Soort gedrag", "Meldingen", "% van de meldingen"],
        ["Pesten", "9", "56%"],                   # 1, 2, 3, 4, 5, 10, 11, 12, 16; 9/16
        ["Seksisme en seksuele intimidatie", "4", "25%"],  # 4, 5, 6, 7
        ["Werkdruk", "7", "44%"],                 # 7, 8, 9, 12, 13, 14, 15; 7/16 = 43.75%
        ["Aantal nieuwe meldingen", "16", "100%"],  # 9 + 4 + 7 = 20 > 16: cases 4, 5, 7, 12
    ],
    # relation, outcome, referral, gender and employment are left out (issue 12: with the
    # bottom two lines withheld, the hidden lines of each still add up to a small number
    # anybody can work out from the total - relation: 16 - 10 - 4 = 2)
    "channel": [
        ["Contactvorm", "Gesprekken"],
        ["Persoonlijk", "13"],
        ["Telefoon", "6"],                        # 3, 6, 8, 11, 15, 17
        ["Videogesprek", "x"],                    # 4, 13: withheld by position
        ["E-mail", "x"],                          # 9: below 3, withheld by position
        ["Totaal", "22"],                         # hidden: 22 - 13 - 6 = 3, can be 0..3 each
    ],
    "departments": [
        ["Afdeling", "Pesten", "Seksisme en seksuele intimidatie", "Werkdruk"],
        # issue 12: a column's department cells are shown only when its organisation total
        # is at least k * groups - 1 = 11 (then every "< 3" cell can be any of 0..2 next to
        # "3+" cells); these totals are 9, 4 and 7, so every department cell is withheld
        ["Productie", "x", "x", "x"],             # 5, 4, 3 (incl. Lakstraat, case 3)
        ["Kantoor", "x", "x", "x"],               # 3, 0, 4
        ["Magazijn", "x", "x", "x"],              # nothing in 2025 (case 19 is 2024)
        ["Overige afdelingen", "x", "x", "x"],    # Kantine: pesten 1
        ["Hele organisatie", "9", "4", "7"],      # = the totals per category
    ],
    "trend_key_figures": [
        ["Kerncijfer", "2023", "2024", "2025"],
        ["Nieuwe meldingen", "10", "12", "16"],
        ["Afgesloten meldingen", "9", "12", "13"],
        ["Gesprekken", "15", "18", "22"],
    ],
    "trend_categories": [
        ["Soort gedrag", "2023", "2024", "2025"],
        ["Pesten", "5", "6", "9"],
        ["Seksisme en seksuele intimidatie", "2", "3", "4"],
        ["Werkdruk", "4", "5", "7"],
        ["Agressie en geweld", ".", "1", "."],
    ],
    "activities": [
        ["Soort activiteit", "Aantal", "Uren"],
        ["Voorlichting / presentatie", "1", "1,5"],
        ["Training", "1", "3,5"],
        ["Spreekuur", "2", "4,0"],
        ["Overleg met management", "1", "1,0"],
        ["Intervisie / eigen scholing", "0", "0,0"],
        ["Overig", "0", "0,0"],
        ["Totaal", "5", "10,0"],
    ],
}

# Hidden cells and their true counts: (table, row label, cell index, true count). No format
# may show the true count in that cell.
SUPPRESSED_TRUTHS = [
    ("channel", "Videogesprek", 0, 2),
    ("channel", "E-mail", 0, 1),
    ("departments", "Overige afdelingen", 0, 1),
]


def rows_of(report: AnnualReport, key: str) -> list[list[str]]:
    table = report.table(key)
    return [list(table.columns)] + [[r.label, *(c.display for c in r.cells)]
                                    for r in table.rows]


@pytest.fixture(scope="module")
def report() -> AnnualReport:
    return golden_report()


@pytest.mark.parametrize("key", sorted(GOLDEN_TABLES))
def test_golden_table(report: AnnualReport, key: str) -> None:
    assert rows_of(report, key) == GOLDEN_TABLES[key]


def test_sections_in_order(report: AnnualReport) -> None:
    assert [(s.number, s.title) for s in report.sections] == [
        (1, "Inleiding"), (2, "Kerncijfers"), (3, "Meldingen naar soort ongewenst gedrag"),
        (4, "Relatie, uitkomst en contact"), (5, "Meldingen per afdeling"),
        (6, "Ontwikkeling door de jaren"), (7, "Signalen en opvolging"),
        (8, "Activiteiten en uren"), (9, "Aanbevelingen"),
    ]
    assert report.section("introduction").paragraphs == (
        "De vertrouwenspersoon is te bereiken via intranet en op het spreekuur.",
        "Dit verslag gaat over 2025.")
    assert report.section("recommendations").paragraphs == (
        "Herhaal de training voor leidinggevenden.", "Maak de vertrouwenspersoon beter vindbaar.")


def test_multi_category_note(report: AnnualReport) -> None:
    note = report.table("categories").note
    assert "meer dan één soort gedrag" in note and "bij elke soort mee" in note


def test_department_merge_is_explained(report: AnnualReport) -> None:
    note = report.table("departments").note
    assert "minder dan 10 medewerkers" in note
    assert "Productie (met Lakstraat)" in note
    assert "Overige afdelingen (Kantine)" in note


def test_employment_too_small_is_left_out_with_a_sentence(report: AnnualReport) -> None:
    # permanent 11, temporary 2, agency 2, intern 0, not recorded 1: after primary suppression
    # and the complementary "3+" on "permanent" nothing recorded is exact any more
    assert "employment" not in {t.key for t in report.tables()}
    assert ("Dienstverband: de aantallen zijn te klein om ze zonder herkenbaarheid te "
            "publiceren. Deze tabel ontbreekt daarom.") in report.section("breakdowns").paragraphs


def test_gender_and_employment_can_be_switched_off() -> None:
    quiet = golden_report(include_gender=False, include_employment=False)
    assert not {"gender", "employment"} & {t.key for t in quiet.tables()}
    assert not any("Dienstverband" in p for p in quiet.section("breakdowns").paragraphs)


def test_signals_and_follow_up(report: AnnualReport) -> None:
    assert rows_of(report, "signals") == [
        ["Periode", "Afdeling", "Soort gedrag", "Aantal", "Toelichting", "Voorgestelde aanpak",
         "Opvolging door management"],
        ["2025-Q2 - 2025-Q3", "Productie", "Pesten", "3-4",
         "Meerdere meldingen over omgangsvormen op de werkvloer.",
         "Gesprek met het team; Training",
         "14-10-2025: Teamsessie gehouden met de Toolbox Sociaal Veilig Werken."],
        ["2025-Q3", "Kantoor", "Werkdruk", "3-4", "Piekbelasting rond de jaarafsluiting.",
         "Aanpassing in de werkwijze", "Nog geen opvolging vastgelegd"],
    ]


def test_activity_list_only_this_year(report: AnnualReport) -> None:
    assert rows_of(report, "activity_list")[1:] == [
        ["12-02-2025", "Voorlichting / presentatie", "1,5", "Voorlichting voor nieuwe medewerkers"],
        ["05-03-2025", "Spreekuur", "2,0", "Inloopspreekuur"],
        ["18-06-2025", "Training", "3,5", "Training omgangsvormen voor leidinggevenden"],
        ["10-09-2025", "Spreekuur", "2,0", "Inloopspreekuur"],
        ["20-11-2025", "Overleg met management", "1,0", "Jaargesprek met de directie"],
    ]


def test_suppressed_cells_carry_only_their_mark(report: AnnualReport) -> None:
    for key, label, index, _truth in SUPPRESSED_TRUTHS:
        row = next(r for r in report.table(key).rows if r.label == label)
        cell = row.cells[index]
        assert cell.suppressed and cell.value is None
        assert cell.display in {"< 3", "3+", "x"}
    for table in report.tables():
        for row in table.rows:
            for cell in row.cells:
                if cell.suppressed:
                    assert cell.value is None
                elif not table.text and cell.display not in {".", ""} and "%" not in cell.display:
                    assert cell.value is not None


def test_frozen_aggregates(report: AnnualReport) -> None:
    assert report.aggregates == FrozenAggregates(
        2025, cases_carried_over=2, cases_opened=16, cases_closed=13, cases_open_at_end=5,
        conversations=22, conversation_minutes=935, other_case_minutes=400,
        activity_minutes=600, categories=(
            CategoryTotal("pesten", "Pesten", 9),
            CategoryTotal("seksisme", "Seksisme en seksuele intimidatie", 4),
            CategoryTotal("werkdruk", "Werkdruk", 7)),
    )
    assert FrozenAggregates.from_json(report.aggregates.to_json()) == report.aggregates
    with pytest.raises(ValueError, match="format"):
        FrozenAggregates.from_json('{"format": 99}')


def test_report_round_trips_through_json(report: AnnualReport) -> None:
    again = AnnualReport.from_json(report.to_json())
    assert again == report
    assert set(again.figures) == set(report.figures)


def test_released_figures(report: AnnualReport) -> None:
    quarters = periods_of_year(YEAR)
    by_label = {f.label: f for f in report.figures}
    # department cells: withheld (issue 12: totals 9, 4, 7 are below k * 4 groups - 1), so
    # no department-level figure is released
    assert all(f.organisation_wide for f in report.figures)
    # organisation totals per category: exact and organisation-wide
    pesten_total = next(f for f in report.figures
                        if f.cells == frozenset((d, "pesten", q) for d in range(1, 6)
                                                for q in quarters))
    assert (pesten_total.low, pesten_total.high, pesten_total.organisation_wide) == (9, 9, True)
    # organisation-level lines on pseudo atoms, flagged organisation-wide; withheld lines
    # are not released
    phone = by_label["Channel: phone · 2025"]
    assert phone.cells == frozenset((ORGANISATION_LEVEL, "channel:phone", q)
                                    for q in quarters)
    assert (phone.low, phone.high, phone.organisation_wide) == (6, 6, True)
    assert "Channel: email · 2025" not in by_label
    assert "Relation to the person involved: manager · 2025" not in by_label
    assert by_label["Key figure: opened · 2025"].interval == (16, 16)
    assert by_label["Minutes: conversation_minutes · 2025"].interval == (935, 935)
    assert "Employment type: permanent · 2025" not in by_label  # the table was left out
    # the whole release passes the auditor with the true counts
    result = audit(list(report.figures), [], report_true_counts(YEAR, CASES), RULES)
    assert result.ok, result.explanation


def test_rebuilding_against_its_own_ledger_repeats_every_figure(report: AnnualReport) -> None:
    again = golden_report(ledger=list(report.figures))
    assert again.sections == report.sections
    assert set(again.figures) == set(report.figures)


def test_a_released_figure_that_would_change_is_refused(report: AnnualReport) -> None:
    quarters = periods_of_year(YEAR)
    earlier = Figure.exact(frozenset((ORGANISATION_LEVEL, "key:opened", q) for q in quarters),
                           15, "Key figure: opened · 2025", organisation_wide=True)
    with pytest.raises(ReportRefused) as refused:
        golden_report(ledger=[earlier])
    assert "'Key figure: opened · 2025' was released before as '15'" in refused.value.explanation
    assert "16" not in str(refused.value)  # the message itself says nothing about the data


def test_small_organisation_has_no_department_table() -> None:
    small = [replace(d, headcount=d.headcount // 2) for d in DEPARTMENTS]  # 20+3+10+6+2 = 41
    report = build_report(YEAR, CASES, small, CATEGORIES, ACTIVITIES, SIGNALS, PREVIOUS, TEXTS,
                          RULES, [])
    assert report.section("departments").tables == ()
    assert report.section("departments").paragraphs == (
        "De organisatie heeft minder dan 50 medewerkers. Om te voorkomen dat mensen herkenbaar "
        "worden, bevat dit verslag daarom geen cijfers per afdeling.",)
    assert rows_of(report, "categories") == GOLDEN_TABLES["categories"]
    assert all(f.organisation_wide for f in report.figures)


def test_english() -> None:
    report = golden_report("en")
    assert report.title == "Annual report of the confidential counsellor 2025"
    assert rows_of(report, "key_figures")[1:3] == [["Carried over from 2024", "2"],
                                                   ["New cases in 2025", "16"]]
    assert rows_of(report, "time")[1] == ["Conversations", "15.6"]
    assert rows_of(report, "departments")[-1][0] == "Whole organisation"
    assert rows_of(report, "departments")[4][0] == "Other departments"


def test_first_report_has_no_trend_tables() -> None:
    report = build_report(YEAR, CASES, DEPARTMENTS, CATEGORIES, [], [], {}, ReportTexts(),
                          RULES, [])
    assert report.section("trends").tables == ()
    assert report.section("trends").paragraphs == (
        "Er zijn nog geen eerdere vastgestelde jaarverslagen om mee te vergelijken.",)
    assert report.section("signals").paragraphs[-1] == (
        "In 2025 zijn geen signalen aan het management gegeven.")
    assert report.section("introduction").paragraphs == ("(Nog geen tekst.)",)


@pytest.mark.parametrize(
    ("closed", "carried_over"),
    [(None, 1), (D(2025, 1, 1), 1), (D(2024, 12, 31), 0)],
)
def test_carried_over_boundary(closed: date | None, carried_over: int) -> None:
    old = case(1, 1, ("pesten",), D(2024, 12, 31), closed, "colleague",
               "advice" if closed else None, None, None, 0, [])
    # last year's report published its open cases at the end, so carried over is shown
    # (issue 12: it repeats a published figure; without it the number is withheld)
    earlier = {YEAR - 1: FrozenAggregates(YEAR - 1, 0, 1, 0, 1, 0, 0, 0, 0, ())}
    report = build_report(YEAR, [old], DEPARTMENTS, CATEGORIES, [], [], earlier, TEXTS, RULES,
                          [])
    assert report.aggregates.cases_carried_over == carried_over
    # no case opened: every category total is '< 3', so the number opened is withheld
    assert report.aggregates.cases_opened is None


def test_inconsistent_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="departments that were not passed in"):
        build_report(YEAR, [replace(CASES[0], department_id=99)], DEPARTMENTS, CATEGORIES, [],
                     [], {}, TEXTS, RULES, [])
    with pytest.raises(ValueError, match="unknown relation"):
        build_report(YEAR, [replace(CASES[0], relation="neighbour")], DEPARTMENTS, CATEGORIES,
                     [], [], {}, TEXTS, RULES, [])
    with pytest.raises(ValueError, match="earlier year"):
        build_report(YEAR, [], DEPARTMENTS, CATEGORIES, [], [], {2025: PREVIOUS[2024]}, TEXTS,
                     RULES, [])
    with pytest.raises(ValueError, match="unsupported report language"):
        golden_report("de")


# --------------------------------------------------------------------------------------------
# Organisation-level partitions: '< k' lines, the bottom two withheld by position
# --------------------------------------------------------------------------------------------


def test_partition_withholds_the_bottom_two_lines_by_position() -> None:
    # colleague 20, manager 10, subordinate 1, external 5, not recorded 0: a line is below 3,
    # so "not recorded" and "external" are withheld whatever their values (issue 12)
    assert protect_partition([20, 10, 1, 5, 0], [4, 3, 2, 1, 0], 3) == [
        "exact", "exact", "primary", "withheld", "withheld"]
    # nothing small: nothing hidden
    assert protect_partition([10, 4, 3], [2, 1, 0], 3) == ["exact", "exact", "exact"]


def test_partition_without_a_safe_pattern_is_left_out() -> None:
    # 10 + 4 shown of 16: the three hidden lines add up to 2, which anybody can work out
    assert protect_partition([10, 4, 1, 1, 0], [4, 3, 2, 1, 0], 3) is None
    # every line hidden: only the total is known, which bounds every line anyway
    assert protect_partition([2, 2, 2, 1], [3, 2, 1, 0], 3) == [
        "primary", "primary", "withheld", "withheld"]


def test_partition_check_finds_a_pinned_line() -> None:
    # total 11 published, 10 shown: the hidden line must be exactly 1
    assert not partition_is_safe([10, 1], ["exact", "primary"], 3)
    # two hidden lines summing to 2 (a known subtotal of 1 or 2 people)
    assert not partition_is_safe([10, 1, 1], ["exact", "primary", "primary"], 3)
    # zero is protected like 1..k-1: hidden lines known to add up to 0
    assert not partition_is_safe([10, 0, 0], ["exact", "primary", "primary"], 3)
    # a withheld line of 5 next to a '< 3' line of 1: 6 hidden, each line still open
    assert partition_is_safe([10, 1, 5], ["exact", "primary", "withheld"], 3)


def _consistent_tables(counts: list[int], statuses: list[str], k: int) -> list[tuple[int, ...]]:
    total = sum(counts)
    ranges = []
    for count, status in zip(counts, statuses, strict=True):
        if status == "exact":
            ranges.append(range(count, count + 1))
        elif status == "primary":
            ranges.append(range(k))
        elif status == "withheld":
            ranges.append(range(total + 1))
        else:
            ranges.append(range(k, total + 1))
    return [x for x in product(*ranges) if sum(x) == total]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=2, max_size=5))
def test_partition_protection_against_exhaustive_reader(counts: list[int]) -> None:
    """A reader who knows the total and every mark can never narrow a hidden line, or a sum of
    hidden lines: its consistent values include all of 0..min(k-1, total), or are all >= k."""
    k = 3
    statuses = protect_partition(counts, list(range(len(counts) - 1, -1, -1)), k)
    if statuses is None:
        return
    hidden = [i for i, s in enumerate(statuses) if s != "exact"]
    tables = _consistent_tables(counts, list(statuses), k)
    assert tuple(counts) in tables
    for size in range(1, len(hidden) + 1):
        if size == len(counts):
            continue  # the published total itself
        for subset in combinations(hidden, size):
            sums = {sum(t[i] for i in subset) for t in tables}
            wanted = set(range(min(k - 1, sum(counts)) + 1))
            assert wanted <= sums or min(sums) >= k, (counts, statuses, subset, sums)
