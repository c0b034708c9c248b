"""The case form and the names it shows: departments and categories of this request (from
the application's short caches), the form <-> :class:`CaseInput` mapping, and the check that
puts every problem - the form's and the service's - under its field at once (issue 14)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from flask import g
from flask_babel import gettext as _
from wtforms import SelectChoice

from vp_registry.app_state import app_state
from vp_registry.services.accounts import organisation
from vp_registry.services.cases import validation
from vp_registry.services.cases.records import CaseInput, CaseRecord
from vp_registry.web.cases.forms import NOT_CHOSEN, CaseForm
from vp_registry.web.database import current_work
from vp_registry.web.forms import add_problems
from vp_registry.web.templating import category_label


def directory() -> organisation.Directory:
    """Departments and categories for this request (from the application's short cache)."""
    if "case_directory" not in g:
        g.case_directory = app_state().directory.get(current_work().session)
    found: organisation.Directory = g.case_directory
    return found


def case_years() -> list[int]:
    """The year filter's choices (from the application's short cache: a new year shows up at
    once in this worker, within seconds in another)."""
    return app_state().case_years.get(current_work().session)


def departments() -> tuple[organisation.DepartmentEntry, ...]:
    return directory().departments


def categories() -> tuple[organisation.CategoryEntry, ...]:
    return directory().categories


def lookups() -> dict[str, Any]:
    """Names for ids and codes, for templates."""
    return {
        "department_names": {d.id: d.name for d in departments()},
        "categories_by_code": {c.code: c for c in categories()},
        "today": date.today(),
    }


def fill_choices(form: CaseForm, record: CaseRecord | None = None) -> None:
    """Active departments and categories, plus a retired one the case already has."""
    kept_department = record.department_id if record else None
    kept_categories = set(record.categories) if record else set()
    form.department_id.choices = [SelectChoice(0, _("(choose)"))] + [
        SelectChoice(d.id, d.name)
        for d in departments() if d.active or d.id == kept_department]
    form.categories.choices = [
        SelectChoice(c.code, category_label(c)) for c in categories()
        if c.active or c.code in kept_categories]


def to_input(form: CaseForm) -> CaseInput:
    """What the counsellor entered, for the service (which checks and cleans it)."""
    consent = bool(form.consent.data)
    return CaseInput(
        opened_on=form.opened_on.data,
        department_id=form.department_id.data or 0,
        categories=tuple(form.categories.data or ()),
        relation=form.relation.data or None,
        consent=consent,
        reporter_name=form.reporter_name.data,
        reporter_contact=form.reporter_contact.data,
        involved_person=form.involved_person.data,
        narrative=form.narrative.data,
        next_steps=form.next_steps.data,
        gender=form.gender.data or None,
        employment_type=form.employment_type.data or None,
        minutes_spent=form.minutes_spent.data or 0,
        integrity_report=bool(form.integrity_report.data),
        acknowledged_on=form.acknowledged_on.data,
        feedback_on=form.feedback_on.data,
    )


def valid(form: CaseForm, previous: CaseRecord | None = None) -> bool:
    """A submitted case form checked by the form and by the service at once, every problem
    under its field (issue 14: not the category on one submit and the department on the
    next). A date the form could not read is left to the form's message."""
    if not form.is_submitted():
        return False
    valid = bool(form.validate())
    if form.csrf_token.errors:
        return False
    data = to_input(form)
    if data.opened_on is None:
        data = replace(data, opened_on=date.min)  # its own message is there already
    problems = validation.case_problems(current_work().session, data, today=date.today(),
                                        previous=previous)
    add_problems(form, problems)
    return valid and not problems


def load(form: CaseForm, record: CaseRecord) -> None:
    """The edit form filled from the stored case (and its version, for the conflict check)."""
    for name in ("opened_on", "department_id", "relation", "consent", "reporter_name",
                 "reporter_contact", "involved_person", "narrative", "next_steps", "gender",
                 "employment_type", "minutes_spent", "integrity_report", "acknowledged_on",
                 "feedback_on"):
        value = getattr(record, name)
        getattr(form, name).data = NOT_CHOSEN if value is None and name in {
            "relation", "gender", "employment_type"} else value
    form.categories.data = list(record.categories)
    form.version.data = str(record.version)
