"""Edits after a year's final report (issue 12, docs/decisions.md): a closing date inside the
reported year, an erasure; and (session 7) an opening date moved, or a case registered, after
a signal review counted its quarter. Through the real services, on SQLite and PostgreSQL.

The next report repeats "carried over from Y" when Y's report published "open on 31 December
Y", but counts it again; so every edit made after the report must leave that count as the
report saw it. A closing recorded after the report counts from the day it was recorded
(``core.facts.as_counted``); an erased case that the report counted open at the year's end
leaves a count with no content (``services.cases.erasures``). Retention waits until the
report of the year an edit counts in has counted it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.casework import case_input
from tests.integration.test_late_registration import departments_by_name
from tests.integration.test_reports import TEXTS, TODAY, YEAR, _draft, _finalise
from tests.reportwork import KANTOOR, PRODUCTIE, departments, seed_year
from vp_registry.config import Settings
from vp_registry.core.facts import CaseFacts, as_counted
from vp_registry.core.report import AnnualReport, ReportTable
from vp_registry.core.report.model import WITHHELD_MARK
from vp_registry.core.report.tally import count_year
from vp_registry.db import make_engine
from vp_registry.db.cases import Case, CaseErasure, CaseKey, ErasedQuarter
from vp_registry.services.cases import codec, lifecycle
from vp_registry.services.cases import facts as case_facts
from vp_registry.services.cases.records import Closing
from vp_registry.services.infrastructure import backup, retention
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import counting, drafts, finalising
from vp_registry.services.signals import reviewing
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

NEXT = YEAR + 1


def reported_year(db: Session, settings: Settings, actor: Actor, keys: VaultKeys
                  ) -> tuple[Work, int, list[CaseFacts]]:
    """YEAR's cases (three open at its end) and its final report; returns the count and the
    cases open at the end of YEAR as the report counted them."""
    seed_year(db, settings, actor, keys, YEAR, today=TODAY)
    work = Work(db, settings, actor, keys=keys)
    _draft(db, settings, actor, keys, TEXTS)
    _finalise(db, settings, actor, keys)
    facts = counting.counted_case_facts(db, keys, year=YEAR)
    open_at_end = count_year(YEAR, facts).key["open_at_end"]
    still_open = [f for f in facts if f.closed_on is None]
    assert open_at_end >= 1 and still_open
    return work, open_at_end, still_open


def carried_over(db: Session, keys: VaultKeys) -> int:
    return count_year(NEXT, counting.counted_case_facts(db, keys, year=NEXT)).key["carried_over"]


def stored(db: Session, case_id: int) -> Case:
    return db.execute(select(Case).where(Case.id == case_id)).scalar_one()


def test_a_closing_date_inside_the_reported_year_counts_from_the_day_it_was_recorded(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    work, open_at_end, still_open = reported_year(db, settings, actor, keys)
    assert carried_over(db, keys) == open_at_end
    case = still_open[0]
    row = stored(db, case.case_id)
    lifecycle.close_case(work, row.reference, row.version,
                         Closing(closed_on=date(YEAR, 12, 10), outcome="advice"), today=TODAY)
    db.commit()
    row = stored(db, case.case_id)
    assert row.closed_on == date(YEAR, 12, 10)  # the register keeps it
    assert row.closed_recorded_at is not None
    recorded = row.closed_recorded_at.date()

    # the next report still carries it over, as YEAR's report published, and closes it on
    # the day the closing was recorded
    assert carried_over(db, keys) == open_at_end
    counted = {f.case_id: f for f in counting.counted_case_facts(db, keys)}
    assert counted[case.case_id].closed_on == recorded
    assert case.case_id in {f.case_id for f in counting.counted_case_facts(
        db, keys, year=recorded.year)}
    # retention waits for the report of the year the closing counts in
    later = date(recorded.year + 1, 6, 1)
    assert case.case_id not in {c.id for c in retention.due_cases(work, today=later)}
    # and the start page's estimate says so (12 months after the closing date fall in the
    # year the closing was recorded; that year's report comes first)
    soon = retention.due_soon(work, today=date(recorded.year, 12, 1), days=30)
    assert case.case_id not in {c.id for c in soon}

    # reopening clears the recording time
    lifecycle.reopen_case(work, row.reference, row.version)
    db.commit()
    assert db.get(Case, case.case_id).closed_recorded_at is None  # type: ignore[union-attr]


def test_an_erased_case_the_report_counted_open_keeps_only_a_count_for_the_next_report(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    work, open_at_end, still_open = reported_year(db, settings, actor, keys)
    case = still_open[0]
    row = stored(db, case.case_id)
    lifecycle.erase_case(work, row.reference, row.version)
    db.commit()
    assert db.get(Case, case.case_id) is None and db.get(CaseKey, case.case_id) is None

    # what is kept: the year at whose end the report counted it open, the day it counts as
    # closed (the erasure's), a count - no id, reference, department, category or text
    kept = db.execute(select(CaseErasure)).scalars().all()
    assert [(k.open_at_end_of, k.cases) for k in kept] == [(YEAR, 1)]
    columns = {c["name"] for c in sa.inspect(db.connection()).get_columns("case_erasures")}
    assert columns == {"id", "open_at_end_of", "closed_on", "cases"}

    # the next report still carries it over (as published) and counts it closed, nothing
    # recorded, on the erasure's day
    assert carried_over(db, keys) == open_at_end
    erased_day = kept[0].closed_on
    tally = count_year(erased_day.year, counting.counted_case_facts(db, keys,
                                                                  year=erased_day.year))
    assert tally.key["closed"] >= 1
    # signals count live cases only (by opening quarter): the tally is not a case there
    assert all(f.case_id > 0 for f in counting.counted_case_facts(db, keys))


def test_an_erasure_no_final_report_counted_at_a_year_end_keeps_nothing(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    """Without a final report, and for a case closed within the reported year, nothing is
    kept: no later report repeats a figure that counted them."""
    seed_year(db, settings, actor, keys, YEAR, today=TODAY)
    work = Work(db, settings, actor, keys=keys)
    first = db.execute(select(Case).order_by(Case.opened_on)).scalars().first()
    assert first is not None
    lifecycle.erase_case(work, first.reference, first.version)  # no report yet
    db.commit()
    _draft(db, settings, actor, keys, TEXTS)
    _finalise(db, settings, actor, keys)
    closed = db.execute(select(Case).where(Case.closed_on <= date(YEAR, 12, 31),
                                           Case.opened_on >= date(YEAR, 1, 1))
                        ).scalars().first()
    assert closed is not None
    lifecycle.erase_case(work, closed.reference, closed.version)
    db.commit()
    assert db.execute(select(CaseErasure)).scalars().all() == []


def test_retention_keeps_a_late_case_until_the_report_of_its_registration_year_counts_it(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    """Issue 12's third point: a case closed long ago but registered after its year's report
    counts from its registration day; retention erased it (closed 12 months ago, its year
    reported) before the report of its registration year had counted it."""
    seed_year(db, settings, actor, keys, YEAR, today=TODAY)
    _draft(db, settings, actor, keys, TEXTS)
    _finalise(db, settings, actor, keys)
    work = Work(db, settings, actor, keys=keys)
    late = lifecycle.create_case(work, case_input(
        departments_by_name(db)[PRODUCTIE], opened_on=date(YEAR, 1, 6),
        categories=("pesten",)), today=TODAY)
    lifecycle.close_case(work, late.reference, 1,
                         Closing(closed_on=date(YEAR, 1, 20), outcome="advice"), today=TODAY)
    db.commit()
    row = db.execute(select(Case).where(Case.reference == late.reference)).scalar_one()
    later = date(row.created_at.year + 1, 3, 1)  # the registration year is not reported
    assert row.id not in {c.id for c in retention.due_cases(work, today=later)}


def move_opening(work: Work, db: Session, case_id: int, opened_on: date) -> Case:
    row = stored(db, case_id)
    record = lifecycle.read_case(work, row.reference)
    lifecycle.update_case(work, row.reference, row.version,
                          replace(record.as_input(), opened_on=opened_on), today=TODAY)
    db.commit()
    return stored(db, case_id)


def test_an_opening_date_moved_out_of_the_reported_year_keeps_the_date_the_report_counted(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    work, open_at_end, still_open = reported_year(db, settings, actor, keys)
    case = still_open[0]
    row = move_opening(work, db, case.case_id, date(NEXT, 1, 5))
    assert (row.opened_on, row.counted_opened_on) == (date(NEXT, 1, 5), case.opened_on)
    assert carried_over(db, keys) == open_at_end  # as YEAR's report published
    counted = {f.case_id: f for f in counting.counted_case_facts(db, keys)}
    assert counted[case.case_id].opened_on == case.opened_on
    # a second edit keeps the date the report counted
    row = move_opening(work, db, case.case_id, date(NEXT, 2, 9))
    assert row.counted_opened_on == case.opened_on


def test_an_opening_date_moved_back_into_the_reported_year_counts_from_the_edit(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    """A case opened in January of the next year, registered before YEAR's report; after it
    its opening date moves back into YEAR: counted from the edit's day, like a late case."""
    seed_year(db, settings, actor, keys, YEAR, today=TODAY)
    work = Work(db, settings, actor, keys=keys)
    early = lifecycle.create_case(work, case_input(
        departments_by_name(db)[PRODUCTIE], opened_on=date(NEXT, 1, 10),
        categories=("pesten",)), today=TODAY)
    db.commit()
    _draft(db, settings, actor, keys, TEXTS)
    _finalise(db, settings, actor, keys)
    open_at_end = count_year(YEAR, counting.counted_case_facts(db, keys, year=YEAR)
                             ).key["open_at_end"]
    case_id = db.execute(select(Case.id).where(Case.reference == early.reference)).scalar_one()
    row = move_opening(work, db, case_id, date(YEAR, 12, 20))
    assert row.opened_on == date(YEAR, 12, 20)
    assert row.counted_opened_on is not None and row.counted_opened_on > date(YEAR, 12, 31)
    assert carried_over(db, keys) == open_at_end


def test_a_case_reopened_after_the_report_keeps_the_closing_the_report_counted(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    work, open_at_end, _ = reported_year(db, settings, actor, keys)
    closed = [f for f in counting.counted_case_facts(db, keys, year=YEAR)
              if f.closed_on is not None and f.opened_on.year == YEAR]
    case = closed[0]
    row = stored(db, case.case_id)
    lifecycle.reopen_case(work, row.reference, row.version)
    db.commit()
    row = stored(db, case.case_id)
    assert (row.closed_on, row.counted_closed_on) == (None, case.closed_on)
    assert carried_over(db, keys) == open_at_end  # as YEAR's report published
    # closed again later: the figures keep the closing YEAR's report counted
    lifecycle.close_case(work, row.reference, row.version,
                         Closing(closed_on=date(NEXT, 2, 2), outcome="advice"), today=TODAY)
    db.commit()
    counted = {f.case_id: f for f in counting.counted_case_facts(db, keys)}
    assert counted[case.case_id].closed_on == case.closed_on
    assert carried_over(db, keys) == open_at_end


# --- edits after a signal release, before the year's final report (session 7) -------------

REVIEWED = date(2026, 11, 25)  # the review of 1 October 2026: window 2025-Q4..2026-Q3


def reviewed_quarters(db: Session, settings: Settings, actor: Actor, keys: VaultKeys
                      ) -> tuple[Work, int]:
    """A Productie case opened on 4 May 2026, then the due review's answers recorded (as a
    signal release or a report's finalise does first); returns the case's id."""
    ids = departments(db, settings)
    work = Work(db, settings, actor, keys=keys)
    case = lifecycle.create_case(work, case_input(ids[PRODUCTIE], opened_on=date(2026, 5, 4),
                                                  categories=("pesten",)), today=REVIEWED)
    db.commit()
    reviewing.record_reviews(work, reviewing.current_basis(work, REVIEWED))
    db.commit()
    published = counting.finalised_moments(db)
    assert dict(published) == {}  # no final report: only the review's quarters
    assert {(2025, 4), (2026, 1), (2026, 2), (2026, 3)} <= set(published.quarters)
    assert (2026, 4) not in published.quarters
    return work, db.execute(select(Case.id).where(Case.reference == case.reference)
                            ).scalar_one()


def test_an_opening_date_moved_out_of_a_reviewed_window_keeps_the_date_it_counted(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    """The review's answers counted the case in 2026-Q2; its opening date moved to October
    afterwards: the figures keep 4 May (a later window, the 2026 report), like after a
    final report (``core.facts.Published``)."""
    work, case_id = reviewed_quarters(db, settings, actor, keys)
    row = move_opening(work, db, case_id, date(2026, 10, 20))
    assert (row.opened_on, row.counted_opened_on) == (date(2026, 10, 20), date(2026, 5, 4))
    counted = {f.case_id: f for f in counting.counted_case_facts(db, keys)}
    assert counted[case_id].opened_on == date(2026, 5, 4)
    assert case_id in {f.case_id for f in counting.counted_case_facts(db, keys, year=2026)}


def test_an_opening_date_moved_into_a_reviewed_window_counts_from_the_edit(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    work, _ = reviewed_quarters(db, settings, actor, keys)
    fresh = lifecycle.create_case(work, case_input(
        departments_by_name(db)[PRODUCTIE], opened_on=date(2026, 10, 12),
        categories=("pesten",)), today=REVIEWED)
    db.commit()
    case_id = db.execute(select(Case.id).where(Case.reference == fresh.reference)).scalar_one()
    row = move_opening(work, db, case_id, date(2026, 3, 2))
    assert row.opened_on == date(2026, 3, 2)
    # no released quarter moves: it counts from the day of the edit (after 2026-Q3)
    assert row.counted_opened_on is not None and row.counted_opened_on >= date(2026, 10, 1)
    counted = {f.case_id: f for f in counting.counted_case_facts(db, keys)}
    assert counted[case_id].opened_on == row.counted_opened_on


def test_a_case_registered_after_a_review_counts_from_its_registration_day(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    work, _ = reviewed_quarters(db, settings, actor, keys)
    late = lifecycle.create_case(work, case_input(
        departments_by_name(db)[PRODUCTIE], opened_on=date(2026, 2, 3),
        categories=("pesten",)), today=REVIEWED)
    db.commit()
    row = db.execute(select(Case).where(Case.reference == late.reference)).scalar_one()
    counted = {f.case_id: f for f in counting.counted_case_facts(db, keys)}
    assert row.opened_on == date(2026, 2, 3)  # the register keeps it
    assert counted[row.id].opened_on == row.created_at.date()  # not in a reviewed quarter
    assert counted[row.id].opened_on >= date(2026, 10, 1)


# --- department/category edits and erasures after a signal release (session 8) -------------

def regroup(work: Work, db: Session, case_id: int, department_id: int,
            categories: tuple[str, ...]) -> Case:
    row = stored(db, case_id)
    record = lifecycle.read_case(work, row.reference)
    lifecycle.update_case(work, row.reference, row.version, replace(
        record.as_input(), department_id=department_id, categories=categories), today=REVIEWED)
    db.commit()
    return stored(db, case_id)


def counted_by(db: Session, keys: VaultKeys, case_id: int) -> tuple[int, tuple[str, ...]]:
    """The department and categories the figures count - by the index path and by
    decrypting - which must agree."""
    indexed = {f.case_id: f for f in counting.counted_case_facts(db, keys)}[case_id]
    decrypted = as_counted(case_facts.decrypted_case_facts(db, keys, only=[case_id]), {})[0]
    assert (indexed.department_id, indexed.categories) == (decrypted.department_id,
                                                            decrypted.categories)
    return indexed.department_id, indexed.categories


def test_a_department_and_category_changed_after_a_review_keep_what_it_counted(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    """The review's answers counted the case in Productie x pesten (2026-Q2); moving it to
    Kantoor x seksisme afterwards changes the register, not the figures: a later window and
    the 2026 report keep counting it where the review did (``grouping_after_edit``), from
    inside the encrypted listing - no plaintext column holds it."""
    work, case_id = reviewed_quarters(db, settings, actor, keys)
    ids = departments_by_name(db)
    length = len(stored(db, case_id).listing)
    row = regroup(work, db, case_id, ids[KANTOOR], ("seksisme",))
    assert len(row.listing) == length  # the same size class: the length tells nothing
    record = lifecycle.read_case(work, row.reference)
    assert (record.department_id, record.categories) == (ids[KANTOOR], ("seksisme",))
    assert counted_by(db, keys, case_id) == (ids[PRODUCTIE], ("pesten",))
    year = {f.case_id: f for f in counting.counted_case_facts(db, keys, year=2026)}
    assert (year[case_id].department_id, year[case_id].categories) == (ids[PRODUCTIE],
                                                                       ("pesten",))
    # a second edit and a closing keep it; putting back what is counted clears it
    row = regroup(work, db, case_id, ids[KANTOOR], ("pesten", "seksisme"))
    lifecycle.close_case(work, row.reference, row.version,
                         Closing(closed_on=date(2026, 11, 20), outcome="advice"),
                         today=REVIEWED)
    db.commit()
    assert counted_by(db, keys, case_id) == (ids[PRODUCTIE], ("pesten",))
    lifecycle.reopen_case(work, row.reference, stored(db, case_id).version)
    db.commit()
    regroup(work, db, case_id, ids[PRODUCTIE], ("pesten",))
    assert counted_by(db, keys, case_id) == (ids[PRODUCTIE], ("pesten",))
    assert codec_counted(db, keys, case_id) is None


def codec_counted(db: Session, keys: VaultKeys, case_id: int
                  ) -> tuple[int, tuple[str, ...]] | None:
    row, key = db.execute(select(Case, CaseKey).join(CaseKey, CaseKey.case_id == Case.id)
                          .where(Case.id == case_id)).one()
    crypter = codec.open_crypter(keys, key.wrapped_key, key.vault_key_version,
                                 row.data_key_version)
    return codec.counted_grouping(codec.decode_listing(crypter, row.id, row.listing))


def test_a_department_changed_before_any_release_counts_the_new_one(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    """A case of 2026-Q4 (no release counted that quarter yet) moved to Kantoor counts
    there."""
    work, _ = reviewed_quarters(db, settings, actor, keys)
    ids = departments_by_name(db)
    fresh = lifecycle.create_case(work, case_input(ids[PRODUCTIE], opened_on=date(2026, 10, 12),
                                                   categories=("pesten",)), today=REVIEWED)
    db.commit()
    case_id = db.execute(select(Case.id).where(Case.reference == fresh.reference)).scalar_one()
    regroup(work, db, case_id, ids[KANTOOR], ("seksisme",))
    assert counted_by(db, keys, case_id) == (ids[KANTOOR], ("seksisme",))
    assert codec_counted(db, keys, case_id) is None


def test_an_erasure_after_a_review_keeps_only_its_quarter_and_withholds_the_year(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    """The case counted by the review's answers (2026-Q2) is erased on the person's request.
    Kept: the quarter only (no id, reference, department, category, count or text); the 2026
    report then shows no department table and no category totals - whichever case it was -
    and says why (``core.facts.erased_quarter``, option (b))."""
    work, case_id = reviewed_quarters(db, settings, actor, keys)
    row = stored(db, case_id)
    lifecycle.erase_case(work, row.reference, row.version)
    db.commit()
    assert db.get(Case, case_id) is None
    kept = db.execute(select(ErasedQuarter.year, ErasedQuarter.quarter)).all()
    assert [tuple(k) for k in kept] == [(2026, 2)]
    columns = {c["name"] for c in sa.inspect(db.connection()).get_columns("erased_quarters")}
    assert columns == {"id", "year", "quarter"}
    assert counting.erased_quarters(db) == {"2026-Q2"}
    # the 2026 report: department cells and category totals withheld, and why
    ids = departments_by_name(db)
    lifecycle.create_case(work, case_input(ids[PRODUCTIE], opened_on=date(2026, 11, 2),
                                           categories=("pesten",)), today=REVIEWED)
    db.commit()
    report = year_report(db, settings, actor, keys, 2026)
    departments_section = next(s for s in report.sections if s.key == "departments")
    assert any(isinstance(b, str) and "erased" in b for b in departments_section.blocks)
    assert not any(isinstance(b, ReportTable) for b in departments_section.blocks)
    categories = next(s for s in report.sections if s.key == "categories").blocks[0]
    assert isinstance(categories, ReportTable)
    assert all(row.cells[0].display == WITHHELD_MARK for row in categories.rows)
    # erasing a case whose quarter no release counted keeps nothing more
    fresh = db.execute(select(Case).where(Case.opened_on == date(2026, 11, 2))).scalar_one()
    lifecycle.erase_case(work, fresh.reference, fresh.version)
    db.commit()
    assert counting.erased_quarters(db) == {"2026-Q2"}


def year_report(db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
                year: int) -> AnnualReport:
    work = Work(db, settings, actor, keys=keys)
    drafts.save_texts(work, year, 0, TEXTS, "en", today=date(year + 1, 1, 15))
    db.commit()
    return finalising.preview(work, year, today=date(year + 1, 1, 15))


def stored_by_reference(db: Session, reference: str) -> Case:
    return db.execute(select(Case).where(Case.reference == reference)).scalar_one()


def test_the_counted_department_survives_a_backup_round_trip(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys, tmp_path: Path,
) -> None:
    """Backup and restore (like export/import and key rotation, which copy or re-wrap keys and
    leave the listing's ciphertext as it is) keep the counted department and categories, and
    the erased quarters."""
    ids = departments(db, settings)
    work = Work(db, settings, actor, keys=keys)
    created = [lifecycle.create_case(work, case_input(ids[PRODUCTIE], opened_on=opened,
                                                      categories=("pesten",)), today=REVIEWED)
               for opened in (date(2026, 5, 4), date(2026, 8, 3))]
    db.commit()
    reviewing.record_reviews(work, reviewing.current_basis(work, REVIEWED))
    db.commit()
    kept, other = (stored_by_reference(db, c.reference) for c in created)
    case_id = kept.id
    regroup(work, db, case_id, ids[KANTOOR], ("seksisme",))
    lifecycle.erase_case(work, other.reference, other.version)
    db.commit()
    assert counting.erased_quarters(db) == {"2026-Q3"}
    path = tmp_path / "backup.vpb"
    backup.create_backup(db.get_bind().engine, settings.backup_key, path)
    assert b"seksisme" not in path.read_bytes()
    target = make_engine(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    try:
        backup.restore_backup(target, settings.backup_key, path)
        with Session(target) as restored:
            assert counted_by(restored, keys, case_id) == (ids[PRODUCTIE], ("pesten",))
            assert codec_counted(restored, keys, case_id) == (ids[PRODUCTIE], ("pesten",))
            assert counting.erased_quarters(restored) == {"2026-Q3"}
    finally:
        target.dispose()


def test_a_retention_purge_of_released_quarters_is_treated_like_an_erasure_on_request(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    """Retention erases by public rules (dates) only cases whose years are all reported, so
    no report recounts them; but a signal window can still cover their quarter (a case
    closed in Q3 is due 12 months later, while the window of the review before still holds
    that Q3). So the purge keeps the same dates-only fact as an erasure on request - the
    quarters a release had counted - and nothing else."""
    work, _, _ = reported_year(db, settings, actor, keys)
    assert counting.erased_quarters(db) == frozenset()
    before = {row.id: row.opened_on for row in db.execute(select(Case.id, Case.opened_on))}
    purged = retention.purge(work, today=date(NEXT + 1, 6, 1))
    db.commit()
    assert purged.count >= 1
    gone = {case_id: opened for case_id, opened in before.items()
            if db.get(Case, case_id) is None}
    assert len(gone) == purged.count
    expected = {f"{d.year}-Q{(d.month - 1) // 3 + 1}" for d in gone.values()
                if d.year == YEAR}  # the final report of YEAR released its quarters
    assert expected and counting.erased_quarters(db) == expected


def test_no_review_slot_over_a_quarter_erased_from_after_its_release(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
) -> None:
    """After the erasure of a case of 2026-Q2 (counted by the 1 October review), a review
    whose window holds 2026-Q2 holds no slot - concentration or rise - so no signal over it is
    offered or released (``reviewing.review_slots``/``rise_slots``; decided from the
    erased quarter only); windows without it are reviewed as before."""
    work, case_id = reviewed_quarters(db, settings, actor, keys)
    row = stored(db, case_id)
    lifecycle.erase_case(work, row.reference, row.version)
    db.commit()
    basis = reviewing.current_basis(work, REVIEWED)
    assert basis.erased_quarters == {"2026-Q2"}
    assert reviewing.review_slots(basis, date(2027, 1, 1)) == []  # window 2026-Q1..Q4
    assert reviewing.rise_slots(basis, date(2026, 10, 1)) == []  # 2026-Q3 against Q2
    assert reviewing.review_slots(basis, date(2027, 10, 1))  # 2026-Q4..2027-Q3
    assert reviewing.rise_slots(basis, date(2027, 1, 1))  # 2026-Q4 against Q3
    answered = reviewing.review_answers(basis, [], on=date(2027, 1, 1))
    assert not answered.figures
    assert not [c for c in reviewing.offered(basis.candidates, answered)
                if c.kind in ("concentration", "rise")]
    # a candidate over it (three Productie cases of 2026-Q2) is not releasable either - a
    # release asks audit_release, whose held-check reads answers recorded before the erasure
    productie = departments_by_name(db)[PRODUCTIE]
    three = [CaseFacts(-i, date(2026, 4, 6 + i), None, productie, ("pesten",))
             for i in range(1, 4)]

    def concentrations(erased: frozenset[str]) -> list[bool]:
        made = reviewing.basis_of(three, basis.grouping, basis.rules, date(2027, 1, 4),
                                  basis.category_labels, erased)
        return [c.releasable for c in made.candidates if c.kind == "concentration"]

    assert concentrations(frozenset()) == [True]
    assert concentrations(basis.erased_quarters) == [False]
