"""Forms of the counsellor's message pages and public profile."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from vp_registry.core.taxonomy import CHANNEL_LABELS
from vp_registry.services.cases.records import MAX_CONTACT_MINUTES
from vp_registry.services.contact.channel import MAX_MESSAGE
from vp_registry.services.contact.counsellors import KIND_LABELS, KINDS
from vp_registry.web.cases.forms import MultiCheckboxField
from vp_registry.web.forms import Form
from vp_registry.web.speedups.gettext import lazy_gettext as _l


class ReplyForm(Form):
    message = TextAreaField(
        _l("Your reply"),
        description=_l("Whoever has the receipt code can read it: do not repeat names or "
                       "details the sender did not write themselves."),
        validators=[DataRequired(message=_l("Write your reply.")),
                    Length(max=MAX_MESSAGE, message=_l("Use at most %(max)d characters."))],
        render_kw={"rows": 6, "maxlength": MAX_MESSAGE},
    )


class DeleteForm(Form):
    confirmed = BooleanField(
        _l("Yes, delete this conversation permanently"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class ConvertForm(Form):
    opened_on = DateField(_l("Date of the first contact"),
                          validators=[InputRequired(message=_l("Enter a date."))])
    department_id = SelectField(_l("Department"), coerce=int,
                                validators=[InputRequired(message=_l("Choose a department."))])
    categories = MultiCheckboxField(
        _l("What is it about?"), description=_l("Choose one or more."),
        validators=[DataRequired(message=_l("Choose at least one category."))],
    )
    channel = SelectField(
        _l("Record the message as"),
        choices=[SelectChoice(key.value, _l(text)) for key, text in CHANNEL_LABELS.items()],
        default="email",
    )
    minutes = IntegerField(
        _l("Time spent on it, in minutes"),
        validators=[InputRequired(message=_l("Enter the duration in minutes.")),
                    NumberRange(min=1, max=MAX_CONTACT_MINUTES)],
        default=15, render_kw={"inputmode": "numeric"},
    )
    keep_contact = BooleanField(
        _l("The sender consents to storing the contact details they gave in the case"),
    )


class ProfileForm(Form):
    public_name = StringField(_l("Name on the public page"),
                              validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("You are"),
                       choices=[SelectChoice(k, _l(KIND_LABELS[k])) for k in KINDS])
    phone = StringField(_l("Phone number (optional)"), validators=[Optional(), Length(max=40)],
                        render_kw={"autocomplete": "tel"})
    email = StringField(_l("E-mail address (optional)"),
                        validators=[Optional(), Length(max=254)],
                        render_kw={"autocomplete": "email"})
    office_hours = TextAreaField(
        _l("When and where you can be reached (optional)"),
        description=_l("For example: Tuesdays 9:00-12:00, room 2.14 (next to the canteen)."),
        validators=[Optional(), Length(max=500)], render_kw={"rows": 3},
    )
    about = TextAreaField(_l("A few words about yourself (optional)"),
                          validators=[Optional(), Length(max=1000)], render_kw={"rows": 4})
    visible = BooleanField(_l("Show my entry on the public counsellors page"))


class PhotoForm(Form):
    photo = FileField(
        _l("Photo"), validators=[FileRequired(message=_l("Choose a photo."))],
        description=_l("JPEG or PNG, at most 1.5 MB. It is cropped to a square and stored "
                       "without its metadata (such as location)."),
        render_kw={"accept": "image/jpeg,image/png"},
    )


class ConfirmForm(Form):
    """An empty form: a POST button with its CSRF token."""
