"""Crypto-shredding: a case's key first, then its rows; the SQLite log checkpointed after."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from vp_registry.db import utcnow
from vp_registry.db.cases import Case, CaseContact, CaseKey
from vp_registry.services.cases import erasures
from vp_registry.services.reports.counting import finalised_moments
from vp_registry.services.vault.store import invalidate_listing_caches

_CHUNK = 500


def shred(session: Session, case_ids: Sequence[int]) -> None:
    """Crypto-shred: delete the wrapped data keys first, then every ciphertext and row.

    Needs no vault key (retention runs unattended). SQLite's secure_delete overwrites the
    freed pages, and once the transaction commits the write-ahead log is checkpointed and
    truncated so no copy of a deleted key stays in ``-wal``. A case that a final annual
    report counted open at its year's end leaves a count in the report tally
    (``erasures.keep_counted``, issue 12): no content, only what a later report repeats.
    """
    invalidate_listing_caches(session)  # no decrypted listing of an erased case survives
    erasures.keep_counted(session, case_ids, utcnow(), finalised_moments(session))
    for start in range(0, len(case_ids), _CHUNK):
        chunk = list(case_ids[start:start + _CHUNK])
        session.execute(delete(CaseKey).where(CaseKey.case_id.in_(chunk)))
        session.execute(delete(CaseContact).where(CaseContact.case_id.in_(chunk)))
        session.execute(delete(Case).where(Case.id.in_(chunk)).execution_options(
            synchronize_session=False))
    session.flush()
    session.expire_all()
    checkpoint_after_commit(session)


def checkpoint(engine: Engine) -> None:
    """SQLite: copy the write-ahead log into the database file and truncate it. Best effort:
    with a reader active SQLite checkpoints later by itself. PostgreSQL keeps dead row
    versions until VACUUM reuses the space (see docs/vault-and-cases.md)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def checkpoint_after_commit(session: Session) -> None:
    """Run :func:`checkpoint` once the current transaction has been committed."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine

    def _after_commit(_session: Session) -> None:
        checkpoint(engine)

    event.listen(session, "after_commit", _after_commit, once=True)
