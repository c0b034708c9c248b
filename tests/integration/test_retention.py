"""Retention by crypto-shredding (DESIGN I-4): due vs not due (a closed case is due once its
retention has passed and every year it counts in has a final annual report), dry run, no key
needed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.casework import case_input, department, unlock
from vp_registry.config import Settings
from vp_registry.core.report import ReportTexts
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.db.cases import Case, CaseContact, CaseKey
from vp_registry.services.cases import conversations, lifecycle
from vp_registry.services.cases.records import Closing, ContactInput
from vp_registry.services.infrastructure import retention
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import drafts, finalising
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

TODAY = date(2026, 11, 25)


def _work(db: Session, settings: Settings) -> Work:
    """The unit of work of ``vp-registry retention purge`` (it acts as the system)."""
    return Work(db, settings, Actor.system())


@pytest.fixture
def counsellor(db: Session, settings: Settings,
               counsellor_with_vault: Callable[..., User]) -> tuple[Actor, VaultKeys]:
    user = counsellor_with_vault()
    return Actor(user.id, "counsellor"), unlock(db, settings, user)


def finalise_report(db: Session, settings: Settings, counsellor: tuple[Actor, VaultKeys],
                    year: int, today: date = TODAY) -> None:
    """The counsellor finalises the annual report of ``year`` (through the ledger)."""
    actor, keys = counsellor
    version = drafts.save_texts(Work(db, settings, actor, keys=keys), year, 0, ReportTexts(), "nl",
                                today=today)
    finalising.finalise(Work(db, settings, actor, keys=keys), year, version.revision, today=today)
    db.commit()


@pytest.fixture
def seeded(db: Session, settings: Settings, counsellor: tuple[Actor, VaultKeys]
           ) -> dict[str, str]:
    """name -> reference of cases in every retention situation; 2024 and 2025 are reported."""
    actor, keys = counsellor
    dept = department(db, "Productie", settings).id
    plan = {
        # name: (opened, closed or None)
        "due": (date(2025, 1, 6), date(2025, 2, 10)),
        "due_multi_year": (date(2024, 11, 4), date(2025, 6, 30)),
        "retention_not_passed": (date(2025, 9, 1), date(2025, 12, 20)),
        "year_not_over": (date(2026, 1, 5), date(2026, 1, 20)),
        "open": (date(2024, 2, 1), None),
    }
    references = {}
    for name, (opened, closed) in plan.items():
        record = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                       case_input(dept, opened_on=opened),
                                   today=TODAY)
        conversations.add_contact(Work(db, settings, actor, keys=keys),
                                  record.reference, ContactInput(
            held_on=opened, minutes=30, channel="phone"), today=TODAY)
        if closed is not None:
            lifecycle.close_case(Work(db, settings, actor, keys=keys), record.reference, 1,
                                 Closing(closed_on=closed, outcome="advice"), today=TODAY)
        references[name] = record.reference
    db.commit()
    for year in (2024, 2025):
        finalise_report(db, settings, counsellor, year)
    return references


def _count(session: Session, model: type) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_year_is_reported_means_a_final_annual_report_exists(
    db: Session, settings: Settings, counsellor: tuple[Actor, VaultKeys]
) -> None:
    assert not retention.year_is_reported(db, 2025)
    actor, keys = counsellor
    drafts.save_texts(Work(db, settings, actor, keys=keys),
                      2025, 0, ReportTexts(), "nl", today=TODAY)
    db.commit()
    assert not retention.year_is_reported(db, 2025)  # a draft is not a report
    draft = drafts.get_draft(Work(db, settings, actor, keys=keys), 2025)
    assert draft is not None
    finalising.finalise(Work(db, settings, actor, keys=keys), 2025, draft.revision,
                        today=TODAY)
    db.commit()
    assert retention.year_is_reported(db, 2025)
    assert not retention.year_is_reported(db, 2024)
    assert not retention.year_is_reported(db, 2026)


def test_nothing_is_due_before_its_years_are_reported(
    db: Session, settings: Settings, counsellor: tuple[Actor, VaultKeys]
) -> None:
    actor, keys = counsellor
    dept = department(db, "Productie", settings).id
    record = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                   case_input(dept, opened_on=date(2023, 3, 1)), today=TODAY)
    lifecycle.close_case(Work(db, settings, actor, keys=keys), record.reference, 1,
                         Closing(closed_on=date(2023, 4, 1), outcome="advice"), today=TODAY)
    db.commit()
    # closed long ago, but unreported
    assert retention.due_cases(_work(db, settings), today=TODAY) == []
    finalise_report(db, settings, counsellor, 2023)
    assert [c.reference for c in retention.due_cases(_work(db, settings), today=TODAY)] == [
        record.reference]


def test_due_cases(db: Session, settings: Settings, counsellor: tuple[Actor, VaultKeys],
                   seeded: dict[str, str]) -> None:
    due = {case.reference for case in retention.due_cases(_work(db, settings), today=TODAY)}
    assert due == {seeded["due"], seeded["due_multi_year"]}
    # one year later, with 2026 reported, everything closed is due; the open case never is
    shorter = settings.with_overrides(retention_months=1)
    assert {c.reference for c in retention.due_cases(_work(db, shorter), today=TODAY)} == \
        due | {seeded["retention_not_passed"]}
    later_day = date(2027, 2, 1)
    assert {case.reference for case in retention.due_cases(_work(db, settings), today=later_day)
            } == due | {seeded["retention_not_passed"]}  # 2026 not reported yet
    finalise_report(db, settings, counsellor, 2026, today=later_day)
    later = {case.reference for case in retention.due_cases(_work(db, settings), today=later_day)}
    assert later == due | {seeded["retention_not_passed"], seeded["year_not_over"]}


def test_dry_run_changes_nothing(db: Session, settings: Settings, seeded: dict[str, str]) -> None:
    counts = [_count(db, m) for m in (Case, CaseKey, CaseContact, AuditEntry)]
    result = retention.purge(_work(db, settings), today=TODAY, dry_run=True)
    db.commit()
    assert result.dry_run and result.count == 2
    assert sorted(result.references) == sorted([seeded["due"], seeded["due_multi_year"]])
    assert [_count(db, m) for m in (Case, CaseKey, CaseContact, AuditEntry)] == counts


def test_purge_shreds_due_cases_without_a_key(db: Session, settings: Settings,
                                              seeded: dict[str, str]) -> None:
    result = retention.purge(_work(db, settings), today=TODAY)
    db.commit()
    assert result.count == 2 and not result.dry_run
    left = set(db.execute(select(Case.reference)).scalars())
    assert left == {seeded["retention_not_passed"], seeded["year_not_over"], seeded["open"]}
    assert _count(db, CaseKey) == 3 and _count(db, CaseContact) == 3
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "retention.purge")
                       ).scalar_one()
    assert entry.details == '{"count":2}' and entry.actor_role == "system"
    # running again (cron) erases nothing and writes nothing
    audit_count = _count(db, AuditEntry)
    assert retention.purge(_work(db, settings), today=TODAY).count == 0
    assert _count(db, AuditEntry) == audit_count


def test_purge_in_batches_erases_the_longest_closed_first_and_resumes(
    db: Session, settings: Settings, seeded: dict[str, str]
) -> None:
    """``retention purge`` commits a batch at a time: a purge stopped after the first batch
    kept what it erased, and the next run erases the rest."""
    first = retention.purge(_work(db, settings), today=TODAY, limit=1)
    db.commit()
    assert first.references == [seeded["due"]]  # closed 2025-02-10, before 2025-06-30
    rest = retention.purge(_work(db, settings), today=TODAY, limit=1)
    db.commit()
    assert rest.references == [seeded["due_multi_year"]]
    assert retention.purge(_work(db, settings), today=TODAY, limit=1).count == 0
    counts = db.execute(select(AuditEntry.details).where(
        AuditEntry.action == "retention.purge")).scalars()
    assert list(counts) == ['{"count":1}', '{"count":1}']


def test_a_batch_keeps_a_case_reopened_after_the_due_list_was_made(
    db: Session, settings: Settings, seeded: dict[str, str]
) -> None:
    due = retention.due_cases(_work(db, settings), today=TODAY)
    assert {case.reference for case in due} == {seeded["due"], seeded["due_multi_year"]}
    db.execute(update(Case).where(Case.reference == seeded["due"]).values(status="open"))
    result = retention.erase(_work(db, settings), due, today=TODAY)
    db.commit()
    assert result.references == [seeded["due_multi_year"]]
    assert seeded["due"] in set(db.execute(select(Case.reference)).scalars())


def test_due_soon_for_the_start_page(db: Session, settings: Settings,
                                     seeded: dict[str, str]) -> None:
    soon = retention.due_soon(_work(db, settings), today=TODAY, days=30)
    assert [(c.reference, c.erase_on) for c in soon] == sorted(
        [(seeded["due"], TODAY), (seeded["due_multi_year"], TODAY),
         (seeded["retention_not_passed"], date(2026, 12, 20))], key=lambda x: (x[1], x[0]))
    # closed 20 January 2026: retention ends 20 January 2027, after its year is over
    later = retention.due_soon(_work(db, settings), today=TODAY, days=60)
    assert (seeded["year_not_over"], date(2027, 1, 20)) in [(c.reference, c.erase_on)
                                                            for c in later]
    assert seeded["open"] not in {c.reference for c in later}
