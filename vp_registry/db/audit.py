"""The append-only, HMAC-chained audit log (docs/design.md I-5)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import BigInteger, Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vp_registry.db import Base, utcnow


class AuditEntry(Base):
    """One entry of one lane's chain: ``seq`` counts within the lane, ``prev_mac`` is the MAC
    of the lane's entry before it (services/infrastructure/audit.py: why lanes)."""

    __tablename__ = "audit_entries"

    lane: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False,
                                      default=1, server_default="1")
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    actor_role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Canonical JSON of metadata only: never case content, secrets or client addresses.
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))

    @property
    def date_only(self) -> bool:
        """An event of the anonymous channel: dated with its day, no time (AuditPending)."""
        return self.created_at.time() == time.min


class AuditHead(Base):
    """One row per lane (``id`` = the lane) naming the lane's last entry; updating it first
    serialises the lane's appends. Lane 1 is the chain from before lanes (migration 0018)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_mac: Mapped[str] = mapped_column(String(64))


class AuditPending(Base):
    """An event of the anonymous channel, waiting for the end of its day (docs/design.md I-9).

    It holds the date only and names no thread or case. The first append to the chain on a
    later day moves every waiting entry of earlier days into the chain, dated with its day
    and in random order, so neither its time nor its place among the other entries of the
    log (logins, case reads, case creations) says when it happened. Row ids are random: they
    do not keep the order of arrival either.
    """

    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    # Canonical JSON of metadata only (counts), like AuditEntry.details.
    details: Mapped[str] = mapped_column(Text, default="{}")
