"""Released signals, their follow-up, and the counsellor's dismissals (docs/design.md section 5).

A released signal holds only what management may see: the group and category it concerns, the
period, the *band* that passed disclosure control (never an exact count, never a case id), the
counsellor's context and suggested actions, and the manager's acknowledgement and follow-up.
Its figures are in the disclosure ledger (``disclosure_release_id``).

A dismissal stores only a keyed digest of the candidate's identity (HMAC under a key derived from
the vault key), so a database copy does not show which candidates there were.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vp_registry.db import Base, utcnow


class ReleasedSignal(Base):
    __tablename__ = "released_signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "kind|group|category|quarters" of the candidate: published information, and unique so a
    # candidate is released once
    candidate_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # core.signals.CONCENTRATION or RISE
    group_key: Mapped[str] = mapped_column(String(40))
    group_label: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    first_quarter: Mapped[str] = mapped_column(String(7))  # "YYYY-Qn"
    last_quarter: Mapped[str] = mapped_column(String(7), index=True)
    period_label: Mapped[str] = mapped_column(String(40))
    # the published interval of the signal's count, and its text ("3-4", "10+")
    band: Mapped[str] = mapped_column(String(20))
    band_low: Mapped[int] = mapped_column(Integer)
    band_high: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # a rise also publishes the quarter before, as a band or "< k"
    previous_quarter: Mapped[str | None] = mapped_column(String(7), nullable=True)
    previous_band: Mapped[str | None] = mapped_column(String(20), nullable=True)
    context: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(String(200), default="")  # comma-separated codes
    other_action: Mapped[str | None] = mapped_column(String(300), nullable=True)
    disclosure_release_id: Mapped[int] = mapped_column(
        ForeignKey("disclosure_releases.id", ondelete="RESTRICT")
    )
    released_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    released_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    acknowledged_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class SignalFollowUp(Base):
    """What management did about a signal, and when (shown to the counsellor and in reports)."""

    __tablename__ = "signal_follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signal_id: Mapped[int] = mapped_column(
        ForeignKey("released_signals.id", ondelete="CASCADE"), index=True
    )
    done_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class SignalDismissal(Base):
    """A candidate the counsellor dismissed, remembered by a keyed digest of its identity."""

    __tablename__ = "signal_dismissals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_version: Mapped[int] = mapped_column(Integer)  # vault key version the digest used
    dismissed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    dismissed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
