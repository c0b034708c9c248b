"""Deleting conversations: on request, as spam, or by retention - crypto-shredded at once (I-4).

Audited with the date only, like every event of the channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core.casework import add_months
from vp_registry.db.contact import ContactPost, ContactThread
from vp_registry.services.cases import shredding
from vp_registry.services.contact import threads
from vp_registry.services.infrastructure import audit
from vp_registry.services.work import Work


def shred(session: Session, thread_ids: Iterable[int]) -> None:
    """Crypto-shred conversations: their wrapped keys and every post go at once (no key
    needed). SQLite's secure_delete overwrites the pages and the WAL is checkpointed."""
    ids = list(thread_ids)
    if not ids:
        return
    session.execute(delete(ContactPost).where(ContactPost.thread_id.in_(ids)))
    session.execute(delete(ContactThread).where(ContactThread.id.in_(ids))
                    .execution_options(synchronize_session=False))
    session.flush()
    session.expire_all()
    shredding.checkpoint_after_commit(session)


def delete_thread(work: Work, thread_id: int) -> None:
    """Delete a conversation (spam, or on request): unrecoverable at once (I-4)."""
    threads.thread_row(work.session, thread_id)
    shred(work.session, [thread_id])
    audit.record_dated(work.session, work.actor, "contact.delete")


def purge_inactive(work: Work, before: date, *, dry_run: bool = False) -> int:
    """Retention: shred conversations without activity since ``before``; returns how many.
    A dry run only counts them (and writes nothing)."""
    session = work.session
    ids = list(session.execute(
        select(ContactThread.id).where(ContactThread.last_activity_on < before)).scalars())
    if dry_run or not ids:
        return len(ids)
    shred(session, ids)
    audit.record_dated(session, work.actor, "contact.purge", count=len(ids))
    return len(ids)


def retention_cutoff(settings: Settings, today: date) -> date:
    """Conversations quiet since before this date are erased by ``retention purge``: the
    same number of months as closed cases (a conversation that became a case lives on in the
    case, under the case's own retention)."""
    return add_months(today, -settings.retention_months)
