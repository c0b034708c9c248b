"""The practice admin's form: a new client organisation and its first admin account."""

from __future__ import annotations

from wtforms import DateField, EmailField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from vp_registry.web.forms import Form
from vp_registry.web.speedups.gettext import lazy_gettext as _l

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,39}$"


class OrganisationForm(Form):
    name = StringField(_l("Name of the organisation"),
                       validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        _l("Short name in the address"),
        validators=[DataRequired(), Regexp(SLUG_PATTERN, message=_l(
            "Use 2 to 40 lower-case letters, digits and hyphens, starting with a letter or "
            "digit."))],
        description=_l("The organisation's pages are at /o/ followed by this short name. It "
                       "cannot be changed later."))
    host = StringField(_l("Own host name (optional)"),
                       validators=[Optional(), Length(max=253)],
                       description=_l("For example vertrouwenspersoon.example.nl, if that "
                                      "name points to this server."))
    disclosure_k = IntegerField(
        _l("Smallest number shown (k)"), validators=[Optional(), NumberRange(min=3, max=10)],
        description=_l("Between 3 and 10; empty: the installation's setting."))
    min_department_size = IntegerField(
        _l("Smallest department shown on its own"),
        validators=[Optional(), NumberRange(min=1, max=100_000)],
        description=_l("Number of employees; empty: the installation's setting."))
    min_organisation_size = IntegerField(
        _l("Smallest organisation with a breakdown by department"),
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
        description=_l("Number of employees; empty: the installation's setting."))
    registry_start = DateField(_l("First day of the registry (optional)"),
                               validators=[Optional()])
    retention_months = IntegerField(
        _l("Months a closed case is kept"), validators=[Optional(), NumberRange(min=1, max=120)],
        description=_l("Empty: the installation's setting."))
    admin_name = StringField(_l("Name of the organisation's administrator"),
                             validators=[DataRequired(), Length(max=120)])
    admin_email = EmailField(_l("E-mail address of the administrator"),
                             validators=[DataRequired(), Length(max=254)])
    admin_password = PasswordField(
        _l("Temporary password"), validators=[DataRequired(), Length(min=12, max=128)],
        description=_l("Give this to the administrator in a safe way. They must choose their "
                       "own password and set up two-step verification at first login."),
        render_kw={"autocomplete": "new-password"})

    def overrides(self) -> dict[str, object]:
        """The settings this organisation sets itself (the others follow the installation)."""
        found: dict[str, object] = {}
        for name in ("disclosure_k", "min_department_size", "min_organisation_size",
                     "retention_months"):
            value = getattr(self, name).data
            if value is not None:
                found[name] = value
        if self.registry_start.data is not None:
            found["registry_start"] = self.registry_start.data.isoformat()
        return found
