"""When was any case data last written? Used to decide whether a category may be in use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.db.cases import Case, CaseContact


def last_case_write(session: Session) -> datetime | None:
    """The latest creation/update time of any case or case contact (None: no case data)."""
    times = [
        session.execute(select(func.max(Case.updated_at))).scalar_one(),
        session.execute(select(func.max(CaseContact.updated_at))).scalar_one(),
    ]
    written = [value for value in times if value is not None]
    return max(written) if written else None
