"""The annual report service (issue 5): drafts from real encrypted cases, finalisation through
the disclosure ledger, frozen versions, corrections, retention after a final report, trends
from frozen aggregates, texts encrypted at rest, key rotation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.reportwork import (
    CATEGORY_COUNTS,
    CONVERSATION_MINUTES,
    KEY_FIGURES,
    PRODUCTIE,
    Plan,
    add_case,
    departments,
    seed_activities,
    seed_year,
)
from vp_registry.config import Settings
from vp_registry.core.crypto import DecryptionError
from vp_registry.core.report import AnnualReport, ReportTexts
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.db.disclosure import DisclosureFigure, DisclosureRelease
from vp_registry.db.reports import AnnualReportRow
from vp_registry.services.cases import facts, shredding
from vp_registry.services.infrastructure import retention, rotation
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import archive, drafts, finalising, refusals
from vp_registry.services.signals import ledger
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

YEAR = 2025
TODAY = date(2026, 11, 25)
TEXTS = ReportTexts(
    introduction="Marieke de Boer is de vertrouwenspersoon.\n\nBereikbaar via de website.",
    recommendations="Investeer in de Toolbox Sociaal Veilig Werken in het magazijn.",
)


@pytest.fixture
def seeded(db: Session, settings: Settings, actor: Actor, keys: VaultKeys) -> list[str]:
    references = seed_year(db, settings, actor, keys, YEAR, today=TODAY)
    seed_activities(db, settings, actor, keys, YEAR, today=TODAY)
    return references


def _rows(table: Any) -> dict[str, list[str]]:
    return {row.label: [cell.display for cell in row.cells] for row in table.rows}


def _draft(db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
           texts: ReportTexts = TEXTS, locale: str = "nl", year: int = YEAR) -> int:
    version = drafts.save_texts(Work(db, settings, actor, keys=keys),
                                year, 0, texts, locale, today=TODAY)
    db.commit()
    return version.revision


def _finalise(db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
              year: int = YEAR) -> archive.ReportVersion:
    draft = drafts.get_draft(Work(db, settings, actor, keys=keys), year)
    assert draft is not None
    version = finalising.finalise(Work(db, settings, actor, keys=keys),
                                  year, draft.revision, today=TODAY)
    db.commit()
    return version


def _count(db: Session, model: type) -> int:
    if model is DisclosureRelease:  # releases, not the signal reviews' answers (issue 12)
        return len(_released(db))
    if model is DisclosureFigure:
        return len(ledger.load_ledger(db, reviews=False))
    return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def _released(db: Session) -> list[DisclosureRelease]:
    return list(db.execute(select(DisclosureRelease).where(
        DisclosureRelease.kind != "review").order_by(DisclosureRelease.id)).scalars())


# -------------------------------------------------------------------- drafts


def test_draft_is_built_from_the_encrypted_cases(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str], work: Work
) -> None:
    _draft(db, settings, actor, keys)
    report = finalising.preview(work, YEAR, today=TODAY)
    assert report.draft and report.version == 1 and report.year == YEAR
    assert report.organisation == settings.organisation_name
    key = _rows(report.table("key_figures"))
    # the number opened (and open at the end and closed, which give it away) is withheld
    # next to a category total below k (issue 12): with it, that total could be worked out;
    # carried over is withheld too: no report of the year before published it
    assert list(key.values()) == [["x"], ["x"], ["x"], ["x"],
                                  [str(KEY_FIGURES["conversations"])]]
    categories = _rows(report.table("categories"))
    assert categories["Pesten"][0] == str(CATEGORY_COUNTS["pesten"])
    assert categories["Werkdruk"][0] == str(CATEGORY_COUNTS["werkdruk"])
    assert categories["Seksisme en seksuele intimidatie"][0] == "3"
    # organisation-wide totals per category and year are exact from k on (DESIGN section 4);
    # below k they bound every department and are shown as '< k' (issue 12)
    assert categories["Uitsluiting en discriminatie"][0] == "< 3"
    assert categories["Aantal nieuwe meldingen"][0] == "x"
    # every category is a row, retired or unused ones too (rows never depend on the data)
    assert "Agressie en geweld" in categories and "Integriteit" in categories
    time = _rows(report.table("time"))
    assert time["Gesprekken"] == [f"{CONVERSATION_MINUTES / 60:.1f}".replace(".", ",")]
    assert time["Activiteiten"] == ["4,5"]  # 1.5 + 2 + 1 hours
    assert report.section("introduction").paragraphs == (
        "Marieke de Boer is de vertrouwenspersoon.", "Bereikbaar via de website.")
    assert report.section("recommendations").paragraphs == (TEXTS.recommendations,)
    activity_list = report.table("activity_list")
    assert [row.cells[2].display for row in activity_list.rows] == [
        "Voorlichting sociale veiligheid voor ploeg A", "Spreekuur in de kantine",
        "Overleg met de directie over de signalen"]
    # a preview writes nothing to the ledger
    assert ledger.load_ledger(db) == []


def test_draft_in_english_uses_english_category_names(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str], work: Work
) -> None:
    _draft(db, settings, actor, keys, locale="en")
    report = finalising.preview(work, YEAR, today=TODAY)
    assert report.locale == "en"
    assert "Bullying" in _rows(report.table("categories"))


def test_a_new_draft_starts_with_an_introduction_and_previews_without_being_saved(
    db: Session, settings: Settings, counsellor: User, keys: VaultKeys, seeded: list[str]
) -> None:
    draft = drafts.get_draft(Work(db, settings, Actor.anonymous(), keys=keys), YEAR)
    assert draft is not None and not draft.stored
    assert draft.texts.introduction == (
        f"Dit jaarverslag beschrijft het werk van de vertrouwenspersoon ongewenst gedrag van "
        f"{settings.organisation_name} van 1 januari tot en met 31 december {YEAR}. "
        f"Vertrouwenspersoon: {counsellor.display_name}.")
    report = finalising.preview(Work(db, settings, Actor.anonymous(), keys=keys), YEAR, today=TODAY)
    assert report.section("introduction").paragraphs == (draft.texts.introduction,)
    assert report.section("recommendations").paragraphs == ("(Nog geen tekst.)",)
    assert archive.versions(db, YEAR) == []


def test_texts_are_encrypted_at_rest_and_bound_to_their_row(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str], work: Work
) -> None:
    _draft(db, settings, actor, keys)
    _draft(db, settings, actor, keys, year=YEAR - 1)
    raw = db.execute(text("SELECT id, texts FROM annual_reports ORDER BY year")).all()
    for _, blob in raw:
        assert b"Toolbox" not in bytes(blob) and b"Marieke" not in bytes(blob)
    # a ciphertext moved to the other row no longer opens
    db.execute(text("UPDATE annual_reports SET texts = :blob WHERE id = :id"),
               {"blob": raw[0][1], "id": raw[1][0]})
    db.commit()
    db.expire_all()
    with pytest.raises(DecryptionError):
        drafts.get_draft(work, YEAR)


def test_stale_draft_edit_is_a_conflict(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str], work: Work
) -> None:
    revision = _draft(db, settings, actor, keys)
    drafts.save_texts(work, YEAR, revision, ReportTexts("Nieuwe inleiding", ""), "nl", today=TODAY)
    db.commit()
    with pytest.raises(refusals.ReportConflict):
        drafts.save_texts(work, YEAR, revision, TEXTS, "nl", today=TODAY)
    draft = drafts.get_draft(work, YEAR)
    assert draft is not None and draft.texts.introduction == "Nieuwe inleiding"


# -------------------------------------------------------------------- finalising


def test_finalising_waits_until_the_year_is_over(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str], work: Work
) -> None:
    revision = _draft(db, settings, actor, keys, year=TODAY.year)
    with pytest.raises(refusals.YearNotOver):
        finalising.finalise(work, TODAY.year, revision, today=TODAY)
    assert ledger.load_ledger(db) == []


def test_finalising_writes_the_ledger_and_freezes_the_report(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str], work: Work
) -> None:
    _draft(db, settings, actor, keys)
    preview = finalising.preview(work, YEAR, today=TODAY)
    version = _finalise(db, settings, actor, keys)
    assert version.final and version.version == 1 and version.issued_on == TODAY

    [release] = _released(db)
    assert (release.kind, release.reference) == ("report", "report-2025-v1")
    assert _count(db, DisclosureFigure) == len(preview.figures)
    assert {f.cells for f in ledger.load_ledger(db, reviews=False)} == {
        f.cells for f in preview.figures}

    stored, report = archive.final_report(db, YEAR)
    assert stored == version
    assert not report.draft and report.issued_on == TODAY
    assert [t.rows for t in report.tables()] == [t.rows for t in preview.tables()]
    row = db.execute(select(AnnualReportRow)).scalar_one()
    assert row.aggregates_json is not None and row.disclosure_release_id == release.id
    aggregates = report.aggregates
    # opened: withheld next to the hidden total of 'uitsluiting', and closed with it (closed -
    # carried over bounds it from below; issue 12)
    assert (aggregates.cases_opened, aggregates.cases_closed) == (None, None)

    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "report.finalise")
                       ).scalar_one()
    assert entry.target_id == "report-2025-v1" and "Toolbox" not in entry.details
    assert archive.published(db) == [version]


def test_a_final_report_never_changes(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str], work: Work
) -> None:
    _draft(db, settings, actor, keys)
    version = _finalise(db, settings, actor, keys)
    before = db.execute(select(AnnualReportRow.report_json)).scalar_one()

    # a case of that year is added afterwards: the final version stays as it was published
    ids = departments(db, settings)
    add_case(db, settings, actor, keys, YEAR,
             Plan(PRODUCTIE, ("pesten",), (6, 6), None, None, "colleague"), ids[PRODUCTIE],
             today=TODAY)
    db.commit()
    _, report = archive.final_report(db, YEAR)
    assert _rows(report.table("categories"))["Pesten"][0] == "7"  # the new case is pesten
    assert db.execute(select(AnnualReportRow.report_json)).scalar_one() == before

    with pytest.raises(refusals.AlreadyFinal):
        drafts.save_texts(work, YEAR, version.revision, TEXTS, "nl", today=TODAY)
    with pytest.raises(refusals.AlreadyFinal):
        finalising.finalise(work, YEAR, version.revision, today=TODAY)
    assert drafts.get_draft(work, YEAR) is None
    with pytest.raises(refusals.NoDraft):
        finalising.preview(work, YEAR, today=TODAY)


def test_a_correction_with_the_same_figures_passes_the_auditor(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str], work: Work
) -> None:
    _draft(db, settings, actor, keys)
    first = _finalise(db, settings, actor, keys)
    correction = drafts.start_correction(work, YEAR)
    db.commit()
    assert (correction.version, correction.status) == (2, "draft")
    draft = drafts.get_draft(work, YEAR)
    assert draft is not None and draft.texts == TEXTS  # starts from the published texts
    with pytest.raises(refusals.ReportConflict):
        drafts.start_correction(work, YEAR)
    drafts.save_texts(work, YEAR, draft.revision,
                      ReportTexts(TEXTS.introduction, "Aangepaste aanbeveling."), "nl",
                      today=TODAY)
    db.commit()
    second = _finalise(db, settings, actor, keys)
    assert second.version == 2
    assert [v.version for v in archive.published(db)] == [2, 1]
    _, latest = archive.final_report(db, YEAR)
    _, original = archive.final_report(db, YEAR, first.version)
    assert latest.section("recommendations").paragraphs == ("Aangepaste aanbeveling.",)
    assert original.section("recommendations").paragraphs == (TEXTS.recommendations,)
    assert [r.reference for r in _released(db)] == ["report-2025-v1", "report-2025-v2"]


def test_a_correction_repeats_the_published_figures_whatever_changed_since(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str], work: Work
) -> None:
    """Issue 12: refusing (or marking) a correction because a case was registered late told
    managers that 1..k-1 cases changed. A correction repeats the figures of the version it
    corrects, in its language, and releases nothing new."""
    _draft(db, settings, actor, keys)
    _finalise(db, settings, actor, keys)
    _, first = archive.final_report(db, YEAR)
    ids = departments(db, settings)
    add_case(db, settings, actor, keys, YEAR,
             Plan(PRODUCTIE, ("pesten",), (6, 6), None, None, "colleague"), ids[PRODUCTIE],
             today=TODAY)
    drafts.start_correction(work, YEAR)
    db.commit()
    draft = drafts.get_draft(work, YEAR)
    assert draft is not None
    drafts.save_texts(work, YEAR, draft.revision,
                      ReportTexts(TEXTS.introduction, "Aangepaste aanbeveling."), "en",
                      today=TODAY)
    db.commit()
    preview = finalising.preview(work, YEAR, today=TODAY)
    assert preview.locale == first.locale == "nl"
    second = _finalise(db, settings, actor, keys)
    _, latest = archive.final_report(db, YEAR, second.version)
    for a, b in zip(first.sections, latest.sections, strict=True):
        if a.key not in {"introduction", "recommendations"}:
            assert a == b, a.key
    assert "versie 1" in latest.section("introduction").paragraphs[-1]
    release = db.execute(select(DisclosureRelease).where(
        DisclosureRelease.reference == f"report-{YEAR}-v2")).scalar_one()
    assert _count(db, DisclosureFigure) == len(db.execute(select(DisclosureFigure).join(
        DisclosureRelease, DisclosureRelease.id == DisclosureFigure.release_id).where(
        DisclosureFigure.release_id != release.id, DisclosureRelease.kind != "review"))
        .scalars().all())  # none in version 2


def test_the_auditor_refusal_is_explained_to_the_counsellor_only(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str],
    monkeypatch: pytest.MonkeyPatch, work: Work
) -> None:
    """When the ledger's auditor refuses, nothing is frozen and the audit entry holds no
    explanation (it could describe a small number)."""
    _draft(db, settings, actor, keys)
    from vp_registry.core.disclosure import AuditResult, DisclosureProblem

    refusal = AuditResult(ok=False, problems=[DisclosureProblem(
        "disclosure", frozenset(), "Kantoor · pesten", "Pesten bij Kantoor: 1 casus")])
    monkeypatch.setattr(ledger, "check", lambda *args, **kwargs: refusal)
    draft = drafts.get_draft(work, YEAR)
    assert draft is not None
    with pytest.raises(refusals.ReportBlocked) as blocked:
        finalising.finalise(work, YEAR, draft.revision, today=TODAY)
    assert blocked.value.explanation == "Pesten bij Kantoor: 1 casus"
    db.commit()  # what the request would commit: the refusal's audit entry
    assert archive.published(db) == [] and _count(db, DisclosureRelease) == 0
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "disclosure.refused")
                       ).scalar_one()
    assert "Kantoor" not in entry.details and "casus" not in entry.details


# -------------------------------------------------------------------- retention and trends


def test_cases_become_due_for_retention_only_after_a_final_report(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str]
) -> None:
    assert retention.due_cases(Work(db, settings, actor), today=TODAY) == []
    assert not retention.year_is_reported(db, YEAR)
    _draft(db, settings, actor, keys)
    # a draft is not enough
    assert retention.due_cases(Work(db, settings, actor), today=TODAY) == []
    _finalise(db, settings, actor, keys)
    assert retention.year_is_reported(db, YEAR)
    due = retention.due_cases(Work(db, settings, actor), today=TODAY)
    # the 11 closed cases opened in 2025; the carried-over one also counts in 2024 (no report)
    assert len(due) == 11
    assert all(case.opened_on.year == YEAR for case in due)


def test_trends_come_from_frozen_aggregates_not_from_erased_cases(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str], work: Work
) -> None:
    settings = settings.with_overrides(registry_start=f"{YEAR - 1}-01-01")
    _draft(db, settings, actor, keys, year=YEAR - 1)
    _finalise(db, settings, actor, keys, year=YEAR - 1)
    _, report_2024 = archive.final_report(db, YEAR - 1)
    # one case opened in 2024: its category total is '< 3', so the number is withheld
    assert report_2024.aggregates.cases_opened is None
    assert report_2024.aggregates.cases_carried_over == 0
    _draft(db, settings, actor, keys)
    before = finalising.preview(work, YEAR, today=TODAY)
    trend = _rows(before.table("trend_key_figures"))
    assert trend["Nieuwe meldingen"] == ["x", "x"]
    # the 2024 report withheld its open cases at the end, so 2025 withholds 'carried over'
    # (issue 12): it would be a new exact total over 2024, whose category total is '< 3'
    assert _rows(before.table("key_figures"))["Lopend uit 2024"] == ["x"]

    shredding.shred(db, [f.case_id for f in facts.case_facts(db, keys)
                     if f.opened_on.year == YEAR - 1])
    db.commit()
    after = finalising.preview(work, YEAR, today=TODAY)
    # 2024 still counts its case (frozen); 2025's 'carried over' stays withheld (it would
    # have changed from 1 to 0 and told a reader about the erasure)
    assert _rows(after.table("trend_key_figures"))["Nieuwe meldingen"] == ["x", "x"]
    assert _rows(after.table("key_figures"))["Lopend uit 2024"] == ["x"]
    assert archive.frozen_aggregates(db, before=YEAR)[YEAR - 1] == report_2024.aggregates


def test_overview_lists_each_year_with_its_state(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str]
) -> None:
    _draft(db, settings, actor, keys)
    _finalise(db, settings, actor, keys)
    _draft(db, settings, actor, keys, year=TODAY.year)
    states = {s.year: (s.state, s.year_over) for s in archive.overview(db, today=TODAY)}
    assert states == {2026: ("draft", False), 2025: ("final", True), 2024: ("none", True)}


# -------------------------------------------------------------------- keys


def test_key_rotation_rewraps_report_and_activity_keys(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, seeded: list[str], work: Work
) -> None:
    _draft(db, settings, actor, keys)
    work = work
    current = rotation.start(work)
    new_keys = work.keys
    db.commit()
    assert rotation.data_keys_on(db, current.from_version) == len(seeded) + 3 + 1
    while rotation.rewrap_batch(work, current, batch_size=4):
        db.commit()
    assert rotation.finish(work, current) == 0
    db.commit()
    assert rotation.rows_on_old_versions(db) == 0
    only_new = VaultKeys(new_keys.version, {new_keys.version: new_keys.current},
                         new_keys.cipher)
    draft = drafts.get_draft(Work(db, settings, actor, keys=only_new), YEAR)
    assert draft is not None and draft.texts == TEXTS
    report: AnnualReport = finalising.preview(Work(db, settings, actor, keys=only_new),
                                              YEAR, today=TODAY)
    assert _rows(report.table("time"))["Activiteiten"] == ["4,5"]
