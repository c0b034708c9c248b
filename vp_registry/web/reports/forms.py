"""Forms of the annual report pages and the activities."""

from __future__ import annotations

from datetime import date

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from vp_registry.core.taxonomy import ACTIVITY_LABELS
from vp_registry.services.reports.activities import MAX_DESCRIPTION
from vp_registry.services.reports.drafts import MAX_TEXT
from vp_registry.web.forms import Form
from vp_registry.web.speedups.gettext import lazy_gettext as _l

LANGUAGES = [SelectChoice("nl", "Nederlands"), SelectChoice("en", "English")]


def revision_of(raw: object) -> int:
    """The revision a form was made for; -1 (never stored) when it is not a number, so a
    tampered field is a conflict, not an error page."""
    try:
        return int(str(raw))
    except ValueError:
        return -1


class ReportTextsForm(Form):
    locale = SelectField(
        _l("Language of the report"), choices=LANGUAGES, default="nl",
        description=_l("The figures, headings and explanations are written in this language; "
                       "write your own texts in it too."))
    introduction = TextAreaField(
        _l("Introduction"), validators=[Optional(), Length(max=MAX_TEXT)],
        description=_l("Who the confidential counsellors are, the period of the report and how "
                       "people can reach them. Leave a blank line between paragraphs."),
        render_kw={"rows": 8})
    recommendations = TextAreaField(
        _l("Recommendations"), validators=[Optional(), Length(max=MAX_TEXT)],
        description=_l("What should change, in your words. Management and the works council "
                       "read this: write nothing that could point to a person - no names, no "
                       "dates of incidents, no small numbers."),
        render_kw={"rows": 10})
    revision = HiddenField(validators=[InputRequired()])


class FinaliseForm(Form):
    confirm = BooleanField(
        _l("I have checked this preview. Finalising releases these figures to management and "
           "the works council; a finalised report can never be changed, only corrected by a "
           "new version."),
        validators=[DataRequired(message=_l("Confirm that you have checked the preview."))])
    revision = HiddenField(validators=[InputRequired()])


class ConfirmForm(Form):
    """An empty form: a POST button with its CSRF token."""


class ActivityForm(Form):
    held_on = DateField(_l("Date"), default=date.today,
                        validators=[InputRequired(message=_l("Enter a date."))])
    activity_type = SelectField(
        _l("Kind of activity"),
        choices=[SelectChoice("", _l("(choose)"))] + [
            SelectChoice(kind.value, _l(text)) for kind, text in ACTIVITY_LABELS.items()],
        validators=[DataRequired(message=_l("Choose the kind of activity."))])
    hours = StringField(
        _l("Hours"), validators=[DataRequired(message=_l("Enter the hours."))],
        description=_l("Including preparation, for example 1,5."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    description = TextAreaField(
        _l("Short description"), validators=[Optional(), Length(max=MAX_DESCRIPTION)],
        description=_l("Shown in the annual report. Write nothing that could point to a "
                       "person."),
        render_kw={"rows": 3})
    revision = HiddenField()


class DeleteForm(Form):
    revision = HiddenField(validators=[InputRequired()])
