"""Management's side of released signals: listing, acknowledging, follow-up, the report's
signal facts. Nothing here is derived from cases except what passed the ledger."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.core.disclosure import (
    ORGANISATION,
    OTHER_DEPARTMENTS,
)
from vp_registry.core.taxonomy import N_, SuggestedAction
from vp_registry.db import utcnow
from vp_registry.db.accounts import User
from vp_registry.db.organisation import Category
from vp_registry.db.signals import ReleasedSignal, SignalFollowUp
from vp_registry.services.errors import NotFound, ValidationFailed
from vp_registry.services.work import Work

if TYPE_CHECKING:
    from vp_registry.core.report import ReleasedSignalFacts
MAX_FOLLOW_UP: Final = 4000
EARLIEST_FOLLOW_UP: Final = date(2000, 1, 1)


@dataclass(frozen=True)
class SignalFilter:
    period: str | None = None  # last quarter "YYYY-Qn"
    group: str | None = None
    category: str | None = None


def released_signals(session: Session, criteria: SignalFilter | None = None
                     ) -> list[ReleasedSignal]:
    """Released signals, newest period first (then group and category)."""
    criteria = criteria or SignalFilter()
    query = select(ReleasedSignal)
    if criteria.period:
        query = query.where(ReleasedSignal.last_quarter == criteria.period)
    if criteria.group:
        query = query.where(ReleasedSignal.group_key == criteria.group)
    if criteria.category:
        query = query.where(ReleasedSignal.category == criteria.category)
    query = query.order_by(ReleasedSignal.last_quarter.desc(), ReleasedSignal.group_label,
                           ReleasedSignal.category, ReleasedSignal.id)
    return list(session.execute(query).scalars())


@dataclass(frozen=True)
class FilterOptions:
    periods: list[str]
    groups: list[tuple[str, str]]  # (key, label)
    categories: list[str]


def filter_options(session: Session) -> FilterOptions:
    rows = released_signals(session)
    periods = sorted({r.last_quarter for r in rows}, reverse=True)
    groups = sorted({(r.group_key, r.group_label) for r in rows}, key=lambda g: g[1].lower())
    categories = sorted({r.category for r in rows})
    return FilterOptions(periods, groups, categories)


def get_signal(session: Session, signal_id: int) -> ReleasedSignal:
    row = session.get(ReleasedSignal, signal_id)
    if row is None:
        raise NotFound()
    return row


def follow_ups(session: Session, signal_ids: Iterable[int]) -> dict[int, list[SignalFollowUp]]:
    ids = list(set(signal_ids))
    found: dict[int, list[SignalFollowUp]] = {i: [] for i in ids}
    if not ids:
        return found
    for row in session.execute(
        select(SignalFollowUp).where(SignalFollowUp.signal_id.in_(ids))
        .order_by(SignalFollowUp.done_on, SignalFollowUp.id)
    ).scalars():
        found[row.signal_id].append(row)
    return found


def user_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    return {user_id: name for user_id, name in session.execute(
        select(User.id, User.display_name).where(User.id.in_(ids)))}


def acknowledge(work: Work, signal_id: int) -> ReleasedSignal:
    """Management has seen the signal (once; later calls change nothing)."""
    row = get_signal(work.session, signal_id)
    if row.acknowledged_at is None:
        row.acknowledged_at = utcnow()
        row.acknowledged_by = work.actor.user_id
        work.flush()
        work.audit("signal.acknowledge", target_type="signal", target_id=row.id)
    return row


def add_follow_up(work: Work, signal_id: int, *, done_on: date | None, description: str,
                  today: date | None = None) -> SignalFollowUp:
    """Record what management did about a signal, and when (acknowledges it too)."""
    today = today or date.today()
    row = get_signal(work.session, signal_id)
    text = (description or "").strip()
    if not text:
        raise ValidationFailed(N_("Describe what was done."), field="description")
    if len(text) > MAX_FOLLOW_UP:
        raise ValidationFailed(N_("Use at most %(max)s characters."), field="description",
                               max=MAX_FOLLOW_UP)
    if done_on is None:
        raise ValidationFailed(N_("Enter the date."), field="done_on")
    if done_on > today:
        raise ValidationFailed(N_("The date cannot be in the future."), field="done_on")
    if done_on < EARLIEST_FOLLOW_UP:
        raise ValidationFailed(N_("Enter a date after %(date)s."), field="done_on",
                               date=EARLIEST_FOLLOW_UP.isoformat())
    acknowledge(work, row.id)
    entry = SignalFollowUp(signal_id=row.id, done_on=done_on, description=text,
                           recorded_at=utcnow(), recorded_by=work.actor.user_id)
    work.session.add(entry)
    work.flush()
    work.audit("signal.follow_up", target_type="signal", target_id=row.id)
    return entry


def record_export(work: Work, *, rows: int, fmt: str = "csv") -> None:
    """An export repeats figures that were already released; it is audited, adds none."""
    work.audit("signal.export", rows=rows, format=fmt)


def actions_of(row: ReleasedSignal) -> list[str]:
    return [a for a in row.actions.split(",") if a]


def report_facts(session: Session, year: int, locale: str = "nl") -> list[ReleasedSignalFacts]:
    """Signals released in ``year`` with their latest follow-up, for the annual report
    (category and special group names in the report's language ``locale``)."""
    from vp_registry.core import report  # the report's own input type and vocabulary
    from vp_registry.services.pulse.signals import PULSE_CATEGORY, PULSE_KINDS

    labels = {c.code: c.label_en if locale == "en" else c.label_nl
              for c in session.execute(select(Category)).scalars()}
    labels[PULSE_CATEGORY] = report.text(locale, "pulse_signal_category")  # issue 16
    special = {ORGANISATION: report.text(locale, "whole_organisation"),
               OTHER_DEPARTMENTS: report.text(locale, "other_departments")}
    rows = [r for r in released_signals(session) if r.released_at.year == year]
    rows.sort(key=lambda r: (r.released_at, r.id))
    notes = follow_ups(session, (r.id for r in rows))
    facts = []
    for row in rows:
        actions = [a for a in actions_of(row) if a != SuggestedAction.OTHER.value]
        if row.other_action:
            actions.append(row.other_action)
        latest = notes[row.id][-1] if notes[row.id] else None
        facts.append(report.ReleasedSignalFacts(
            period=row.period_label, group=special.get(row.group_key, row.group_label),
            category=labels.get(row.category, row.category),
            band=_pulse_band(row.band, locale) if row.kind in PULSE_KINDS else row.band,
            context=row.context, suggested_actions=tuple(actions),
            follow_up=latest.description if latest else None,
            follow_up_on=latest.done_on if latest else None,
        ))
    return facts


def _pulse_band(score: str, locale: str) -> str:
    """A pulse signal's released score in the report's words ("Veiligheidsscore 3,4")."""
    from vp_registry.core import report

    shown = score.replace(".", ",") if locale == "nl" else score
    return f"{report.text(locale, 'pulse_score')} {shown}"
