"""Cases and their conversations: ciphertext, ids, dates, status and versions only (I-1).

Every sensitive attribute lives in a ``LargeBinary`` column holding AES-256-GCM ciphertext
under the case's own data key; the associated data binds it to table, column, row id and the
data key's version. Nothing here encrypts or decrypts: ``services/cases/codec.py`` is the one
place that converts between these rows and decrypted records, so code that reads a model gets
bytes, never a plaintext by accident.

Row ids are random 53-bit integers chosen *before* the row is written, so the ciphertext can
be bound to its row id in a single INSERT, and ids reveal neither the number nor the order
of cases.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vp_registry.db import Base, utcnow


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    opened_on: Mapped[date] = mapped_column(Date, index=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    # Optimistic locking (I-7): every write raises it; a stale write is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Version of the data key, bound into every field's associated data. Rotation of the vault
    # key re-wraps the data key (case_keys) and leaves this and the ciphertexts unchanged.
    data_key_version: Mapped[int] = mapped_column(Integer, default=1)
    # What the case list filters on and shows (department, categories, integrity deadlines),
    # in one ciphertext so a list needs one decryption per case.
    listing: Mapped[bytes] = mapped_column(LargeBinary)
    # Everything else the counsellor records (relation, consent, names, narrative, outcome...).
    details: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # When the closing was recorded (issue 12): a closing date inside a year whose final
    # report counted the case open at its end counts from this moment (core.facts.as_counted).
    # None: recorded on the closing day (cases closed before this column existed).
    closed_recorded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The opening / closing date a final report counted, kept when an edit after it (a new
    # opening date, a reopening) would move a published figure (issue 12,
    # core.facts.opening_after_edit / closing_after_reopen). None: the recorded date.
    counted_opened_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    counted_closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own idiom
    # Covers the case list's id/version scan in list order without reading the large rows,
    # and the report year's plaintext query (closed_on, created_at; issue 15, migration 0016).
    __table_args__ = (Index("ix_cases_list", "opened_on", "reference", "version", "id",
                            "status", "closed_on", "created_at"),)


class CaseErasure(Base):
    """How many erased cases a final report counted open at the end of a year, by the day
    they count as closed (issue 12, ``core.facts.erasure_of``): the next report repeats that
    year's open cases as "carried over", so they keep counting there. A count by year and
    day - no id, reference, department, category or text: nothing of the case itself.
    """

    __tablename__ = "case_erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    open_at_end_of: Mapped[int] = mapped_column(Integer)
    closed_on: Mapped[date] = mapped_column(Date)
    cases: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("open_at_end_of", "closed_on"),)


class ErasedQuarter(Base):
    """A quarter of which a case was erased after a release had counted it (issue 12,
    session 8, ``core.facts.erased_quarter``): later figures over it are withheld. The quarter
    only - no id, reference, department, category, count or text of the case."""

    __tablename__ = "erased_quarters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("year", "quarter"),)


class CaseKey(Base):
    """The case's data key wrapped by the vault key; deleting it shreds the case (I-4)."""

    __tablename__ = "case_keys"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    vault_key_version: Mapped[int] = mapped_column(Integer, index=True)


class CaseContact(Base):
    """One conversation: its date is plaintext, duration, channel and notes are encrypted."""

    __tablename__ = "case_contacts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own idiom
    # A year's conversations (and those outside it) as an index range: the report's facts
    # (issue 15, migration 0016).
    __table_args__ = (Index("ix_case_contacts_held", "held_on", "case_id", "id", "version"),)


class CaseListingCache(Base):
    """One web session's decrypted case listings, encrypted, so the case list need not
    decrypt every case on every request (see services/cases/listing_cache.py).

    The key needs the vault key *and* a secret derived from the session's cookie token; the
    row goes when the session goes (ON DELETE CASCADE), and every erasure deletes all rows.
    """

    __tablename__ = "case_listing_caches"

    token_hash: Mapped[str] = mapped_column(
        ForeignKey("web_sessions.token_hash", ondelete="CASCADE"), primary_key=True
    )
    key_version: Mapped[int] = mapped_column(Integer)
    entries: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CaseListingIndex(Base):
    """What the case list filters on (department, categories) of every case, for the whole
    vault, encrypted under a key derived from the vault key (issue 15): the first list after a
    login reads one row instead of decrypting every case. Keyed by case id and version, so a
    changed case is decrypted afresh; every erasure and key rotation deletes the row (see
    services/cases/listing_cache.py). Derived data: not in backups.
    """

    __tablename__ = "case_listing_index"

    vault_id: Mapped[int] = mapped_column(
        ForeignKey("vault.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    key_version: Mapped[int] = mapped_column(Integer)
    entries: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CaseSearchIndex(Base):
    """The folded searchable text (text fields and conversation notes) of every case, for the
    whole vault, compressed, padded and encrypted under a key derived from the vault key
    (issue 15): a free-text search decrypts one row instead of every case. Keyed by case id,
    version and its conversations' count and version sum; every erasure and key rotation
    deletes the row (see services/cases/search_index.py). Derived data: not in backups.
    """

    __tablename__ = "case_search_index"

    vault_id: Mapped[int] = mapped_column(
        ForeignKey("vault.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    key_version: Mapped[int] = mapped_column(Integer)
    entries: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
