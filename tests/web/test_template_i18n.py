"""The templates' own gettext, ngettext and |dateformat (vp_registry.web.speedups.template_i18n)
and the cheaper Select widget (vp_registry.web.speedups.widgets) write what Flask-Babel and
WTForms would."""

from __future__ import annotations

from datetime import UTC, date, datetime

import flask_babel
import pytest
from flask import Flask, render_template_string
from markupsafe import escape
from wtforms import Form, SelectField, SelectMultipleField
from wtforms import widgets as wtforms_widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from vp_registry.web.i18n import LOCALE_COOKIE
from vp_registry.web.speedups import template_i18n, widgets

TEMPLATE = (
    '{{ _("Cases") }}|{{ gettext("Page %(page)s of %(pages)s", page=2, pages="<3>") }}|'
    '{{ ngettext("%(num)s case in total.", "%(num)s cases in total.", 1) }}|'
    '{{ ngettext("%(num)s case in total.", "%(num)s cases in total.", 4) }}|'
    "{{ day|dateformat }}|{{ day|dateformat('short') }}|{{ moment|dateformat }}")


def _expected(day: date, moment: datetime) -> str:
    """The same, written by Flask-Babel's own functions."""
    return "|".join([
        flask_babel.gettext("Cases"),
        flask_babel.gettext("Page %(page)s of %(pages)s", page=2, pages=escape("<3>")),
        flask_babel.ngettext("%(num)s case in total.", "%(num)s cases in total.", 1),
        flask_babel.ngettext("%(num)s case in total.", "%(num)s cases in total.", 4),
        flask_babel.format_date(day), flask_babel.format_date(day, "short"),
        flask_babel.format_date(moment)])


@pytest.mark.parametrize(("locale", "words"), [("nl", "Meldingen"), ("en", "Cases")])
def test_template_translations_match_flask_babel(app: Flask, locale: str, words: str) -> None:
    assert app.jinja_env.globals["_"] is template_i18n.gettext
    assert app.jinja_env.filters["dateformat"] is template_i18n.format_date
    day, moment = date(2026, 3, 4), datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
    with app.test_request_context(headers={"Cookie": f"{LOCALE_COOKIE}={locale}"}):
        html = render_template_string(TEMPLATE, day=day, moment=moment)
        assert html == _expected(day, moment)
        assert html.startswith(words + "|")
        assert "&lt;3&gt;" in html  # variables escaped, as with Jinja's own i18n callables


def test_template_translations_follow_force_locale_and_refresh(app: Flask) -> None:
    with app.test_request_context(headers={"Cookie": f"{LOCALE_COOKIE}=nl"}):
        assert render_template_string('{{ _("Cases") }}') == "Meldingen"
        with flask_babel.force_locale("en"):
            assert render_template_string('{{ _("Cases") }} {{ day|dateformat }}',
                                          day=date(2026, 3, 4)) == "Cases Mar 4, 2026"
        assert render_template_string('{{ _("Cases") }} {{ day|dateformat }}',
                                      day=date(2026, 3, 4)) == "Meldingen 4 mrt 2026"
        flask_babel.refresh()
        assert render_template_string('{{ _("Cases") }}') == "Meldingen"


class _Form(Form):
    plain = SelectField("Plain", choices=[
        SelectChoice("", "All"), SelectChoice('a"b<', 'x"<y'), SelectChoice("open", "Open")])
    numbers = SelectField("Numbers", coerce=int, choices=[
        SelectChoice(0, "All"), SelectChoice(7, "Seven")], validators=[DataRequired()])
    flags = SelectField("Flags", choices=[SelectChoice(True, "yes"), SelectChoice(False)])
    with_kw = SelectField("With attributes", choices=[
        SelectChoice("", "All", render_kw={"disabled": True}), SelectChoice("x")])
    grouped = SelectField("Grouped", choices=[
        SelectChoice("a", "A", optgroup="One"), SelectChoice("b", "B", optgroup="Two")])
    several = SelectMultipleField("Several", choices=[SelectChoice("a"), SelectChoice("b")])


@pytest.mark.parametrize("name", ["plain", "numbers", "flags", "with_kw", "grouped", "several"])
@pytest.mark.parametrize("attributes", [{}, {"aria_describedby": "x-hint", "class_": "wide"},
                                        {"required": True, "aria-invalid": "true"}])
def test_select_widget_writes_what_wtforms_writes(name: str, attributes: dict[str, object]
                                                  ) -> None:
    form = _Form(data={"plain": 'a"b<', "numbers": 7, "flags": True, "several": ["b"]})
    field = form[name]
    wtforms_widget = (wtforms_widgets.Select(multiple=True) if name == "several"
                      else wtforms_widgets.Select())
    ours = widgets.Select(multiple=True) if name == "several" else widgets.Select()
    expected = wtforms_widget(field, **attributes)
    assert ours(field, **attributes) == expected
    assert "<option" in expected
