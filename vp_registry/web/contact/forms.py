"""Forms of the public pages. Choices come from the views (departments, categories)."""

from __future__ import annotations

from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from vp_registry.services.contact.channel import KIND_LABELS, KINDS, MAX_CONTACT, MAX_MESSAGE
from vp_registry.services.contact.public_text import MAX_TEXT
from vp_registry.web.forms import Form
from vp_registry.web.speedups.gettext import lazy_gettext as _l

NOT_SAID = ""


class ContactForm(Form):
    kind = RadioField(
        _l("What would you like?"), default="message",
        choices=[SelectChoice(kind, _l(KIND_LABELS[kind])) for kind in KINDS],
        validators=[InputRequired(message=_l("Choose one of the options."))],
    )
    message = TextAreaField(
        _l("Your message"),
        description=_l("Tell in your own words what is going on, or what you would like to "
                       "talk about. You do not have to give names."),
        validators=[DataRequired(message=_l("Write your message.")),
                    Length(max=MAX_MESSAGE, message=_l("Use at most %(max)d characters."))],
        render_kw={"rows": 8, "maxlength": MAX_MESSAGE},
    )
    department_id = SelectField(_l("Your department (optional)"), coerce=int, default=0)
    category = SelectField(_l("What is it about? (optional)"), default=NOT_SAID)
    contact = StringField(
        _l("How can the counsellor reach you? (optional)"),
        description=_l("Only if you want that: a phone number, an e-mail address, or a "
                       "time and place. Leave it empty to stay anonymous."),
        validators=[Optional(), Length(max=MAX_CONTACT,
                                       message=_l("Use at most %(max)d characters."))],
        render_kw={"autocomplete": "off", "maxlength": MAX_CONTACT},
    )
    # Honeypot: hidden from people by the stylesheet, filled in by naive bots.
    website = StringField(_l("Leave this field empty"),
                          render_kw={"autocomplete": "off", "tabindex": "-1"})


class CodeForm(Form):
    code = StringField(
        _l("Your receipt code"), description=_l("The six words you wrote down."),
        validators=[DataRequired(message=_l("Enter your receipt code.")), Length(max=200)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
                   "autocorrect": "off"},
    )


class SenderReplyForm(Form):
    code = HiddenField(validators=[DataRequired(), Length(max=200)])
    message = TextAreaField(
        _l("Your answer"),
        description=_l("Only the confidential counsellor can read it. After sending, it is "
                       "not shown here again."),
        validators=[DataRequired(message=_l("Write your message.")),
                    Length(max=MAX_MESSAGE, message=_l("Use at most %(max)d characters."))],
        render_kw={"rows": 6, "maxlength": MAX_MESSAGE},
    )


class PublicTextForm(Form):
    intro = TextAreaField(_l("Introduction"), validators=[DataRequired(), Length(max=MAX_TEXT)],
                          render_kw={"rows": 6})
    does = TextAreaField(_l("What a confidential counsellor does"),
                         validators=[DataRequired(), Length(max=MAX_TEXT)],
                         render_kw={"rows": 8})
    does_not = TextAreaField(_l("What a confidential counsellor does not do"),
                             validators=[DataRequired(), Length(max=MAX_TEXT)],
                             render_kw={"rows": 6})
    confidentiality = TextAreaField(_l("Confidentiality"),
                                    validators=[DataRequired(), Length(max=MAX_TEXT)],
                                    render_kw={"rows": 6})
