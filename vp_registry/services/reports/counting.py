"""Which cases the published figures count, and from when (issue 12, docs/decisions.md).

Every figure that leaves - the annual report's and the signals' - counts the decrypted cases
through :func:`counted_case_facts`: a case registered after the final report of a year in
which it was open counts from its registration day (``core.facts.as_counted``), so a late
case never changes what a later report repeats from a published one ("carried over from
Y-1" against "open on 31 December Y-1") and never changes a released quarter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.core.facts import CaseFacts, as_counted
from vp_registry.db.reports import FINAL, AnnualReportRow
from vp_registry.services.cases import facts as case_facts
from vp_registry.services.vault.keyring import VaultKeys


def finalised_moments(session: Session) -> dict[int, datetime]:
    """When the first final report of each year was finalised (public: its date is shown)."""
    rows = session.execute(
        select(AnnualReportRow.year, func.min(AnnualReportRow.finalised_at))
        .where(AnnualReportRow.status == FINAL, AnnualReportRow.finalised_at.is_not(None))
        .group_by(AnnualReportRow.year))
    return {int(year): moment for year, moment in rows if moment is not None}


def counted_case_facts(session: Session, keys: VaultKeys, *, year: int | None = None,
                       progress: Callable[[int, int], object] | None = None,
                       ) -> list[CaseFacts]:
    """The cases as the figures count them (``cases.facts.case_facts`` + ``as_counted``)."""
    facts = case_facts.case_facts(session, keys, year=year, progress=progress)
    return as_counted(facts, finalised_moments(session))
