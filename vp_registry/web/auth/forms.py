"""Login, second-factor and password forms."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from vp_registry.web.forms import Form
from vp_registry.web.speedups.gettext import lazy_gettext as _l


class LoginForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class CodeForm(Form):
    code = StringField(
        _l("Six-digit code from your authenticator app"),
        validators=[DataRequired(), Regexp(r"^\s*\d{3}\s?\d{3}\s*$",
                                           message=_l("Enter the six digits of the code."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 7},
    )


class NewPasswordForm(Form):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=12, max=128)],
        render_kw={"autocomplete": "new-password"},
        description=_l("At least 12 characters. A sentence of a few words is easy to remember."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)],
                            render_kw={"autocomplete": "current-password"})
