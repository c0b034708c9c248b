"""Forms of the counsellor's case work. Choices are filled in by the views (departments and
categories come from the database); validation of meaning happens in the service."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from vp_registry.core.taxonomy import (
    CHANNEL_LABELS,
    EMPLOYMENT_LABELS,
    GENDER_LABELS,
    N_,
    OUTCOME_LABELS,
    REFERRAL_LABELS,
    RELATION_LABELS,
)
from vp_registry.services.cases.records import (
    MAX_CONTACT_DETAILS,
    MAX_CONTACT_MINUTES,
    MAX_MINUTES,
    MAX_NAME,
    MAX_TEXT,
)
from vp_registry.web.forms import Form
from vp_registry.web.speedups.gettext import lazy_gettext as _l

NOT_CHOSEN = ""


def _choices(labels: dict[Any, str], empty: str | None = None) -> list[SelectChoice]:
    options = [SelectChoice(key.value, _l(text)) for key, text in labels.items()]
    if empty is not None:
        options.insert(0, SelectChoice(NOT_CHOSEN, _l(empty)))
    return options


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """Checkboxes instead of a multi-select (usable on a phone); rendered in a fieldset."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VersionForm(Form):
    """A POST button that carries the version the user saw (reopen)."""

    version = HiddenField(validators=[InputRequired()])


class CaseForm(Form):
    opened_on = DateField(_l("Date of the first contact"), validators=[InputRequired(
        message=_l("Enter a date."))])
    department_id = SelectField(_l("Department"), coerce=int,
                                validators=[InputRequired(message=_l("Choose a department."))])
    categories = MultiCheckboxField(
        _l("What is it about?"), description=_l("Choose one or more."),
        validators=[DataRequired(message=_l("Choose at least one category."))],
    )
    relation = SelectField(
        _l("Relation to the person(s) involved"),
        choices=_choices(RELATION_LABELS, N_("(not recorded)")), default=NOT_CHOSEN,
    )
    consent = BooleanField(
        _l("The reporter consents to storing identifying details (name, contact details)")
    )
    reporter_name = StringField(_l("Name of the reporter"),
                                validators=[Optional(), Length(max=MAX_NAME)],
                                render_kw={"autocomplete": "off", "data-identifying": "1"})
    reporter_contact = StringField(_l("Contact details"),
                                   validators=[Optional(), Length(max=MAX_CONTACT_DETAILS)],
                                   description=_l("Phone number or e-mail address."),
                                   render_kw={"autocomplete": "off", "data-identifying": "1"})
    involved_person = StringField(
        _l("Name of the person the report is about (optional)"),
        validators=[Optional(), Length(max=MAX_NAME)],
        description=_l("Only you see it. It lets you notice when several cases concern the "
                       "same person; that is never shown to anyone else."),
        render_kw={"autocomplete": "off"},
    )
    narrative = TextAreaField(_l("Summary of the situation"),
                              validators=[Optional(), Length(max=MAX_TEXT)])
    next_steps = TextAreaField(_l("Agreed next steps"),
                               validators=[Optional(), Length(max=MAX_TEXT)])
    gender = SelectField(_l("Gender (for the annual report only)"),
                         choices=_choices(GENDER_LABELS, N_("(not recorded)")), default=NOT_CHOSEN)
    employment_type = SelectField(_l("Employment type (for the annual report only)"),
                                  choices=_choices(EMPLOYMENT_LABELS, N_("(not recorded)")),
                                  default=NOT_CHOSEN)
    minutes_spent = IntegerField(
        _l("Other time spent, in minutes"),
        description=_l("Preparation, consultation, reporting. Conversations count separately."),
        validators=[Optional(), NumberRange(min=0, max=MAX_MINUTES)], default=0,
        render_kw={"inputmode": "numeric"},
    )
    integrity_report = BooleanField(
        _l("This is a report of suspected wrongdoing under the whistleblower act")
    )
    acknowledged_on = DateField(_l("Receipt acknowledged on"), validators=[Optional()],
                                description=_l("Due within 7 days of the first contact."))
    feedback_on = DateField(_l("Feedback given on"), validators=[Optional()],
                            description=_l("Due within 3 months of the first contact."))
    version = HiddenField()


class CloseForm(Form):
    closed_on = DateField(_l("Closing date"), validators=[InputRequired(
        message=_l("Enter a date."))])
    outcome = SelectField(_l("Outcome"), choices=_choices(OUTCOME_LABELS, N_("(choose)")),
                          validators=[DataRequired(message=_l("Choose the outcome."))])
    referral = SelectField(_l("Referred to"),
                           choices=_choices(REFERRAL_LABELS, N_("(no referral)")),
                           default=NOT_CHOSEN,
                           description=_l("Required when the outcome is a referral."))
    referral_target = StringField(_l("Referral details (optional)"),
                                  validators=[Optional(), Length(max=MAX_NAME)],
                                  description=_l("For example the name of the service."))
    version = HiddenField(validators=[InputRequired()])


class ContactForm(Form):
    held_on = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter a date."))])
    minutes = IntegerField(
        _l("Duration in minutes"),
        validators=[InputRequired(message=_l("Enter the duration in minutes.")),
                    NumberRange(min=1, max=MAX_CONTACT_MINUTES)],
        render_kw={"inputmode": "numeric"},
    )
    channel = SelectField(_l("How"), choices=_choices(CHANNEL_LABELS, N_("(choose)")),
                          validators=[DataRequired(message=_l("Choose how the conversation "
                                                              "took place."))])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=MAX_TEXT)])
    version = HiddenField()


class EraseForm(Form):
    confirm = StringField(_l("Type the case reference to confirm"),
                          validators=[DataRequired(message=_l("Type the case reference."))],
                          render_kw={"autocomplete": "off"})
    version = HiddenField(validators=[InputRequired()])


class FilterForm(Form):
    """The case list's filter and search (issue 11, item 3): POSTed, never in a URL, and kept
    sealed in the session. CSRFProtect checks the POST (the template carries the token); the
    form itself has no token field because it is also filled from the kept filter."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="", validators=[Optional()], choices=[
        SelectChoice("", _l("All")), SelectChoice("open", _l("Open")),
        SelectChoice("closed", _l("Closed"))])
    category = SelectField(_l("Category"), default="", validators=[Optional()])
    department = SelectField(_l("Department"), coerce=int, default=0, validators=[Optional()])
    year = SelectField(_l("Year"), coerce=int, default=0, validators=[Optional()])
    q = StringField(_l("Search text"), validators=[Optional(), Length(max=200)],
                    render_kw={"type": "search"})
    sort = SelectField(_l("Sort by"), default="newest", validators=[Optional()], choices=[
        SelectChoice("newest", _l("Newest first")), SelectChoice("oldest", _l("Oldest first")),
        SelectChoice("reference", _l("Reference")), SelectChoice("department", _l("Department")),
        SelectChoice("status", _l("Status (open first)"))])


class UnlockForm(Form):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class GrantForm(Form):
    confirmed = BooleanField(
        _l("I have confirmed in person or by phone that this account belongs to my colleague "
           "and that they just logged in."),
        validators=[DataRequired(message=_l("Confirm that you checked this with your "
                                            "colleague."))],
    )
