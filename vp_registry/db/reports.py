"""Annual reports (jaarverslagen) and the counsellor's activities (issue 5).

``annual_reports``: one row per report version of a year. A *draft* holds the counsellor's own
texts (introduction, recommendations) encrypted under the row's data key, which is wrapped by
the vault key exactly like a case's (``wrapped_key``, ``vault_key_version``; key rotation
re-wraps it). A *final* row also holds the frozen report and its frozen aggregates as JSON in
plaintext: they contain only what was published to management (figures that passed disclosure
control and are in the ledger, and the texts as published), so managers can read them without
the vault key and later reports take their trends from them, never from erased cases. A final
row never changes; a correction is a new row with the next ``version``.

``activities``: the counsellor's preventive and other work. Date, type and minutes are plaintext
(not case data; the report publishes them per type anyway); the free-text description is
encrypted under the row's own data key (see docs/decisions.md).

Row ids are random (as for cases), chosen before the INSERT so the ciphertexts can be bound to
them, and revealing neither the number nor the order of rows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vp_registry.db import Base, utcnow

DRAFT: Final = "draft"
FINAL: Final = "final"


class AnnualReportRow(Base):
    __tablename__ = "annual_reports"
    __table_args__ = (UniqueConstraint("year", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(Integer)  # indexed by the unique (year, version)
    version: Mapped[int] = mapped_column(Integer)  # 1, then 2, 3... for corrections
    status: Mapped[str] = mapped_column(String(10))  # DRAFT or FINAL
    locale: Mapped[str] = mapped_column(String(5))  # the report's language, "nl" or "en"
    # the row's data key, wrapped by the vault key (re-wrapped by key rotation)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    vault_key_version: Mapped[int] = mapped_column(Integer, index=True)
    data_key_version: Mapped[int] = mapped_column(Integer, default=1)
    # {"introduction": ..., "recommendations": ...}, AES-256-GCM under the data key
    texts: Mapped[bytes] = mapped_column(LargeBinary)
    # final rows only: what was published, frozen (core.report.AnnualReport.to_json) and the
    # organisation-wide figures for later years' trends (FrozenAggregates.to_json)
    report_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    aggregates_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    disclosure_release_id: Mapped[int | None] = mapped_column(
        ForeignKey("disclosure_releases.id", ondelete="RESTRICT"), nullable=True
    )
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finalised_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # optimistic locking (I-7): every write raises it; a stale write is refused
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 - SQLAlchemy's own idiom


class Activity(Base):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    activity_type: Mapped[str] = mapped_column(String(30))  # core.taxonomy.ActivityType
    minutes: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    vault_key_version: Mapped[int] = mapped_column(Integer, index=True)
    data_key_version: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted text ("" if none)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 - SQLAlchemy's own idiom
