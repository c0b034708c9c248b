"""Forms of the functional administrator."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from vp_registry.core.taxonomy import ROLE_LABELS, Role
from vp_registry.web.forms import Form
from vp_registry.web.speedups.gettext import lazy_gettext as _l

# An organisation's own roles: a practice admin is made in the main database by the command
# line, never by an organisation's admin (issue 17).
ORGANISATION_ROLES = (Role.COUNSELLOR, Role.MANAGER, Role.ADMIN)


class CreateUserForm(Form):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(role.value, _l(ROLE_LABELS[role]))
                                            for role in ORGANISATION_ROLES])
    password = PasswordField(
        _l("Temporary password"), validators=[DataRequired(), Length(min=12, max=128)],
        description=_l("Give this to the person in a safe way. They must choose their own "
                       "password and set up two-step verification at first login."),
        render_kw={"autocomplete": "new-password"},
    )


class ResetPasswordForm(Form):
    password = PasswordField(
        _l("New temporary password"), validators=[DataRequired(), Length(min=12, max=128)],
        render_kw={"autocomplete": "new-password"},
    )


class ConfirmForm(Form):
    """An empty form: a POST button with its CSRF token."""


class DepartmentForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    headcount = IntegerField(_l("Number of employees"),
                             validators=[DataRequired(message=_l("Enter a number.")),
                                         NumberRange(min=0, max=1_000_000)])
    parent_id = SelectField(_l("Part of"), coerce=int, default=0)
    active = BooleanField(_l("Active"), default=True)


class ImportDepartmentsForm(Form):
    file = FileField(_l("CSV file"), validators=[FileRequired()],
                     description=_l("Columns: name,headcount,parent,active"))


class CategoryForm(Form):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=40)],
                       description=_l("Lowercase letters, for example 'discriminatie'. "
                                      "It cannot be changed later."))
    label_nl = StringField(_l("Dutch name"), validators=[DataRequired(), Length(max=120)])
    label_en = StringField(_l("English name"), validators=[DataRequired(), Length(max=120)])
    active = BooleanField(_l("In use for new cases"), default=True)


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # a GET search form changes nothing

    actor = SelectField(_l("Who"), coerce=int, default=0, validators=[Optional()])
    kind = SelectField(_l("Kind of event"), default="", validators=[Optional()])
    action = SelectField(_l("Event"), default="", validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Up to and including"), validators=[Optional()])
