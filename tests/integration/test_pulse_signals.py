"""Pulse candidate signals (issue 16): low or falling safety scores, released like case signals.

A candidate comes from the protected result of a closed round - a shown group only - and can be
released once the round's results are released; the released row, its follow-up and the annual
report's signal table are those of case signals.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.pulsework import Toolbox, answers, make_round, respond, toolbox
from vp_registry.config import Settings
from vp_registry.core.disclosure import ORGANISATION
from vp_registry.core.pulse.grouping import PulseGroup
from vp_registry.core.pulse.questions import round_statements
from vp_registry.core.pulse.results import Response, RoundMeta, compute_results
from vp_registry.core.report import ReportTexts
from vp_registry.db.audit import AuditEntry
from vp_registry.db.disclosure import DisclosureFigure, DisclosureRelease
from vp_registry.db.pulse import PulseRound
from vp_registry.db.signals import ReleasedSignal
from vp_registry.services.pulse import results
from vp_registry.services.pulse import signals as pulse_signals
from vp_registry.services.reports import archive, drafts, finalising
from vp_registry.services.signals import management
from vp_registry.services.signals.publishing import ReleaseDraft
from vp_registry.services.signals.refusals import AlreadyReleased, SignalRefused
from vp_registry.services.work import Work

DRAFT = ReleaseDraft(context="Bespreek dit met het team.", actions=("team_talk",))
TODAY = date.today()


def scored(score: int) -> dict[str, int]:
    """Answers with scale score ``score``: the reversed statements answered the other way."""
    return answers(score, ps1=8 - score, ps3=8 - score, ps5=8 - score)


@pytest.fixture
def org(db: Session, settings: Settings) -> Toolbox:
    return toolbox(db, settings)


def closed_round(work: Work, org: Toolbox, title: str, days_ago: int,
                 scores: dict[str, list[int]]) -> PulseRound:
    """A round that closed ``days_ago`` days ago, answered with these scale scores."""
    opens_on = TODAY - timedelta(days=days_ago + 14)
    row = make_round(work, org, with_codes=False, title=title, opens_on=opens_on,
                     closes_on=TODAY - timedelta(days=days_ago))
    for label, values in scores.items():
        for value in values:
            respond(work.session, work.settings, row, label, scored(value))
    return row


def view_of(work: Work, label: str, round_id: int) -> pulse_signals.PulseView:
    found = [v for v in pulse_signals.pulse_review(work)
             if v.candidate.group_label == label and v.candidate.round_id == round_id]
    assert len(found) == 1, found
    return found[0]


def test_a_low_score_of_a_shown_group_is_a_candidate_and_a_hidden_group_never(
        work: Work, org: Toolbox) -> None:
    closed_round(work, org, "Voorjaar", 20, {
        "Productie": [3, 3, 3, 4, 4], "Planning": [6, 6, 6, 5, 5],
        "Inkoop": [1, 1]})  # Inkoop: 2 answers (below 5), very low - hidden
    candidates = pulse_signals.pulse_candidates(work.session, work.settings)
    assert [(c.kind, c.group_label, f"{c.score:f}", c.released) for c in candidates] == [
        ("pulse_low", "Productie", "3.4", False)]  # not Inkoop, not the organisation


def test_a_candidate_is_released_after_the_rounds_results_and_repeats_them(
        db: Session, work: Work, org: Toolbox) -> None:
    row = closed_round(work, org, "Voorjaar 2026", 20, {
        "Productie": [3, 3, 3, 4, 4], "Planning": [6, 6, 6, 5, 5]})
    token = view_of(work, "Productie", row.id).token
    with pytest.raises(SignalRefused):  # the results are not released yet
        pulse_signals.release(work, token, DRAFT)
    assert db.execute(select(func.count()).select_from(ReleasedSignal)).scalar_one() == 0

    released = results.release_results(work, row.id)
    view = view_of(work, "Productie", row.id)
    assert view.releasable
    signal = pulse_signals.release(work, view.token, DRAFT)
    assert (signal.kind, signal.category, signal.band, signal.group_label,
            signal.period_label) == ("pulse_low", "pulse:safety", "3.4", "Productie",
                                     "Voorjaar 2026")
    shown = {g.label: g for g in released.groups}["Productie"]
    assert shown.score == 3.4  # the released figure, repeated
    entry = db.get(DisclosureRelease, signal.disclosure_release_id)
    assert entry is not None and entry.kind == "pulse-signal"
    assert db.execute(select(func.count()).select_from(DisclosureFigure).where(
        DisclosureFigure.release_id == entry.id)).scalar_one() == 0  # adds no figure
    assert view_of(work, "Productie", row.id).released is not None
    with pytest.raises(AlreadyReleased):
        pulse_signals.release(work, view.token, DRAFT)
    actions = [e.action for e in db.execute(select(AuditEntry)).scalars()]
    assert "disclosure.refused" in actions and "signal.release" in actions


def test_management_follows_a_pulse_signal_up_and_the_report_lists_it(
        db: Session, work: Work, org: Toolbox) -> None:
    row = closed_round(work, org, "Voorjaar 2026", 20, {
        "Productie": [2, 3, 3, 3, 4], "Planning": [6, 6, 6, 5, 5]})
    results.release_results(work, row.id)
    signal = pulse_signals.release(work, view_of(work, "Productie", row.id).token, DRAFT)
    management.add_follow_up(work, signal.id, done_on=TODAY, description="Teamsessie gehouden.")
    facts = [f for f in management.report_facts(db, signal.released_at.year, "nl")
             if f.group == "Productie"]
    assert [(f.category, f.band, f.period, f.follow_up) for f in facts] == [
        ("Psychologische veiligheid (pulsmeting)", "Veiligheidsscore 3,0", "Voorjaar 2026",
         "Teamsessie gehouden.")]


def test_a_falling_score_against_the_previous_released_round(work: Work, org: Toolbox
                                                             ) -> None:
    first = closed_round(work, org, "Voorjaar", 60, {
        "Productie": [6, 6, 6, 6, 6], "Planning": [5, 5, 5, 5, 5]})
    results.release_results(work, first.id)
    second = closed_round(work, org, "Najaar", 10, {
        "Productie": [5, 5, 5, 5, 6], "Planning": [5, 5, 5, 5, 5]})
    found = [(c.kind, c.group_label, f"{c.score:f}", f"{c.change:f}")
             for c in pulse_signals.pulse_candidates(work.session, work.settings)
             if c.round_id == second.id]
    # Productie 6.0 -> 5.2: a fall of 0.8 (at least 0.5); Planning 5.0 -> 5.0 is no candidate
    assert found == [("pulse_fall", "Productie", "5.2", "-0.8")]
    results.release_results(work, second.id)
    signal = pulse_signals.release(
        work, view_of(work, "Productie", second.id).token, DRAFT)
    assert (signal.band, signal.previous_band) == ("5.2", "6.0")


def test_a_pulse_candidate_can_be_set_aside_and_restored(work: Work, org: Toolbox) -> None:
    row = closed_round(work, org, "Voorjaar", 20, {
        "Productie": [3, 3, 3, 4, 4], "Planning": [6, 6, 6, 5, 5]})
    token = view_of(work, "Productie", row.id).token
    assert pulse_signals.set_aside(work, token, dismissed=True).dismissed
    assert view_of(work, "Productie", row.id).dismissed
    pulse_signals.set_aside(work, token, dismissed=False)
    assert not view_of(work, "Productie", row.id).dismissed


def test_an_open_round_gives_no_candidate(work: Work, org: Toolbox) -> None:
    row = make_round(work, org, with_codes=False, title="Nu open",
                     opens_on=TODAY - timedelta(days=3), closes_on=TODAY + timedelta(days=3))
    for _ in range(5):
        respond(work.session, work.settings, row, "Productie", scored(2), today=TODAY)
    assert pulse_signals.pulse_candidates(work.session, work.settings) == []


def test_the_annual_report_shows_the_years_released_rounds(work: Work, org: Toolbox) -> None:
    """Section 8 of the draft: one sentence until a round of the year is released, then the
    released figures (the report is built through services.reports.finalising)."""
    year = TODAY.year - 1
    row = make_round(work, org, with_codes=False, title="Meting mei",
                     opens_on=date(year, 5, 1), closes_on=date(year, 5, 31))
    for label, values in {"Productie": [3, 3, 3, 4, 4], "Planning": [6, 6, 6, 5, 5]}.items():
        for value in values:
            respond(work.session, work.settings, row, label, scored(value))
    section = finalising.preview(work, year, today=TODAY).section("pulse")
    assert section.number == 8 and section.blocks == (
        f"In {year} zijn geen resultaten van een pulsmeting vrijgegeven.",)
    results.release_results(work, row.id)
    report = finalising.preview(work, year, today=TODAY)
    assert [[row.label, *(c.display for c in row.cells)]
            for row in report.table("pulse_groups").rows] == [
        ["Inkoop", "x", "."], ["Kwaliteit", "x", "."], ["Planning", "5,6", "."],
        ["Productie", "3,4", "."], ["Overige afdelingen", "x", "."]]
    assert report.table("pulse_rounds").rows[0].label == "Meting mei"


def test_a_finalised_report_keeps_its_pulse_section_and_a_correction_repeats_it(
        work: Work, org: Toolbox) -> None:
    """A round of the year released after the report was finalised changes neither the final
    version nor its correction ("Corrections repeat the figures of the version they
    correct")."""
    year = TODAY.year - 1
    rounds = {}
    for title, month, productie in (("Maart", 3, [3, 3, 3, 4, 4]), ("September", 9, [5] * 5)):
        row = make_round(work, org, with_codes=False, title=title,
                         opens_on=date(year, month, 1), closes_on=date(year, month, 28))
        for label, values in {"Productie": productie, "Planning": [6, 6, 6, 5, 5]}.items():
            for value in values:
                respond(work.session, work.settings, row, label, scored(value))
        rounds[title] = row
    results.release_results(work, rounds["Maart"].id)
    drafts.save_texts(work, year, 0, ReportTexts("Inleiding.", "Aanbevelingen."), "nl",
                      today=TODAY)
    revision = drafts.get_draft(work, year)
    assert revision is not None
    finalising.finalise(work, year, revision.revision, today=TODAY)
    _, final = archive.final_report(work.session, year)
    titles = [r.label for r in final.table("pulse_rounds").rows]
    assert titles == ["Maart"]

    results.release_results(work, rounds["September"].id)  # released after the report
    drafts.start_correction(work, year)
    correction = finalising.preview(work, year, today=TODAY)
    assert correction.section("pulse") == final.section("pulse")
    _, still = archive.final_report(work.session, year)
    assert [r.label for r in still.table("pulse_rounds").rows] == ["Maart"]


def test_a_round_without_a_breakdown_gives_one_candidate_not_two() -> None:
    """A small organisation's round has one group, the whole organisation, whose figure is
    also the organisation figure: one candidate (the same signal twice would be released
    once and listed twice)."""
    whole = PulseGroup(ORGANISATION, "Whole organisation", (1, 2, 3), 40)
    result = compute_results([Response(ORGANISATION, scored(3)) for _ in range(5)], (whole,),
                             5, statements=round_statements(("tb1",)),
                             meta=RoundMeta(1, "Klein", TODAY, TODAY, False, 40))
    found = pulse_signals.candidates_of(result, released=True)
    assert [(c.kind, c.group_key, f"{c.score:f}") for c in found] == [
        ("pulse_low", ORGANISATION, "3.0")]
