"""The plaintext dates that decide from when a case counts in the figures (issue 12).

Opening and closing dates, when the case was registered and its closing recorded, and the
dates a final report counted that an edit after it must not move (``counted_opened_on``,
``counted_closed_on``) - all plaintext (I-1 allows dates), so erasure, retention and the
edit rules work without the vault key. ``core.facts.as_counted`` applies them.
"""

from __future__ import annotations

from typing import Any

from vp_registry.core.facts import CaseFacts
from vp_registry.db.cases import Case

DATE_COLUMNS = (Case.id, Case.opened_on, Case.closed_on, Case.created_at,
                Case.closed_recorded_at, Case.counted_opened_on, Case.counted_closed_on)
"""The columns :func:`dated_facts` needs (select them, or pass a ``Case``)."""

EDIT_COLUMNS = DATE_COLUMNS[4:]
"""The columns a decrypted case's facts do not carry yet."""


def dated_facts(row: Any) -> CaseFacts:
    """A case's dates as :class:`CaseFacts` (no department or category: not decrypted)."""
    return CaseFacts(row.id, row.opened_on, row.closed_on, 0, (), registered_at=row.created_at,
                     closed_recorded_at=row.closed_recorded_at,
                     counted_opened_on=row.counted_opened_on,
                     counted_closed_on=row.counted_closed_on)
