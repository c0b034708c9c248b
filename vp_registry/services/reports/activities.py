"""The counsellor's activities: preventive and other work, shown in the annual report by type.

An activity is not case data: its date, type and time are stored in plaintext (the report
publishes them per type, and listing a year needs no decryption of dates); its free-text
description is encrypted under the row's own data key, wrapped by the vault key
(``services/record_keys.py``), because a counsellor may mention a team or a person while
drafting. Time is stored in whole minutes; the service takes and gives hours as
:class:`~decimal.Decimal`. Counsellors only; every function flushes and never commits.
Writes are audited with the row id, never the description.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.core.crypto import RecordCrypter
from vp_registry.core.report import ActivityFacts
from vp_registry.core.taxonomy import N_, ActivityType
from vp_registry.db import utcnow
from vp_registry.db.reports import Activity
from vp_registry.services.errors import Conflict, NotFound, ValidationFailed
from vp_registry.services.record_keys import (
    DATA_KEY_VERSION,
    ensure_current_key,
    new_record_key,
    open_record_key,
    random_id,
)
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

TABLE: Final = "activities"
DESCRIPTION: Final = "description"
MAX_DESCRIPTION: Final = 500
MAX_HOURS: Final = Decimal(100)
EARLIEST_DATE: Final = date(2000, 1, 1)


@dataclass(frozen=True, kw_only=True)
class ActivityInput:
    held_on: date
    activity_type: str
    hours: Decimal
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class ActivityRecord:
    id: int
    revision: int
    held_on: date
    activity_type: str
    minutes: int
    description: str

    @property
    def hours(self) -> Decimal:
        """Exact hours (a third of an hour stays a third: the report rounds the sums)."""
        return Decimal(self.minutes) / 60

    @property
    def hours_text(self) -> str:
        """For a form field: at most two decimals, no trailing zeros ("1.5", "0.33", "2")."""
        shown = self.hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
        return f"{shown:f}"

    def as_input(self) -> ActivityInput:
        return ActivityInput(held_on=self.held_on, activity_type=self.activity_type,
                             hours=self.hours, description=self.description)


class ActivityConflict(Conflict):
    message = N_("Someone else changed this activity in the meantime. Check it and try again.")


# ------------------------------------------------------------------ validation


def parse_hours(text: str) -> Decimal:
    """Hours as typed: "1,5", "1.5", "2" (a decimal comma or point, at most two decimals)."""
    cleaned = text.strip().replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationFailed(N_("Enter the hours as a number, for example 1,5."),
                               field="hours") from None
    if not value.is_finite():
        raise ValidationFailed(N_("Enter the hours as a number, for example 1,5."),
                               field="hours")
    return value


def minutes_of(hours: Decimal) -> int:
    return int((hours * 60).to_integral_value(rounding=ROUND_HALF_UP))


def validate(data: ActivityInput, *, today: date) -> tuple[ActivityInput, int]:
    """The cleaned input and its whole minutes; ValidationFailed names the field."""
    if data.held_on < EARLIEST_DATE or data.held_on > today:
        raise ValidationFailed(N_("Enter a date between %(earliest)s and today."),
                               field="held_on", earliest=EARLIEST_DATE.isoformat())
    try:
        kind = ActivityType(data.activity_type)
    except ValueError:
        raise ValidationFailed(N_("Choose the kind of activity."), field="activity_type") from None
    hours = Decimal(data.hours)
    exponent = hours.as_tuple().exponent
    if (not hours.is_finite() or hours <= 0 or hours > MAX_HOURS
            or (isinstance(exponent, int) and exponent < -2)):
        raise ValidationFailed(
            N_("Enter the hours as a number above 0 and at most %(max)s, with at most two "
               "decimals."), field="hours", max=int(MAX_HOURS))
    minutes = minutes_of(hours)
    if minutes < 1:
        raise ValidationFailed(N_("Enter at least one minute (0,02 hours)."), field="hours")
    description = "\n".join(line.rstrip() for line in data.description.strip().splitlines())
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(N_("Keep the description to %(max)s characters."),
                               field="description", max=MAX_DESCRIPTION)
    return ActivityInput(held_on=data.held_on, activity_type=kind.value, hours=hours,
                         description=description), minutes


# ------------------------------------------------------------------ rows


def _record(keys: VaultKeys, row: Activity) -> ActivityRecord:
    crypter = open_record_key(keys, row.wrapped_key, row.vault_key_version, row.data_key_version)
    description = crypter.decrypt_text(TABLE, DESCRIPTION, row.id, row.description)
    return ActivityRecord(id=row.id, revision=row.revision, held_on=row.held_on,
                          activity_type=row.activity_type, minutes=row.minutes,
                          description=description or "")


def _seal(crypter: RecordCrypter, row_id: int, description: str) -> bytes:
    blob = crypter.encrypt_text(TABLE, DESCRIPTION, row_id, description)
    if blob is None:  # pragma: no cover - only None is encrypted to None
        raise ValueError("description missing")
    return blob


def _row(session: Session, activity_id: int) -> Activity:
    row = session.get(Activity, activity_id)
    if row is None:
        raise NotFound()
    return row


# ------------------------------------------------------------------ use cases


def create_activity(work: Work, data: ActivityInput, *, today: date | None = None
                    ) -> ActivityRecord:
    clean, minutes = validate(data, today=today or date.today())
    keys = work.keys
    crypter, wrapped, vault_version = new_record_key(keys)
    row_id = random_id()
    now = utcnow()
    row = Activity(
        id=row_id, held_on=clean.held_on, activity_type=clean.activity_type, minutes=minutes,
        wrapped_key=wrapped, vault_key_version=vault_version, data_key_version=DATA_KEY_VERSION,
        description=_seal(crypter, row_id, clean.description),
        created_by=work.actor.user_id, created_at=now, updated_at=now,
    )
    work.session.add(row)
    work.flush()
    ensure_current_key(work.session, keys)
    work.audit("activity.create", target_type="activity", target_id=row.id)
    return _record(keys, row)


def get_activity(work: Work, activity_id: int) -> ActivityRecord:
    return _record(work.keys, _row(work.session, activity_id))


def update_activity(work: Work, activity_id: int, expected_revision: int, data: ActivityInput,
                    *, today: date | None = None) -> ActivityRecord:
    """Change an activity at ``expected_revision``; ActivityConflict when someone else changed
    it first (a savepoint: the caller's transaction and its audit entries stay)."""
    row = _row(work.session, activity_id)
    if row.revision != expected_revision:
        raise ActivityConflict()
    clean, minutes = validate(data, today=today or date.today())
    keys = work.keys
    crypter = open_record_key(keys, row.wrapped_key, row.vault_key_version, row.data_key_version)
    with work.conflicts(ActivityConflict):
        row.held_on = clean.held_on
        row.activity_type = clean.activity_type
        row.minutes = minutes
        row.description = _seal(crypter, row.id, clean.description)
        row.updated_at = utcnow()
    work.audit("activity.update", target_type="activity", target_id=row.id)
    return _record(keys, row)


def delete_activity(work: Work, activity_id: int, expected_revision: int) -> None:
    """Delete the row with its wrapped key (needs no vault key)."""
    row = _row(work.session, activity_id)
    if row.revision != expected_revision:
        raise ActivityConflict()
    with work.conflicts(ActivityConflict):
        work.session.delete(row)
    work.audit("activity.delete", target_type="activity", target_id=activity_id)


def list_activities(work: Work, year: int) -> list[ActivityRecord]:
    """The year's activities, oldest first."""
    session, keys = work.session, work.keys
    rows = session.execute(
        select(Activity).where(Activity.held_on >= date(year, 1, 1),
                               Activity.held_on <= date(year, 12, 31))
        .order_by(Activity.held_on, Activity.created_at)
    ).scalars()
    return [_record(keys, row) for row in rows]


def activity_years(session: Session) -> list[int]:
    """Years with at least one activity, newest first (from the plaintext dates)."""
    days = session.execute(select(func.min(Activity.held_on), func.max(Activity.held_on))).one()
    if days[0] is None:
        return []
    return list(range(days[1].year, days[0].year - 1, -1))


def report_facts(work: Work, year: int) -> list[ActivityFacts]:
    """The year's activities as the annual report's input."""
    return [ActivityFacts(a.held_on, ActivityType(a.activity_type), a.hours, a.description)
            for a in list_activities(work, year)]


def totals_by_type(records: list[ActivityRecord]) -> dict[str, tuple[int, int]]:
    """activity type -> (number, minutes), every type present (for the page's summary)."""
    totals = {kind.value: (0, 0) for kind in ActivityType}
    for record in records:
        number, minutes = totals[record.activity_type]
        totals[record.activity_type] = (number + 1, minutes + record.minutes)
    return totals

