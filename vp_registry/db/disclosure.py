"""The append-only disclosure ledger: every figure that ever left the system (docs/design.md I-3).

It holds only what was published (cell sets and the published interval), never a true count
of a protected cell, so it may be stored in plaintext. Rows are only ever inserted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vp_registry.db import Base, utcnow


class DisclosureRelease(Base):
    __tablename__ = "disclosure_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "signal", "report", "export"
    reference: Mapped[str] = mapped_column(String(80))  # e.g. signal id, "report-2025-v1"
    released_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    released_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class DisclosureFigure(Base):
    __tablename__ = "disclosure_figures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_releases.id", ondelete="RESTRICT"), index=True
    )
    # Canonical JSON list of [department_id, category, quarter], sorted.
    cells: Mapped[str] = mapped_column(Text)
    low: Mapped[int] = mapped_column(Integer)
    high: Mapped[int | None] = mapped_column(Integer, nullable=True)
    label: Mapped[str] = mapped_column(String(300))
    organisation_wide: Mapped[bool] = mapped_column(Boolean, default=False)


class DisclosureConstraint(Base):
    """A published rule over released figures that a reader applies (issue 12): a rise means
    ``now >= 2 x before`` and ``now - before >= 2``. ``terms`` is canonical JSON
    ``[[coefficient, [[department_id, category, quarter], ...]], ...]``; the rule says
    ``sum(coefficient x sum of cells) >= low``. Only ever inserted, with its release."""

    __tablename__ = "disclosure_constraints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_releases.id", ondelete="RESTRICT"), index=True
    )
    terms: Mapped[str] = mapped_column(Text)
    low: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
