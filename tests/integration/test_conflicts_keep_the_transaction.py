"""A conflict in the report and activity services leaves the caller's transaction alone (issue 13).

A stale write (someone else saved the row in the meantime) used to roll back the whole
session, which also dropped what the request had done before - among it the audit entry of a
read, so a page that showed content after the conflict did not record that it was read. Now the
write runs in a savepoint (``Work.conflicts``): only the write is undone, the service raises its
conflict, and the caller commits what came before. "Someone else saved meanwhile" is a raw
UPDATE of the row's revision in the same transaction: the ORM still holds the old revision, so
its version check fails exactly as with a concurrent writer.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.reportwork import seed_year
from vp_registry.config import Settings
from vp_registry.core.report import ReportTexts
from vp_registry.db.audit import AuditEntry
from vp_registry.db.disclosure import DisclosureRelease
from vp_registry.db.reports import DRAFT, Activity, AnnualReportRow
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import activities, drafts, finalising
from vp_registry.services.reports.activities import ActivityConflict, ActivityInput
from vp_registry.services.reports.refusals import ReportConflict
from vp_registry.services.signals import reviewing
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

YEAR = 2025
TODAY = date(2026, 11, 25)


def _saved_meanwhile(db: Session, table: str, row_id: int) -> None:
    """Another writer's save: the stored revision moves on, the ORM's copy does not."""
    db.execute(text(f"UPDATE {table} SET revision = revision + 1 WHERE id = :id"),  # noqa: S608
               {"id": row_id})


def _actions(db: Session) -> list[str]:
    return list(db.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def _read_before(work: Work) -> None:
    """A read the request audits before its write (the counsellor's signal review)."""
    reviewing.review(work, today=TODAY)


def test_a_stale_report_save_keeps_the_read_audited_before_it(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys
) -> None:
    work = Work(db, settings, actor, keys=keys)
    drafts.save_texts(work, YEAR, 0, ReportTexts("Eerste tekst.", ""), "nl", today=TODAY)
    db.commit()
    before = len(_actions(db))

    draft = drafts.get_draft(work, YEAR)  # the edit page loads the draft ...
    assert draft is not None
    _read_before(work)
    row = db.execute(select(AnnualReportRow)).scalar_one()
    _saved_meanwhile(db, "annual_reports", row.id)  # ... a colleague saves ...
    with pytest.raises(ReportConflict):  # ... and this save is stale
        drafts.save_texts(work, YEAR, draft.revision, ReportTexts("Mijn tekst.", ""), "nl",
                          today=TODAY)
    db.commit()

    assert _actions(db)[before:] == ["signal.review"]
    db.expire_all()
    stored = drafts.get_draft(work, YEAR)
    assert stored is not None and stored.texts.introduction == "Eerste tekst."
    assert stored.revision == draft.revision + 1  # the colleague's save, not undone


def test_a_stale_activity_update_keeps_the_read_audited_before_it(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys
) -> None:
    work = Work(db, settings, actor, keys=keys)
    made = activities.create_activity(work, ActivityInput(
        held_on=TODAY, activity_type="training", hours=Decimal(2), description="Training"),
        today=TODAY)
    db.commit()
    before = len(_actions(db))

    _read_before(work)
    record = activities.get_activity(work, made.id)
    loaded = db.get(Activity, made.id)  # held, as during the service's own read and write
    assert loaded is not None
    _saved_meanwhile(db, "activities", loaded.id)
    with pytest.raises(ActivityConflict):
        activities.update_activity(work, made.id, record.revision, ActivityInput(
            held_on=TODAY, activity_type="training", hours=Decimal(3),
            description="Mijn versie"), today=TODAY)
    db.commit()

    assert _actions(db)[before:] == ["signal.review"]
    db.expire_all()
    assert activities.get_activity(work, made.id).description == "Training"


def test_a_stale_finalisation_releases_nothing_and_keeps_the_read_audited_before_it(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys
) -> None:
    seed_year(db, settings, actor, keys, YEAR, today=TODAY)
    work = Work(db, settings, actor, keys=keys)
    drafts.save_texts(work, YEAR, 0, ReportTexts("Inleiding.", ""), "nl", today=TODAY)
    db.commit()
    before = len(_actions(db))

    draft = drafts.get_draft(work, YEAR)
    assert draft is not None
    _read_before(work)
    row = db.execute(select(AnnualReportRow)).scalar_one()
    _saved_meanwhile(db, "annual_reports", row.id)
    with pytest.raises(ReportConflict):
        finalising.finalise(work, YEAR, draft.revision, today=TODAY)
    db.commit()

    # the ledger's figures and the frozen row went back together; nothing logged as released
    # (the signal review's answers, issue 12, are no release)
    assert db.execute(select(DisclosureRelease).where(
        DisclosureRelease.kind != "review")).first() is None
    assert _actions(db)[before:] == ["signal.review"]
    db.expire_all()
    assert db.execute(select(AnnualReportRow.status)).scalar_one() == DRAFT


def test_a_draft_created_twice_at_once_keeps_the_read_audited_before_it(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    work = Work(db, settings, actor, keys=keys)
    drafts.save_texts(work, YEAR, 0, ReportTexts("Van de collega.", ""), "nl", today=TODAY)
    db.commit()
    before = len(_actions(db))

    _read_before(work)
    # this request looked before the colleague's draft was stored: it creates version 1 too
    monkeypatch.setattr(drafts, "draft_row", lambda _session, _year: None)
    with pytest.raises(ReportConflict):  # the unique (year, version), in a savepoint
        drafts.save_texts(work, YEAR, 0, ReportTexts("Mijn tekst.", ""), "nl", today=TODAY)
    db.commit()

    assert _actions(db)[before:] == ["signal.review"]
    assert db.execute(select(func.count()).select_from(AnnualReportRow)).scalar_one() == 1
