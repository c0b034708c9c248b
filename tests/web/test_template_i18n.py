"""The templates' own gettext, ngettext and |dateformat (vp_registry.web.speedups.template_i18n)
and the cheaper Select widget (vp_registry.web.speedups.widgets) write what Flask-Babel and
WTForms would."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime

import flask_babel
import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_babel import lazy_gettext
from jinja2 import nodes
from markupsafe import Markup, escape
from wtforms import Form, SelectField, SelectMultipleField
from wtforms import widgets as wtforms_widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from tests.casework import case_input, unlock
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.cases import conversations as case_conversations
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases.records import ContactInput
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work
from vp_registry.web.i18n import LOCALE_COOKIE
from vp_registry.web.speedups import compiled_i18n, template_i18n, widgets
from vp_registry.web.speedups.compiled_i18n import LocalisedEnvironment

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
        SelectChoice("", "All"), SelectChoice('a"b<', 'x"<y'), SelectChoice("open", "Open"),
        SelectChoice("t&'m>", "Tom & 'Jerry' <b>"), SelectChoice("m", Markup("<b>M</b>")),
        SelectChoice("lazy", lazy_gettext("Cases"))])
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


# ------------------------------------------------ templates compiled per language (issue 15)

CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*?value=")[^"]+"')
HOSTILE = "<script>alert('x')</script> & \"quoted\" %(num)s 100%"


def _page(client: FlaskClient, app: Flask, path: str, *, compiled: bool) -> tuple[int, str]:
    environment = app.jinja_env
    assert isinstance(environment, LocalisedEnvironment)
    client.get("/no-such-page")  # shows (and so drops) the flash messages of earlier requests
    environment.compile_translations = compiled
    try:
        response = client.get(path)
    finally:
        environment.compile_translations = True
    return response.status_code, CSRF_VALUE.sub(r'\1-"', response.get_data(as_text=True))


def _case_with_hostile_text(app: Flask, settings: Settings, user: User, dept_id: int) -> str:
    with app.app_context(), db_session_for(app) as session:
        work = Work(session, settings, Actor(user.id, "counsellor"),
                    keys=unlock(session, settings, user))
        record = lifecycle.create_case(work, case_input(
            dept_id, narrative=HOSTILE, involved_person=HOSTILE, next_steps=HOSTILE))
        case_conversations.add_contact(work, record.reference, ContactInput(
            held_on=record.opened_on, minutes=20, channel="phone", notes=HOSTILE))
        session.commit()
        return record.reference


CASE_PAGES = ("/cases/{reference}", "/cases/{reference}/edit", "/cases/{reference}/close",
              "/cases/{reference}/erase", "/cases/{reference}/conversations/new")


def _plain_pages(app: Flask) -> list[str]:
    """Every GET route without arguments (what a role cannot reach answers all the same)."""
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in (rule.methods or ()) and not rule.arguments
                   and rule.endpoint != "static"})


def _assert_same_pages(app: Flask, client: FlaskClient, paths: list[str]) -> None:
    for path in [*paths, "/no-such-page"]:
        assert _page(client, app, path, compiled=True) == _page(client, app, path,
                                                                compiled=False), path


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_pages_compiled_per_language_are_the_pages_of_plain_jinja_i18n(
        app: Flask, settings: Settings, client: FlaskClient, counsellor: User, dept_id: int,
        locale: str) -> None:
    """Every page of a counsellor, in both languages, is the same HTML whether its texts
    were translated when the template was compiled or by the run-time callables - escaping
    of hostile case text (with '%' and a format placeholder in it) included."""
    reference = _case_with_hostile_text(app, settings, counsellor, dept_id)
    client.set_cookie(LOCALE_COOKIE, locale)
    _assert_same_pages(app, client, [*(path.format(reference=reference) for path in CASE_PAGES),
                                     *_plain_pages(app)])
    status, case_page = _page(client, app, f"/cases/{reference}", compiled=True)
    assert status == 200 and "<script>alert" not in case_page
    assert case_page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
                           "&#34;quoted&#34; %(num)s 100%") >= 4
    assert (("Melding " if locale == "nl" else "Case ") + reference) in case_page
    environment = app.jinja_env
    assert isinstance(environment, LocalisedEnvironment)
    assert locale in set(environment.locales())


@pytest.mark.parametrize("role", ["manager", "admin"])
@pytest.mark.parametrize("locale", ["nl", "en"])
def test_other_roles_pages_are_the_same_compiled(app: Flask, client: FlaskClient,
                                                 login_as: Callable[[str], User], role: str,
                                                 locale: str) -> None:
    login_as(role)
    client.set_cookie(LOCALE_COOKIE, locale)
    _assert_same_pages(app, client, _plain_pages(app))


def test_anonymous_pages_are_the_same_compiled(app: Flask, client: FlaskClient) -> None:
    for locale in ("nl", "en"):
        client.set_cookie(LOCALE_COOKIE, locale)
        _assert_same_pages(app, client, _plain_pages(app))


def _environment(app: Flask, locale: str) -> LocalisedEnvironment:
    environment = app.jinja_env
    assert isinstance(environment, LocalisedEnvironment)
    with app.test_request_context(headers={"Cookie": f"{LOCALE_COOKIE}={locale}"}):
        state = template_i18n.current()
        assert state is not None
        return environment.for_locale(locale, state.translations)


SOURCES = [
    '{{ _("Cases") }}|{{ gettext("Cases") }}|{{ _("Cases") ~ "<b>" }}',
    '{{ _("Page %(page)s of %(pages)s", page=2, pages=pages) }}',
    '{{ _("Not in the catalogue: <em>kept</em> & 100%%") }}',
    '{% autoescape false %}{{ _("Page %(page)s of %(pages)s", page=1, pages=pages) }}'
    '{% endautoescape %}',
    '{{ ngettext("%(num)s case in total.", "%(num)s cases in total.", 3) }}',
    '{% set x = _("Cases") %}<p title="{{ x }}">{{ x|upper }}</p>',
    '{% for _ in ["loop"] %}{{ _ }}{% endfor %}{{ _("Cases") }}',
    '{% macro m(_) %}{{ _("Cases") }}{% endmacro %}{{ m(shout) }}|{{ _("Cases") }}',
    '{% for x in [1] %}{% set _ = shout %}{{ _("Cases") }}{% endfor %}{{ _("Cases") }}',
    '{% with gettext = shout %}{{ gettext("Cases") }}{% endwith %}{{ gettext("Cases") }}',
    '{{ _(variable) }}',
]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("locale", ["nl", "en"])
def test_compiled_texts_escape_and_shadow_as_at_run_time(app: Flask, source: str,
                                                         locale: str) -> None:
    """A constant text is the catalogue's (trusted, as Jinja's newstyle gettext treats it),
    variables are escaped, '%%' is '%', and a name ``_``/``gettext`` bound by the template
    itself (loop, macro argument, set, with) keeps meaning that binding."""
    variables = {"pages": "<3>", "shout": str.upper, "variable": "Cases"}
    localised = _environment(app, locale)
    with app.test_request_context(headers={"Cookie": f"{LOCALE_COOKIE}={locale}"}):
        expected = app.jinja_env.from_string(source).render(**variables)  # run time
        assert localised.from_string(source).render(**variables) == expected
    if "Cases" in source and "for _" in source:
        assert expected == "loop" + ("Meldingen" if locale == "nl" else "Cases")
    if "m(shout)" in source:
        assert expected.startswith("CASES|")


def test_a_missing_variable_fails_as_at_run_time(app: Flask) -> None:
    localised = _environment(app, "nl")
    with app.test_request_context(headers={"Cookie": f"{LOCALE_COOKIE}=nl"}):
        for environment in (app.jinja_env, localised):
            with pytest.raises(KeyError):
                environment.from_string('{{ _("Page %(page)s of %(pages)s") }}').render()


def _remaining_gettext_calls(app: Flask, source: str) -> int:
    localised = _environment(app, "nl")
    tree = localised.parse(source)  # parsed and resolved by the language's environment
    return sum(1 for call in tree.find_all(nodes.Call)
               if isinstance(call.node, nodes.Name) and call.node.name in ("_", "gettext"))


def test_constant_texts_leave_no_call_behind(app: Flask) -> None:
    assert _remaining_gettext_calls(app, '{{ _("Cases") }}{{ gettext("A %(x)s", x=1) }}') == 0
    assert _remaining_gettext_calls(app, '{% from "macros.html" import field as _ %}'
                                         '{{ _("Cases") }}') == 1
    # binding one of the names keeps the run-time callables for all of them in that scope
    assert _remaining_gettext_calls(app, '{% import "macros.html" as gettext %}'
                                         '{{ gettext("Cases") }}{{ _("Cases") }}') == 2


def test_no_template_binds_the_gettext_names_at_its_top_level(app: Flask) -> None:
    """A top-level ``{% set _ = ... %}`` in a parent template would change ``_`` for its
    children's blocks, which are compiled apart: none may do that."""
    loader = app.jinja_env.loader
    assert loader is not None
    names = [name for name in loader.list_templates() if name.endswith(".html")]
    assert "base.html" in names and "cases/view.html" in names
    for name in names:
        source = loader.get_source(app.jinja_env, name)[0]
        assert not compiled_i18n.scope_assigns(app.jinja_env.parse(source)), name
