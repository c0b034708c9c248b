"""Answering a pulse round without an account (issue 16).

The public page needs only the round's token. A response stores the group chosen and an
answer 1..7 per statement under a random id - no address, no time, no date, no cookie, nothing
in a log - and, with codes, spends its code in the same transaction (:mod:`.codes`: the code's
row is deleted, so nothing connects the two). Free text is sealed to the vault
(:mod:`.comments`). Refused input raises an error that names what is wrong (the field, and
for answers every statement left open or off the scale), before any code is spent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core.pulse import questions, scoring
from vp_registry.core.pulse.questions import SCALE_POINTS, Statement
from vp_registry.core.taxonomy import N_
from vp_registry.db.pulse import PulseAnswer, PulseResponse, PulseRound
from vp_registry.services.cleaning import clean
from vp_registry.services.contact import sealing
from vp_registry.services.errors import DomainError, NotFound
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.infrastructure.memory_throttle import BackOff
from vp_registry.services.pulse import codes, comments, rounds
from vp_registry.services.pulse.codes import CodeInvalid
from vp_registry.services.vault import unlocking


class RoundNotOpen(DomainError):
    message = N_("This survey is not open: it has not started yet or it is over.")


class AnswerInvalid(DomainError):
    """What is wrong with a response; ``codes`` lists every statement left open or off the
    scale (``field`` is the first of them, or ``group_key`` / ``free_text``)."""

    message = N_("Answer every statement: choose one of the numbers 1 to 7.")

    def __init__(self, message: str | None = None, *, field: str | None = None,
                 codes: tuple[str, ...] = (), **params: object) -> None:
        super().__init__(message, field=field or (codes[0] if codes else None), **params)
        self.codes = codes


@dataclass(frozen=True)
class PublicRound:
    """What the public page shows of a round."""

    round_id: int
    token: str
    title: str
    state: str  # rounds.NOT_YET / OPEN / CLOSED
    opens_on: date
    closes_on: date
    with_codes: bool
    free_text: bool
    questions: tuple[Statement, ...]
    groups: tuple[tuple[str, str], ...]  # (key, label); merged below the minimum size
    scale_points: int = SCALE_POINTS

    def free_text_prompt(self, locale: str) -> str:
        return questions.free_text_prompt(locale)


def _by_token(session: Session, token: str) -> PulseRound:
    row = session.execute(select(PulseRound).where(PulseRound.public_token == (token or "")[:64])
                          ).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


def public_round(session: Session, token: str, *, today: date | None = None) -> PublicRound:
    """The round behind a public link (:class:`NotFound` for an unknown token)."""
    row = _by_token(session, token)
    # the box only when a text can be sealed (the vault's message key exists)
    free_text = row.free_text and unlocking.message_public_key(session) is not None
    return PublicRound(row.id, row.public_token, row.title, rounds.state(row, today),
                       row.opens_on, row.closes_on, row.with_codes, free_text,
                       rounds.statements_of(session, row.id),
                       tuple((g.key, g.label) for g in rounds.groups_of(session, row.id)))


def validate_answers(statements: tuple[Statement, ...],
                     answers: Mapping[str, object]) -> dict[str, int]:
    """Every statement answered with a whole number 1..7; :class:`AnswerInvalid` naming all
    that are not (answers to statements the round does not ask are refused too)."""
    wrong = tuple(s.code for s in statements if not scoring.is_answer(answers.get(s.code)))
    if wrong:
        raise AnswerInvalid(codes=wrong)
    known = {s.code for s in statements}
    extra = tuple(sorted(code for code in answers if code not in known))
    if extra:
        raise AnswerInvalid(N_("This survey does not ask that question."), codes=extra)
    return {s.code: cast(int, answers[s.code]) for s in statements}


def _free_text(row: PulseRound, session: Session, text: str | None) -> tuple[str | None,
                                                                            bytes | None]:
    cleaned = clean(text, questions.FREE_TEXT_MAX, "free_text")
    if cleaned is None:
        return None, None
    key = unlocking.message_public_key(session)
    if not row.free_text or key is None:
        raise AnswerInvalid(N_("This survey has no box for your own words."),
                            field="free_text")
    return cleaned, key


def submit_response(session: Session, settings: Settings, token: str, *, group_key: str,
                    answers: Mapping[str, object], free_text: str | None = None,
                    code: str | None = None, guard: BackOff | None = None,
                    client: str | None = None, today: date | None = None) -> None:
    """Store one response (see the module). Errors: :class:`NotFound` (token),
    :class:`RoundNotOpen`, :class:`AnswerInvalid` (``field``: ``group_key``, a statement
    code, ``free_text``), :class:`CodeInvalid` (``field`` ``code``; counts as a failure for
    ``client`` in ``guard``), ``Throttled`` while ``client`` is locked out. ``client`` is
    used only as a key of the in-memory ``guard``."""
    row = _by_token(session, token)
    if rounds.state(row, today) != rounds.OPEN:
        raise RoundNotOpen()
    groups = {g.key for g in rounds.groups_of(session, row.id)}
    if group_key not in groups:
        raise AnswerInvalid(N_("Choose your department from the list."), field="group_key")
    values = validate_answers(rounds.statements_of(session, row.id), answers)
    text, public_key = _free_text(row, session, free_text)
    if row.with_codes:
        _spend(session, settings, row.id, code, guard, client)
    response = PulseResponse(id=sealing.random_id(), round_id=row.id, group_key=group_key)
    session.add(response)
    session.flush()
    session.add_all([PulseAnswer(response_id=response.id, code=c, value=v)
                     for c, v in values.items()])
    if text is not None and public_key is not None:
        comments.add_comment(session, public_key, row.id, group_key, text)
    session.flush()


def _spend(session: Session, settings: Settings, round_id: int, code: str | None,
           guard: BackOff | None, client: str | None) -> None:
    codes.check_guessing(guard, client)
    try:
        codes.use_code(session, settings, round_id, code)
    except CodeInvalid:
        if guard is not None:
            guard.failure(client)
        audit.record_dated(session, Actor.anonymous(), "pulse.code_refused")
        raise
