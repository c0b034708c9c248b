"""Forms of the signal pages: the counsellor's release, management's follow-up and filters."""

from __future__ import annotations

from datetime import date

from wtforms import (
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from vp_registry.core.taxonomy import SUGGESTED_ACTION_LABELS
from vp_registry.services.signals.management import MAX_FOLLOW_UP
from vp_registry.services.signals.publishing import MAX_CONTEXT, MAX_OTHER_ACTION
from vp_registry.web.forms import Form
from vp_registry.web.speedups.gettext import lazy_gettext as _l


class ConfirmForm(Form):
    """An empty form: a POST button with its CSRF token."""


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """Checkboxes instead of a multi-select; rendered as a fieldset by the template."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReleaseForm(Form):
    actions = MultiCheckboxField(
        _l("Suggested actions"),
        choices=[SelectChoice(action.value, _l(text))
                 for action, text in SUGGESTED_ACTION_LABELS.items()],
        description=_l("What management can do: talk with the team, arrange training, change "
                       "the way of working. Choose at least one."),
    )
    other_action = StringField(
        _l("Other action"), validators=[Optional(), Length(max=MAX_OTHER_ACTION)],
        description=_l("Only when you chose 'Other'."))
    context = TextAreaField(
        _l("Context for management"), validators=[Optional(), Length(max=MAX_CONTEXT)],
        description=_l("What management should know to act well. Write nothing that could "
                       "point to a person: no names, no dates of incidents, no numbers."))


class FollowUpForm(Form):
    done_on = DateField(_l("When"), default=date.today,
                        validators=[DataRequired(message=_l("Enter the date."))])
    description = TextAreaField(
        _l("What was done"),
        validators=[DataRequired(message=_l("Describe what was done.")),
                    Length(max=MAX_FOLLOW_UP)],
        description=_l("For example: a conversation with the team, a training that was "
                       "planned, a change in the way of working."))


class SignalFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    period = SelectField(_l("Period"), default="", validators=[Optional()])
    group = SelectField(_l("Department"), default="", validators=[Optional()])
    category = SelectField(_l("Category"), default="", validators=[Optional()])
