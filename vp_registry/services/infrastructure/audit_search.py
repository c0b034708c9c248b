"""The administrator's view of the audit log: entries filtered by who, what and when, newest
first, and the actions that occur (web/admin/views.py). Reading only: appending and verifying
are services/infrastructure/audit.py's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.db.audit import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    action: str | None = None
    # One of these codes (a kind of event); an empty tuple matches nothing.
    actions: tuple[str, ...] | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


def search(
    session: Session, criteria: AuditFilter, *, limit: int = 100, offset: int = 0
) -> tuple[list[AuditEntry], int]:
    query = select(AuditEntry)
    if criteria.actor_id is not None:
        query = query.where(AuditEntry.actor_id == criteria.actor_id)
    if criteria.action:
        query = query.where(AuditEntry.action == criteria.action)
    if criteria.actions is not None:
        query = query.where(AuditEntry.action.in_(criteria.actions))
    if criteria.date_from is not None:
        query = query.where(AuditEntry.created_at >= criteria.date_from)
    if criteria.date_to is not None:
        query = query.where(AuditEntry.created_at < criteria.date_to)

    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        # Newest first by time: with lanes (audit.py) seq counts within a lane only.
        query.order_by(AuditEntry.created_at.desc(), AuditEntry.lane.desc(),
                       AuditEntry.seq.desc()).limit(limit).offset(offset)
    ).scalars()
    return list(rows), int(total)


def known_actions(session: Session) -> list[str]:
    return list(session.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
                .scalars())
