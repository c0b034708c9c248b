"""Pulse rounds (issue 16): create, change, close and list them.

A round's groups (its invited departments, merged below the minimum size) and statements are
fixed when it is created and stored with it: they are the public structure its results are
computed over (docs/decisions.md "Pulse survey (issue 16)"). Once a round has responses its
departments and statements no longer change; once its results are released it cannot be
reopened (a late response would make a second, different release of the same round).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.core.facts import DepartmentFacts
from vp_registry.core.pulse import questions
from vp_registry.core.pulse.grouping import PulseGroup, pulse_groups
from vp_registry.core.pulse.questions import Statement
from vp_registry.core.taxonomy import N_
from vp_registry.db.organisation import Department
from vp_registry.db.pulse import (
    PulseGroupRow,
    PulseRelease,
    PulseResponse,
    PulseRound,
    PulseRoundDepartment,
    PulseStatementRow,
)
from vp_registry.services.cleaning import clean
from vp_registry.services.errors import Conflict, NotFound, ValidationFailed
from vp_registry.services.work import Work

NOT_YET: Final = "not_yet"
OPEN: Final = "open"
CLOSED: Final = "closed"
MAX_TITLE: Final = 200
TOKEN_BYTES: Final = 18  # 144 bits, 24 URL-safe characters


class RoundChanged(Conflict):
    message = N_("Someone else changed this round in the meantime. Check it and try again.")


def state(row: PulseRound, today: date | None = None) -> str:
    """``not_yet`` before its first day, ``open`` from its first to its last day unless
    closed by a counsellor, ``closed`` afterwards."""
    today = today or date.today()
    if row.closed or today > row.closes_on:
        return CLOSED
    return NOT_YET if today < row.opens_on else OPEN


def get_round(session: Session, round_id: int) -> PulseRound:
    row = session.get(PulseRound, round_id)
    if row is None:
        raise NotFound()
    return row


def list_rounds(session: Session) -> list[PulseRound]:
    """Every round, the latest first."""
    return list(session.execute(
        select(PulseRound).order_by(PulseRound.opens_on.desc(), PulseRound.id.desc())
    ).scalars())


def statements_of(session: Session, round_id: int) -> tuple[Statement, ...]:
    """A round's statements as they were asked, in order."""
    rows = session.execute(select(PulseStatementRow).where(
        PulseStatementRow.round_id == round_id).order_by(PulseStatementRow.position)).scalars()
    return tuple(Statement(r.code, r.text_nl, r.text_en, r.reversed, r.in_scale, r.low_nl,
                           r.high_nl, r.low_en, r.high_en) for r in rows)


def groups_of(session: Session, round_id: int) -> tuple[PulseGroup, ...]:
    """A round's groups with their departments, in order."""
    members: dict[str, list[int]] = {}
    for key, department_id in session.execute(
            select(PulseRoundDepartment.group_key, PulseRoundDepartment.department_id)
            .where(PulseRoundDepartment.round_id == round_id)):
        members.setdefault(key, []).append(department_id)
    rows = session.execute(select(PulseGroupRow).where(PulseGroupRow.round_id == round_id)
                           .order_by(PulseGroupRow.position)).scalars()
    return tuple(PulseGroup(r.key, r.label, tuple(sorted(members.get(r.key, ()))), r.headcount)
                 for r in rows)


def response_count(session: Session, round_id: int) -> int:
    return int(session.execute(select(func.count()).select_from(PulseResponse)
                               .where(PulseResponse.round_id == round_id)).scalar_one())


def is_released(session: Session, round_id: int) -> bool:
    return session.execute(select(PulseRelease.id).where(PulseRelease.round_id == round_id)
                           .limit(1)).first() is not None


@dataclass(frozen=True)
class RoundPlan:
    """What a new round asks and of whom (validated by :func:`create_round`)."""

    title: str
    opens_on: date
    closes_on: date
    department_ids: tuple[int, ...]
    statements: tuple[Statement, ...]
    with_codes: bool
    free_text: bool


def _title(title: str | None) -> str:
    cleaned = clean(title, MAX_TITLE, "title")
    if cleaned is None:
        raise ValidationFailed(N_("Give the round a title."), field="title")
    return cleaned


def _dates(opens_on: date | None, closes_on: date | None, today: date) -> tuple[date, date]:
    if opens_on is None:
        raise ValidationFailed(N_("Give the first day of the round."), field="opens_on")
    if closes_on is None:
        raise ValidationFailed(N_("Give the last day of the round."), field="closes_on")
    if closes_on < opens_on:
        raise ValidationFailed(N_("The last day cannot be before the first day."),
                               field="closes_on")
    if closes_on < today:
        raise ValidationFailed(N_("The last day has already passed."), field="closes_on")
    return opens_on, closes_on


def _statements(codes: list[str] | tuple[str, ...], custom: list[str] | tuple[str, ...]
                ) -> tuple[Statement, ...]:
    texts = [text for text in (clean(t, questions.MAX_STATEMENT_LENGTH, "custom_statements")
                               for t in custom) if text]
    if len(texts) > questions.MAX_CUSTOM_STATEMENTS:
        raise ValidationFailed(N_("Add at most %(count)s statements of your own."),
                               field="custom_statements", count=questions.MAX_CUSTOM_STATEMENTS)
    try:
        return questions.round_statements(list(codes), texts)
    except ValueError:
        raise ValidationFailed(N_("Choose questions from the list."),
                               field="statement_codes") from None


def _departments(session: Session, department_ids: list[int] | tuple[int, ...]
                 ) -> list[DepartmentFacts]:
    wanted = set(department_ids)
    if not wanted:
        raise ValidationFailed(N_("Invite at least one department."), field="department_ids")
    rows = list(session.execute(select(Department).where(Department.id.in_(wanted))).scalars())
    if len(rows) != len(wanted) or not all(row.active for row in rows):
        raise ValidationFailed(N_("Choose departments from the list."), field="department_ids")
    return [DepartmentFacts(r.id, r.name, r.headcount, r.parent_id, r.active) for r in rows]


def new_token(session: Session) -> str:
    """A random public token not used by another round."""
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        taken = session.execute(select(PulseRound.id).where(PulseRound.public_token == token))
        if taken.first() is None:
            return token


def create_round(work: Work, *, title: str, opens_on: date | None, closes_on: date | None,
                 department_ids: list[int] | tuple[int, ...],
                 statement_codes: list[str] | tuple[str, ...] = (),
                 custom_statements: list[str] | tuple[str, ...] = (),
                 with_codes: bool = True, free_text: bool = True,
                 today: date | None = None) -> PulseRound:
    """A new round with its groups and statements fixed now. ValidationFailed names the
    field: title, opens_on, closes_on, department_ids, statement_codes, custom_statements."""
    session, settings = work.session, work.settings
    clean_title = _title(title)
    first, last = _dates(opens_on, closes_on, today or date.today())
    departments = _departments(session, department_ids)
    statements = _statements(statement_codes, custom_statements)
    minimum = settings.pulse_min_responses
    groups = pulse_groups(departments, minimum_responses=minimum,
                          min_department_size=settings.min_department_size,
                          min_organisation_size=settings.min_organisation_size,
                          k=settings.disclosure_k)
    row = PulseRound(title=clean_title, opens_on=first, closes_on=last, with_codes=with_codes,
                     free_text=free_text, public_token=new_token(session),
                     min_responses=minimum, codes_issued=0, closed=False,
                     created_by=work.actor.user_id)
    session.add(row)
    session.flush()
    _store_structure(session, row.id, groups, statements)
    work.audit("pulse.create", target_type="pulse_round", target_id=row.id,
               departments=len(departments), groups=len(groups))
    return row


def _store_structure(session: Session, round_id: int, groups: tuple[PulseGroup, ...],
                     statements: tuple[Statement, ...]) -> None:
    for position, group in enumerate(groups):
        session.add(PulseGroupRow(round_id=round_id, key=group.key, label=group.label,
                                  headcount=group.headcount, position=position))
        for department_id in group.department_ids:
            session.add(PulseRoundDepartment(round_id=round_id, department_id=department_id,
                                             group_key=group.key))
    for position, s in enumerate(statements):
        session.add(PulseStatementRow(round_id=round_id, code=s.code, position=position,
                                      text_nl=s.text_nl, text_en=s.text_en,
                                      reversed=s.reversed, in_scale=s.in_scale,
                                      low_nl=s.low_nl, high_nl=s.high_nl, low_en=s.low_en,
                                      high_en=s.high_en))
    session.flush()


def update_round(work: Work, round_id: int, *, title: str, opens_on: date | None,
                 closes_on: date | None, version: int | None = None,
                 today: date | None = None) -> PulseRound:
    """Change a round's title and dates. A released round cannot be reopened; the first day
    cannot move once responses came in; ``version`` (from the form) detects a concurrent
    change (:class:`RoundChanged`)."""
    session = work.session
    today = today or date.today()
    row = get_round(session, round_id)
    if version is not None and version != row.version:
        raise RoundChanged()
    clean_title = _title(title)
    first, last = _dates(opens_on, closes_on, min(today, row.closes_on))
    if is_released(session, round_id) and (first, last) != (row.opens_on, row.closes_on):
        raise ValidationFailed(N_("The results of this round are released: its dates can no "
                                  "longer change."), field="closes_on")
    if first != row.opens_on and response_count(session, round_id):
        raise ValidationFailed(N_("The round has responses: its first day can no longer "
                                  "change."), field="opens_on")
    with work.conflicts(RoundChanged):
        row.title, row.opens_on, row.closes_on = clean_title, first, last
    work.audit("pulse.update", target_type="pulse_round", target_id=row.id)
    return row


def close_round(work: Work, round_id: int, *, today: date | None = None) -> PulseRound:
    """Close a round now: no response is accepted any more, and its results may be shown."""
    today = today or date.today()
    row = get_round(work.session, round_id)
    if row.closed:
        return row
    with work.conflicts(RoundChanged):
        row.closed = True
        row.closes_on = max(row.opens_on, min(row.closes_on, today))
    work.audit("pulse.close", target_type="pulse_round", target_id=row.id)
    return row
