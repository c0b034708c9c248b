"""The anonymous contact channel and the public counsellors page (issue 6).

Public information (plaintext by design - it is on a public web page):

* ``counsellor_profiles`` - what a counsellor shows about themselves on the public page;
* ``public_texts`` - the general text of that page per language, edited by the admin.

Anonymous conversations (nothing readable without the vault key or the receipt code):

* ``contact_threads`` - one conversation started by an anonymous sender. Its *thread key*
  (random, 256 bits) exists only twice wrapped: sealed to the vault's message public key
  (``key_sealed``, so the server stores it without any secret) and encrypted under
  Argon2id(receipt code, own salt) (``key_by_code``). ``lookup`` is HKDF(receipt code), so the
  code itself is never stored. Dates only, no times: a precise timestamp would help whoever
  holds the network logs to link a message to a workstation.
* ``contact_posts`` - the messages in a thread, in order. What the sender writes is sealed to
  the vault's message public key (only a counsellor can read it - not even the receipt code
  opens it again); what the counsellor writes is encrypted under the thread key (the sender
  reads it with the receipt code). Associated data binds every ciphertext to its thread and
  post, so a post moved to another thread or row fails to open.

Deleting a thread (spam, retention) deletes its wrapped keys and posts: crypto-shredding.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
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


class CounsellorProfile(Base):
    """A counsellor's entry on the public page; the counsellor edits it (public information)."""

    __tablename__ = "counsellor_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    public_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10), default="internal")  # internal / external
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    office_hours: Mapped[str | None] = mapped_column(String(500), nullable=True)
    about: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    visible: Mapped[bool] = mapped_column(Boolean, default=True)
    # Re-encoded JPEG (metadata stripped), at most 400x400; the version busts browser caches.
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    photo_version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PublicText(Base):
    """The general text of the public page in one language; absent rows use the defaults."""

    __tablename__ = "public_texts"

    locale: Mapped[str] = mapped_column(String(5), primary_key=True)
    intro: Mapped[str] = mapped_column(Text)
    does: Mapped[str] = mapped_column(Text)
    does_not: Mapped[str] = mapped_column(Text)
    confidentiality: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ContactThread(Base):
    __tablename__ = "contact_threads"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # HKDF of the receipt code (hex): finds the thread without storing the code.
    lookup: Mapped[str] = mapped_column(String(64), unique=True)
    kdf_salt: Mapped[bytes] = mapped_column(LargeBinary)
    kdf_params: Mapped[str] = mapped_column(String(200))
    key_by_code: Mapped[bytes] = mapped_column(LargeBinary)
    key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Version of the wrapping formats, bound into their associated data.
    key_version: Mapped[int] = mapped_column(Integer, default=1)
    received_on: Mapped[date] = mapped_column(Date, index=True)
    last_activity_on: Mapped[date] = mapped_column(Date, index=True)
    # The sender wrote something no counsellor has opened yet (start page, list).
    unread: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # The case this conversation became, encrypted under the thread key (no plaintext link).
    case_link: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own idiom


class ContactPost(Base):
    __tablename__ = "contact_posts"
    __table_args__ = (UniqueConstraint("thread_id", "position"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("contact_threads.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(12))  # "sender" (sealed) / "counsellor"
    written_on: Mapped[date] = mapped_column(Date)
    content: Mapped[bytes] = mapped_column(LargeBinary)
