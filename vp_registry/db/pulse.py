"""The psychological-safety pulse (issue 16; docs/design.md "Pulse survey").

Public structure (plaintext by design; it is on the round's public page or in its results):

* ``pulse_rounds`` - a round: title, open and close dates, whether it uses invitation codes,
  its random public token (the link and QR code), its minimum number of responses.
* ``pulse_groups`` / ``pulse_round_departments`` - the groups a respondent chooses from and
  the departments in each, fixed when the round is created.
* ``pulse_statements`` - the round's statements as they were asked (texts kept, so a later
  change of the built-in set does not change an old round).

What respondents leave (no address, no time of day, no date, no cookie; nothing links them):

* ``pulse_codes`` - an invitation code exists here only as HMAC-SHA256 under a server key
  derived from SECRET_KEY, and only while unused: using a code *deletes* its row, so a
  database copy shows no used code to connect with a response.
* ``pulse_responses`` / ``pulse_answers`` - one response: the group chosen, and per
  statement the answer 1..7 (plaintext integers the server counts). Random 53-bit ids: no
  sequence, and rows sort by id, not by arrival.
* ``pulse_comments`` - the free text, sealed to the vault's message public key exactly like
  an anonymous message (only a counsellor opens it), with a random id and no reference to
  the response written with it.

``pulse_releases`` - the pulse ledger: every released result as canonical JSON (only shown
figures), inserted once and never changed.
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
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from vp_registry.db import Base, utcnow


class PulseRound(Base):
    __tablename__ = "pulse_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    with_codes: Mapped[bool] = mapped_column(Boolean, default=True)
    free_text: Mapped[bool] = mapped_column(Boolean, default=True)
    # random, URL-safe: the public page's address (not a secret: it is on the notice board)
    public_token: Mapped[str] = mapped_column(String(64), unique=True)
    min_responses: Mapped[int] = mapped_column(Integer)
    codes_issued: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)  # closed by a counsellor
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own idiom


class PulseGroupRow(Base):
    __tablename__ = "pulse_groups"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    headcount: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer)


class PulseRoundDepartment(Base):
    __tablename__ = "pulse_round_departments"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(40))


class PulseStatementRow(Base):
    __tablename__ = "pulse_statements"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    text_nl: Mapped[str] = mapped_column(String(300))
    text_en: Mapped[str] = mapped_column(String(300))
    reversed: Mapped[bool] = mapped_column(Boolean, default=False)
    in_scale: Mapped[bool] = mapped_column(Boolean, default=True)
    low_nl: Mapped[str] = mapped_column(String(60))
    high_nl: Mapped[str] = mapped_column(String(60))
    low_en: Mapped[str] = mapped_column(String(60))
    high_en: Mapped[str] = mapped_column(String(60))


class PulseCode(Base):
    """An unused invitation code of a round, as a keyed hash only (deleted when used)."""

    __tablename__ = "pulse_codes"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)


class PulseResponse(Base):
    __tablename__ = "pulse_responses"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), index=True)
    group_key: Mapped[str] = mapped_column(String(40))


class PulseAnswer(Base):
    __tablename__ = "pulse_answers"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_responses.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)


class PulseComment(Base):
    __tablename__ = "pulse_comments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="CASCADE"), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)  # sealed to the message public key


class PulseRelease(Base):
    """The pulse ledger: a released result, exactly as managers see it; only ever inserted."""

    __tablename__ = "pulse_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_rounds.id", ondelete="RESTRICT"), index=True)
    figures: Mapped[str] = mapped_column(Text)  # canonical JSON (core.pulse.snapshot)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of figures
    released_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    released_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
