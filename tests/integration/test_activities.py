"""The counsellor's activities: create, read, edit, delete; validation; the description is
encrypted at rest (date, type and time are not); stale edits are refused; report input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core.taxonomy import ActivityType
from vp_registry.db.audit import AuditEntry
from vp_registry.db.reports import Activity
from vp_registry.services.errors import NotFound, ValidationFailed
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import activities
from vp_registry.services.reports.activities import ActivityInput
from vp_registry.services.work import Work

TODAY = date(2026, 11, 25)
TRAINING = ActivityInput(held_on=date(2026, 3, 12), activity_type="training",
                         hours=Decimal("3.5"), description="Training omstandersgedrag, ploeg B")


def test_create_list_edit_delete(db: Session, settings: Settings, actor: Actor, work: Work) -> None:
    created = activities.create_activity(work, TRAINING, today=TODAY)
    activities.create_activity(work, ActivityInput(
        held_on=date(2025, 12, 1), activity_type="office_hours", hours=Decimal(1)), today=TODAY)
    db.commit()
    assert (created.minutes, created.hours, created.hours_text) == (210, Decimal("3.5"), "3.5")
    listed = activities.list_activities(work, 2026)
    assert [a.id for a in listed] == [created.id]
    assert listed[0].description == TRAINING.description
    assert activities.activity_years(db) == [2026, 2025]

    edited = activities.update_activity(
        work, created.id, created.revision,
        ActivityInput(held_on=date(2026, 3, 13), activity_type="presentation",
                      hours=Decimal("1.25"), description="Voorlichting"), today=TODAY)
    db.commit()
    assert (edited.activity_type, edited.minutes, edited.description, edited.revision) == (
        "presentation", 75, "Voorlichting", created.revision + 1)

    activities.delete_activity(Work(db, settings, actor), created.id, edited.revision)
    db.commit()
    assert activities.list_activities(work, 2026) == []
    with pytest.raises(NotFound):
        activities.get_activity(work, created.id)
    actions = list(db.execute(select(AuditEntry.action).where(
        AuditEntry.target_type == "activity").order_by(AuditEntry.seq)).scalars())
    assert actions == ["activity.create", "activity.create", "activity.update",
                       "activity.delete"]
    details = " ".join(db.execute(select(AuditEntry.details)).scalars())
    assert "Voorlichting" not in details and "omstandersgedrag" not in details


def test_stale_edit_or_delete_is_refused(
    db: Session, settings: Settings, actor: Actor, work: Work
) -> None:
    created = activities.create_activity(work, TRAINING, today=TODAY)
    activities.update_activity(work, created.id, created.revision, TRAINING, today=TODAY)
    db.commit()
    with pytest.raises(activities.ActivityConflict):
        activities.update_activity(work, created.id, created.revision,
                                   TRAINING, today=TODAY)
    with pytest.raises(activities.ActivityConflict):
        activities.delete_activity(Work(db, settings, actor), created.id, created.revision)


@pytest.mark.parametrize(("change", "field"), [
    ({"held_on": date(2026, 11, 26)}, "held_on"),  # in the future
    ({"held_on": date(1999, 12, 31)}, "held_on"),
    ({"activity_type": "party"}, "activity_type"),
    ({"hours": Decimal(0)}, "hours"),
    ({"hours": Decimal("-1")}, "hours"),
    ({"hours": Decimal("100.5")}, "hours"),
    ({"hours": Decimal("1.255")}, "hours"),  # three decimals
    ({"hours": Decimal("0.001")}, "hours"),
    ({"description": "x" * 501}, "description"),
])
def test_invalid_input_names_the_field(change: dict[str, object], field: str, work: Work) -> None:
    values = {"held_on": TRAINING.held_on, "activity_type": TRAINING.activity_type,
              "hours": TRAINING.hours, "description": TRAINING.description, **change}
    with pytest.raises(ValidationFailed) as error:
        activities.create_activity(work, ActivityInput(**values),
                                   today=TODAY)  # type: ignore[arg-type]
    assert error.value.field == field


@pytest.mark.parametrize(("typed", "hours"), [("1,5", Decimal("1.5")), ("2", Decimal(2)),
                                              (" 0.25 ", Decimal("0.25"))])
def test_hours_as_typed(typed: str, hours: Decimal) -> None:
    assert activities.parse_hours(typed) == hours


@pytest.mark.parametrize("typed", ["", "anderhalf", "1,5,0", "NaN", "Infinity"])
def test_hours_that_are_not_a_number(typed: str) -> None:
    with pytest.raises(ValidationFailed):
        activities.parse_hours(typed)


def test_description_is_encrypted_at_rest_and_bound_to_its_row(db: Session, work: Work) -> None:
    first = activities.create_activity(work, TRAINING, today=TODAY)
    second = activities.create_activity(work, ActivityInput(
        held_on=date(2026, 4, 1), activity_type="other", hours=Decimal(1),
        description="Iets anders"), today=TODAY)
    db.commit()
    for blob in db.execute(text("SELECT description FROM activities")).scalars():
        assert b"omstandersgedrag" not in bytes(blob) and b"anders" not in bytes(blob)
    row = db.get(Activity, first.id)
    assert row is not None and (row.activity_type, row.minutes) == ("training", 210)
    db.execute(text("UPDATE activities SET description = :blob WHERE id = :id"),
               {"blob": row.description, "id": second.id})
    db.commit()
    db.expire_all()
    from vp_registry.core.crypto import DecryptionError

    with pytest.raises(DecryptionError):
        activities.get_activity(work, second.id)


def test_report_facts(work: Work) -> None:
    activities.create_activity(work, TRAINING, today=TODAY)
    activities.create_activity(work, ActivityInput(
        held_on=date(2026, 5, 1), activity_type="peer_review", hours=Decimal("0.33")),
        today=TODAY)
    facts = activities.report_facts(work, 2026)
    assert [(f.activity_type, f.hours) for f in facts] == [
        (ActivityType.TRAINING, Decimal("3.5")), (ActivityType.PEER_REVIEW, Decimal(20) / 60)]
    assert activities.report_facts(work, 2025) == []
