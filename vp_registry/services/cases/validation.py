"""Checking and cleaning what the counsellor entered, each problem naming its field."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vp_registry.core.taxonomy import (
    N_,
    Channel,
    EmploymentType,
    Gender,
    Outcome,
    Referral,
    Relation,
)
from vp_registry.db import MAX_ROW_ID
from vp_registry.db.organisation import Category, Department
from vp_registry.services.cases.records import (
    EARLIEST_DATE,
    MAX_CONTACT_DETAILS,
    MAX_CONTACT_MINUTES,
    MAX_MINUTES,
    MAX_NAME,
    MAX_TEXT,
    CaseInput,
    CaseSummary,
    Closing,
    ContactInput,
)
from vp_registry.services.cleaning import clean
from vp_registry.services.errors import ValidationFailed


def _enum(value: str | None, allowed: Iterable[str], field_name: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in set(allowed):
        raise ValidationFailed(N_("Choose one of the options."), field=field_name)
    return value


def _check_date(value: date, today: date, field_name: str) -> None:
    if value > today:
        raise ValidationFailed(N_("The date cannot be in the future."), field=field_name)
    if value < EARLIEST_DATE:
        raise ValidationFailed(N_("Enter a date after 1 January 2000."), field=field_name)


def _values(enum: Iterable[Any]) -> list[str]:
    return [member.value for member in enum]


@dataclass(frozen=True)
class _Check:
    """What every check of one case form needs: the input, the stored case (when editing),
    today, and the session for the department and category look-ups."""

    session: Session
    data: CaseInput
    today: date
    previous: CaseSummary | None


def _opened_on(c: _Check) -> None:
    _check_date(c.data.opened_on, c.today, "opened_on")
    if c.previous is not None and c.previous.closed_on is not None and \
            c.data.opened_on > c.previous.closed_on:
        raise ValidationFailed(N_("The case cannot open after it was closed."),
                               field="opened_on")


def _department(c: _Check) -> None:
    department_id = c.data.department_id
    # an id outside the INTEGER column cannot name a department (and would not bind)
    in_range = department_id is not None and 0 < department_id <= MAX_ROW_ID
    found = c.session.get(Department, department_id) if in_range else None
    if found is None or (not found.active and (
            c.previous is None or c.previous.department_id != department_id)):
        raise ValidationFailed(N_("Choose a department."), field="department_id")


def _categories(c: _Check) -> None:
    codes = tuple(dict.fromkeys(c.data.categories))
    if not codes:
        raise ValidationFailed(N_("Choose at least one category."), field="categories")
    known = {category.code: category for category in c.session.execute(
        select(Category).where(Category.code.in_(codes))).scalars()}
    kept = set(c.previous.categories) if c.previous is not None else set()
    for code in codes:
        category = known.get(code)
        if category is None or (not category.active and code not in kept):
            raise ValidationFailed(N_("Choose categories from the list."), field="categories")


def _identifying(c: _Check) -> None:
    name = clean(c.data.reporter_name, MAX_NAME, "reporter_name")
    contact = clean(c.data.reporter_contact, MAX_CONTACT_DETAILS, "reporter_contact")
    if not c.data.consent and (name or contact):
        raise ValidationFailed(
            N_("Without consent to store identifying details, leave name and contact "
               "details empty (or tick the consent box)."),
            field="reporter_name" if name else "reporter_contact",
        )


def _minutes(c: _Check) -> None:
    if not 0 <= c.data.minutes_spent <= MAX_MINUTES:
        raise ValidationFailed(N_("Enter a number of minutes between 0 and %(max)s."),
                               field="minutes_spent", max=MAX_MINUTES)


def _integrity_date(name: str, c: _Check) -> None:
    value: date | None = getattr(c.data, name)
    if value is None:
        return
    integrity = c.data.integrity_report or (
        c.previous is not None and c.previous.outcome == Outcome.INTEGRITY_REPORT.value)
    if not integrity:
        raise ValidationFailed(
            N_("Only an integrity report has an acknowledgement and feedback date."),
            field=name)
    _check_date(value, c.today, name)
    if value < c.data.opened_on:
        raise ValidationFailed(N_("The date cannot be before the case was opened."),
                               field=name)


def _choices_and_texts(c: _Check) -> list[Callable[[], object]]:
    data = c.data
    return [
        lambda: _enum(data.relation, _values(Relation), "relation"),
        lambda: clean(data.involved_person, MAX_NAME, "involved_person"),
        lambda: clean(data.narrative, MAX_TEXT, "narrative"),
        lambda: clean(data.next_steps, MAX_TEXT, "next_steps"),
        lambda: _enum(data.gender, _values(Gender), "gender"),
        lambda: _enum(data.employment_type, _values(EmploymentType), "employment_type"),
    ]


def case_problems(session: Session, data: CaseInput, *, today: date,
                  previous: CaseSummary | None = None) -> list[ValidationFailed]:
    """Every problem of ``data`` at once, each naming its field (empty when it is valid): a
    form shows them all together instead of one per submit (issue 14)."""
    c = _Check(session, data, today, previous)
    steps: list[Callable[[], object]] = [
        partial(check, c) for check in (_opened_on, _department, _categories, _identifying,
                                        _minutes)]
    steps += [partial(_integrity_date, name, c) for name in ("acknowledged_on", "feedback_on")]
    problems: list[ValidationFailed] = []
    for step in steps + _choices_and_texts(c):
        try:
            step()
        except ValidationFailed as problem:
            problems.append(problem)
    return problems


def validate_case(session: Session, data: CaseInput, *, today: date,
                  previous: CaseSummary | None = None) -> CaseInput:
    """Return the input cleaned, or raise ValidationFailed naming the field (the first of
    ``case_problems``).

    Without consent the identifying fields must be empty: the service refuses to store them
    whatever the form sent (the form disables them; without JavaScript the user is told).
    """
    problems = case_problems(session, data, today=today, previous=previous)
    if problems:
        raise problems[0]
    return replace(
        data,
        categories=tuple(dict.fromkeys(data.categories)),
        relation=_enum(data.relation, _values(Relation), "relation"),
        reporter_name=clean(data.reporter_name, MAX_NAME, "reporter_name"),
        reporter_contact=clean(data.reporter_contact, MAX_CONTACT_DETAILS, "reporter_contact"),
        involved_person=clean(data.involved_person, MAX_NAME, "involved_person"),
        narrative=clean(data.narrative, MAX_TEXT, "narrative"),
        next_steps=clean(data.next_steps, MAX_TEXT, "next_steps"),
        gender=_enum(data.gender, _values(Gender), "gender"),
        employment_type=_enum(data.employment_type, _values(EmploymentType), "employment_type"),
    )


def validate_closing(closing: Closing, opened_on: date, today: date) -> Closing:
    """The closing cleaned, or ValidationFailed naming the field."""
    _check_date(closing.closed_on, today, "closed_on")
    if closing.closed_on < opened_on:
        raise ValidationFailed(N_("A case cannot close before it was opened."), field="closed_on")
    outcome = _enum(closing.outcome, _values(Outcome), "outcome")
    if outcome is None:
        raise ValidationFailed(N_("Choose the outcome."), field="outcome")
    referral = _enum(closing.referral, _values(Referral), "referral")
    target = clean(closing.referral_target, MAX_NAME, "referral_target")
    if outcome == Outcome.REFERRAL.value and referral is None:
        raise ValidationFailed(N_("Choose where the reporter was referred to."), field="referral")
    if outcome != Outcome.REFERRAL.value:
        referral, target = None, None
    return Closing(closed_on=closing.closed_on, outcome=outcome, referral=referral,
                   referral_target=target)


def validate_contact(data: ContactInput, opened_on: date, today: date) -> ContactInput:
    """The conversation cleaned, or ValidationFailed naming the field."""
    _check_date(data.held_on, today, "held_on")
    if data.held_on < opened_on:
        raise ValidationFailed(N_("A conversation cannot be before the case was opened."),
                               field="held_on")
    if not 1 <= data.minutes <= MAX_CONTACT_MINUTES:
        raise ValidationFailed(N_("Enter a duration between 1 and %(max)s minutes."),
                               field="minutes", max=MAX_CONTACT_MINUTES)
    channel = _enum(data.channel, _values(Channel), "channel")
    if channel is None:
        raise ValidationFailed(N_("Choose how the conversation took place."), field="channel")
    return replace(data, channel=channel, notes=clean(data.notes, MAX_TEXT, "notes"))
