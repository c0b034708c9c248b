"""Forms of the pulse pages: a round (counsellor, admin), invitation codes, and the public
answer form, whose statements come from the round (one radio group per statement)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from vp_registry.core.pulse.questions import (
    FREE_TEXT_MAX,
    MAX_CUSTOM_STATEMENTS,
    MAX_STATEMENT_LENGTH,
)
from vp_registry.services.pulse import rounds
from vp_registry.services.pulse.codes import MAX_CODES_AT_ONCE
from vp_registry.web.forms import Form
from vp_registry.web.speedups.gettext import lazy_gettext as _l

ALL = "all"
MAX_TITLE = rounds.MAX_TITLE
MAX_CUSTOM = MAX_CUSTOM_STATEMENTS
MAX_STATEMENT = MAX_STATEMENT_LENGTH
MAX_CODES = MAX_CODES_AT_ONCE
MAX_FREE_TEXT = FREE_TEXT_MAX
MAX_CODE = 64
SCALE = tuple(range(1, 8))


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """Checkboxes instead of a multi-select; rendered as a fieldset by the template."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmForm(Form):
    """An empty form: a POST button with its CSRF token."""


class RoundForm(Form):
    title = StringField(
        _l("Title"), validators=[DataRequired(message=_l("Give the round a title.")),
                                 Length(max=MAX_TITLE)],
        description=_l("Respondents see it, for example 'Pulse spring 2027'."),
        render_kw={"maxlength": MAX_TITLE})
    opens_on = DateField(_l("Opens on"),
                         validators=[InputRequired(message=_l("Enter the date."))])
    closes_on = DateField(_l("Closes on"),
                          validators=[InputRequired(message=_l("Enter the date."))],
                          description=_l("The last day on which answers are accepted."))
    all_departments = MultiCheckboxField(
        _l("Invite"), choices=[SelectChoice(ALL, _l("All departments"))])
    departments = MultiCheckboxField(_l("Departments invited"), coerce=int)
    statements = MultiCheckboxField(
        _l("Toolbox questions (optional)"),
        description=_l("Asked after the seven statements, on the same 7-point scale; reported "
                       "per question, outside the safety score."))
    custom_statements = TextAreaField(
        _l("Your own statements (optional)"),
        description=_l("One statement per line, at most five. They are answered on the same "
                       "scale, from 'strongly disagree' to 'strongly agree'."),
        validators=[Optional(), Length(max=MAX_CUSTOM * (MAX_STATEMENT + 2))],
        render_kw={"rows": 4})
    with_codes = RadioField(
        _l("Who can answer"), default="codes",
        choices=[SelectChoice("codes", _l("With invitation codes: one answer per code, so one "
                                          "per person")),
                 SelectChoice("open", _l("Open: anyone with the link (the results say so)"))],
        validators=[InputRequired(message=_l("Choose one of the options."))])
    free_text = BooleanField(
        _l("Also ask: 'Is there anything we could do better?' (free text, read only by "
           "the confidential counsellors)"), default=True)

    def department_ids(self, every: Sequence[int]) -> list[int]:
        """The invited departments: every department when 'all' is ticked."""
        if ALL in (self.all_departments.data or ()):
            return list(every)
        return list(self.departments.data or ())

    def custom_list(self) -> list[str]:
        return [line.strip() for line in (self.custom_statements.data or "").splitlines()
                if line.strip()]

    def validate_custom_statements(self, field: Any) -> None:
        lines = self.custom_list()
        if len(lines) > MAX_CUSTOM:
            raise ValidationError(_l("Add at most %(max)d statements of your own.",
                                     max=MAX_CUSTOM))
        if any(len(line) > MAX_STATEMENT for line in lines):
            raise ValidationError(_l("Keep each statement to %(max)d characters.",
                                     max=MAX_STATEMENT))

    def validate_closes_on(self, field: Any) -> None:
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The round cannot close before it opens."))


class EditRoundForm(Form):
    """A round's title and dates: who is invited and what is asked are fixed."""

    title = RoundForm.title
    opens_on = RoundForm.opens_on
    closes_on = RoundForm.closes_on
    version = HiddenField(filters=[lambda value: int(value) if str(value or "").isdigit()
                                   else None])

    validate_closes_on = RoundForm.validate_closes_on


# The service's field names where the form's differ.
_FIELDS = {"department_ids": "departments", "statement_codes": "statements",
           "group_key": "group"}


def form_field(service_field: str | None) -> str | None:
    return _FIELDS.get(service_field or "", service_field)


class CodesForm(Form):
    count = IntegerField(
        _l("Number of codes"), default=50,
        validators=[InputRequired(message=_l("Enter a number.")),
                    NumberRange(min=1, max=MAX_CODES,
                                message=_l("Choose between 1 and %(max)d codes."))],
        description=_l("New codes each time: they are shown only once, in the file or on the "
                       "sheet. Hand them out at random; nobody can see who got which code."),
        render_kw={"inputmode": "numeric"})


class AnswerForm(Form):
    """The fixed part of the public form; :func:`answer_form` adds a radio group for each
    statement of the round (``statement_0``, ``statement_1``, ...)."""

    group = SelectField(_l("Your department"),
                        validators=[DataRequired(message=_l("Choose your department."))])
    free_text = TextAreaField(
        _l("Is there anything we could do better? (optional)"),
        validators=[Optional(), Length(max=MAX_FREE_TEXT,
                                       message=_l("Use at most %(max)d characters."))],
        description=_l("Not required. Only the confidential counsellors read this; please "
                       "do not write names."),
        render_kw={"rows": 5, "maxlength": MAX_FREE_TEXT})
    code = StringField(
        _l("Your invitation code"),
        validators=[Optional(), Length(max=MAX_CODE)],
        description=_l("The code from your invitation. It can be used once; it does not say "
                       "who you are."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters",
                   "spellcheck": "false", "autocorrect": "off", "maxlength": MAX_CODE})


def statement_field_name(index: int) -> str:
    return f"statement_{index}"


def answer_form(statements: Sequence[tuple[str, str]], *, with_codes: bool,
                free_text_prompt: str | None = None) -> AnswerForm:
    """The public form of a round: one required radio group (1 to 7) for each statement
    ``(code, text)``, in order; the code field is required when the round uses codes."""

    class RoundAnswerForm(AnswerForm):
        pass

    for index, (_code, text) in enumerate(statements):
        setattr(RoundAnswerForm, statement_field_name(index), RadioField(
            text, coerce=int, choices=[SelectChoice(point, str(point)) for point in SCALE],
            validators=[InputRequired(message=_l("Choose an answer for this statement."))]))
    form = RoundAnswerForm()
    if free_text_prompt:
        form.free_text.label.text = free_text_prompt
    if with_codes:
        form.code.validators = [DataRequired(message=_l("Enter your invitation code.")),
                                Length(max=MAX_CODE)]
        form.code.flags.required = True
    return form


def answers_of(form: AnswerForm, codes: Sequence[str]) -> dict[str, int]:
    """The answers by statement code (the form has checked each is one of 1..7)."""
    return {code: int(getattr(form, statement_field_name(index)).data)
            for index, code in enumerate(codes)}
