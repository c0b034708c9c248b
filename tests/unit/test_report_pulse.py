"""The annual report's pulse section (issue 16): the year's released rounds, in every format.

The section repeats the released round results (``core.pulse.results.compute_results`` is what
management saw): responses, response rate, the safety score and its change per round, each
group's score per round with ``x`` where the released result shows none, and the
organisation's score per round (earlier rounds included) as a chart.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.unit.test_report_figures import golden_report
from vp_registry.core.disclosure import OTHER_DEPARTMENTS
from vp_registry.core.pulse.grouping import PulseGroup
from vp_registry.core.pulse.questions import SAFETY_STATEMENTS
from vp_registry.core.pulse.results import Response, RoundMeta, RoundResult, compute_results
from vp_registry.core.report import AnnualReport, ReportTable
from vp_registry.core.report.pulse_section import PulseFacts, score_text
from vp_registry.render import FORMATS, render
from vp_registry.render.charts import chart_data
from vp_registry.render.html import render_fragment

MINIMUM = 3
GROUPS = (PulseGroup("1", "Kantoor", (1,), 20), PulseGroup("2", "Productie", (2,), 30),
          PulseGroup("3", "Werkplaats", (3,), 12))


def answers(score: int) -> dict[str, int]:
    """Answers whose scale score is ``score`` (reversed statements answered the other way)."""
    return {s.code: 8 - score if s.reversed else score for s in SAFETY_STATEMENTS}


def responses(per_group: dict[str, Sequence[int]]) -> list[Response]:
    return [Response(key, answers(score)) for key, scores in per_group.items()
            for score in scores]


def round_result(round_id: int, title: str, closes_on: date,
                 per_group: dict[str, Sequence[int]], previous: RoundResult | None = None,
                 *, invited: int = 40, open_round: bool = False,
                 groups: Sequence[PulseGroup] = GROUPS) -> RoundResult:
    meta = RoundMeta(round_id, title, closes_on.replace(day=1), closes_on, open_round, invited)
    return compute_results(responses(per_group), groups, MINIMUM,
                           statements=SAFETY_STATEMENTS, meta=meta, previous=previous)


# 2024: all three groups shown. 2025 spring: Werkplaats has 2 answers (hidden; the other
# groups' figures cover the shown groups only); 2025 autumn: Werkplaats not invited.
EARLIER = round_result(1, "Najaar 2024", date(2024, 11, 30),
                       {"1": [5, 5, 6], "2": [4, 4, 5, 5], "3": [6, 6, 6]})
SPRING = round_result(2, "Voorjaar 2025", date(2025, 4, 30),
                      {"1": [5, 6, 6, 6], "2": [3, 3, 4, 4], "3": [1, 1]}, EARLIER)
AUTUMN = round_result(3, "Najaar 2025", date(2025, 10, 31),
                      {"1": [6, 6, 6], "2": [3, 3, 3, 4]}, SPRING, open_round=True,
                      groups=GROUPS[:2])
PULSE = PulseFacts(rounds=(SPRING, AUTUMN), earlier=(EARLIER,), minimum=MINIMUM)


def pulse_report(locale: str = "nl", pulse: PulseFacts = PULSE, **options: object
                 ) -> AnnualReport:
    return golden_report(locale, pulse=pulse, draft=False, **options)


def cells(table: ReportTable) -> list[list[str]]:
    return [[table.columns[0], *table.columns[1:]]] + [
        [row.label, *(c.display for c in row.cells)] for row in table.rows]


def test_the_section_follows_the_signals_and_the_later_ones_move_on() -> None:
    report = pulse_report()
    assert [(s.key, s.number) for s in report.sections][6:] == [
        ("signals", 7), ("pulse", 8), ("activities", 9), ("recommendations", 10)]
    assert [(s.key, s.number) for s in golden_report(draft=False).sections][6:] == [
        ("signals", 7), ("activities", 8), ("recommendations", 9)]  # no pulse: as before
    assert report.section("pulse").title == "Meet en monitor: hoe veilig voelen mensen zich"


def test_the_rounds_table_repeats_the_released_figures() -> None:
    table = pulse_report("en").table("pulse_rounds")
    # spring: Werkplaats hidden (2 < 3) -> the organisation covers the 8 shown answers only,
    # so no response rate; autumn: 7 of 40 invited, score (6*3 + 3*3 + 4) / 7 = 4.43
    assert cells(table) == [
        ["Round", "Closed on", "Responses", "Response rate", "Safety score", "Change"],
        ["Voorjaar 2025", "2025-04-30", "8", ".", score_text("en", 4.625), "."],
        ["Najaar 2025", "2025-10-31", "7", "18%", "4.4", "−0.2"],  # 4.43 - 4.62
    ]
    assert SPRING.organisation.score == 4.62 and score_text("en", 4.62) == "4.6"
    assert not table.has_suppressed


def test_each_groups_score_per_round_with_x_where_the_result_shows_none() -> None:
    table = pulse_report("nl").table("pulse_groups")
    assert cells(table) == [
        ["Afdeling", "Voorjaar 2025", "Najaar 2025", "Verandering"],
        ["Kantoor", "5,8", "6,0", "+0,3"],          # 5.75 -> 6.0: the released change 0.25
        ["Productie", "3,5", "3,3", "−0,3"],        # 3.5 -> 3.25: -0.25, half up
        ["Werkplaats", "x", ".", "."],              # hidden in spring, not invited in autumn
    ]
    assert table.has_suppressed and chart_data(table) is None  # no chart beside a hidden cell
    hidden = {g.key: g for g in SPRING.groups}["3"]
    assert hidden.responses is None and hidden.score is None  # nothing to repeat


def test_the_organisation_trend_includes_earlier_rounds_and_gets_a_chart() -> None:
    report = pulse_report("nl")
    table = report.table("pulse_trend")
    assert [row.label for row in table.rows] == [
        "Najaar 2024 (30-11-2024)", "Voorjaar 2025 (30-04-2025)", "Najaar 2025 (31-10-2025)"]
    assert [row.cells[0].display for row in table.rows] == ["5,2", "4,6", "4,4"]
    assert chart_data(table) is not None
    notes = [b for b in report.section("pulse").blocks if isinstance(b, str)]
    assert any("Najaar 2025" in n and "meer dan eens" in n for n in notes)  # open round
    assert any("Voorjaar 2025" in n for n in notes[1:])  # covers the shown groups only


def test_a_year_without_released_rounds_says_so_in_one_sentence() -> None:
    for locale, sentence in (("nl", "In 2025 zijn geen resultaten van een pulsmeting "
                                    "vrijgegeven."),
                             ("en", "No results of a pulse round were released in 2025.")):
        section = pulse_report(locale, PulseFacts(earlier=(EARLIER,))).section("pulse")
        assert section.blocks == (sentence,)


def test_the_section_releases_no_figure_and_survives_storage() -> None:
    with_pulse, without = pulse_report(), golden_report(draft=False)
    assert with_pulse.figures == without.figures  # repeats released figures, adds none
    stored = AnnualReport.from_json(with_pulse.to_json())
    assert stored.section("pulse") == with_pulse.section("pulse")


def test_a_correction_repeats_the_published_section_whatever_was_released_since() -> None:
    final = pulse_report("nl", PulseFacts(rounds=(SPRING,), minimum=MINIMUM),
                         issued_on=date(2026, 2, 1))
    correction = golden_report("nl", version=2, corrects=final, draft=False, pulse=PULSE)
    assert correction.section("pulse") == final.section("pulse")
    assert [r.label for r in correction.table("pulse_rounds").rows] == ["Voorjaar 2025"]


@pytest.fixture(scope="module", params=["nl", "en"])
def outputs(request: pytest.FixtureRequest) -> tuple[str, dict[str, bytes]]:
    report = pulse_report(request.param)
    return request.param, {fmt: render(report, fmt) for fmt in FORMATS}


def test_every_format_carries_the_section(outputs: tuple[str, dict[str, bytes]]) -> None:
    locale, files = outputs
    title = ("Meet en monitor: hoe veilig voelen mensen zich" if locale == "nl"
             else "Pulse survey: how safe people feel")
    score = "5,8" if locale == "nl" else "5.8"  # Kantoor, spring
    html = files["html"].decode("utf-8")
    assert title in html and score in html and html.count("<svg") >= 1
    pdf = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(files["pdf"])).pages)
    assert title in " ".join(pdf.split()) and score in pdf
    document = Document(io.BytesIO(files["docx"]))
    assert any(title in p.text for p in document.paragraphs)
    assert any(score in cell.text for t in document.tables for row in t.rows
               for cell in row.cells)
    with zipfile.ZipFile(io.BytesIO(files["csv"])) as archive:
        pulse_files = [n for n in archive.namelist() if "puls" in n.lower()]
        assert len(pulse_files) == 3
        assert any(score in archive.read(n).decode("utf-8-sig") for n in pulse_files)
    workbook = load_workbook(io.BytesIO(files["xlsx"]))
    sheets = [s for s in workbook.sheetnames if "puls" in s.lower()]
    assert len(sheets) == 3
    values = [v for s in sheets for row in workbook[s].iter_rows(values_only=True) for v in row]
    assert any(str(v).replace(".", ",") in ("5,8", "5,75") for v in values if v is not None)


def test_the_stored_section_holds_no_hidden_groups_figures() -> None:
    """Werkplaats' two spring answers (score 1) are in no figure of the report."""
    section = json.dumps(json.loads(pulse_report("en").to_json())["sections"][7])
    assert "Werkplaats" in section
    assert '"1.0"' not in section and '"2"' not in section


def test_other_departments_are_named_in_the_reports_language() -> None:
    """The grouping names the small departments' group in English; the report says it in
    its own language (found by the service test: a Dutch report said 'Other departments')."""
    groups = (*GROUPS[:2], PulseGroup(OTHER_DEPARTMENTS, "Other departments", (4, 5), 9))
    result = round_result(4, "Mei", date(2025, 5, 31), {"1": [5, 5, 5], "2": [4, 4, 4]},
                          groups=groups)
    for locale, name in (("nl", "Overige afdelingen"), ("en", "Other departments")):
        table = pulse_report(locale, PulseFacts((result,), (), MINIMUM)).table("pulse_groups")
        assert [row.label for row in table.rows] == ["Kantoor", "Productie", name]


def test_a_group_of_other_departments_in_another_round_gets_its_own_row() -> None:
    """Group keys come from the grouping (the top department's id): when Kantoor (1) was
    merged with Productie (2) in spring, that group is not autumn's Kantoor."""
    merged = (PulseGroup("1", "Kantoor (met Productie)", (1, 2), 50), GROUPS[2])
    spring = round_result(5, "Voorjaar", date(2025, 4, 30), {"1": [5, 5, 5, 6], "3": [4] * 3},
                          groups=merged)
    autumn = round_result(6, "Najaar", date(2025, 10, 31),
                          {"1": [6, 6, 6], "2": [3, 3, 3], "3": [4, 4, 4]}, spring)
    table = pulse_report("nl", PulseFacts((spring, autumn), (), MINIMUM)).table("pulse_groups")
    assert cells(table)[1:] == [
        ["Kantoor (met Productie)", "5,3", ".", "."],
        ["Werkplaats", "4,0", "4,0", "±0,0"],
        ["Kantoor", ".", "6,0", "."],
        ["Productie", ".", "3,0", "."],
    ]


def test_the_pulse_tables_scroll_boxes_take_the_keyboard() -> None:
    """Round titles make even a two- or three-column pulse table wider than a phone: its
    scroll box is focusable (axe 'scrollable-region-focusable', tests/browser/
    test_phone_layout.py found the one-round department table at 390 px)."""
    page = render_fragment(pulse_report("nl", PulseFacts((SPRING,), (EARLIER,), MINIMUM)))
    for title in ("Veiligheidsscore per afdeling, 2025",
                  "Veiligheidsscore van de hele organisatie per ronde"):
        assert f'tabindex="0" role="region" aria-label="{title}"' in page
