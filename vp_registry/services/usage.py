"""When was any case data last written? Used to decide whether a category may be in use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def last_case_write(session: Session) -> datetime | None:
    """The latest creation/update time of any case or case contact (None: no case data)."""
    return None
