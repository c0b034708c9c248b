"""Templates' gettext, ngettext and ``|dateformat`` with the request's catalogue looked up once.

Flask-Babel's template callables resolve its request context, the locale and the catalogue
(three context look-ups and a locale-to-string) on every call, and Jinja's ``_`` alias adds
two more calls on top: a case list page made some 300 such look-ups. These callables ask
Flask-Babel once per request for the locale and the catalogue and keep both on ``g``.

Flask-Babel stays the owner of the locale: :func:`current` reads the locale Flask-Babel chose
(``get_locale()`` when none is chosen yet) on every call and fetches the catalogue again when
the locale object is not the one it cached, so ``refresh()`` and ``force_locale()`` keep
working. Python code
keeps using Flask-Babel's ``gettext`` and lazy strings unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from babel import Locale, dates
from babel.support import NullTranslations
from flask import Flask
from flask.globals import _cv_app  # the application context: what flask.g reads
from flask_babel import format_date as babel_format_date
from flask_babel import get_babel, get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

_STATE = "_vp_template_i18n"
_NAMED_FORMATS = ("short", "medium", "long", "full")
_MAX_LOCALES = 16


@dataclass(frozen=True, slots=True)
class RequestI18n:
    """The request's locale, its catalogue and its date format (Flask-Babel's choice)."""

    locale: Locale
    translations: NullTranslations
    locale_id: str
    date_format: str

    def gettext(self, message: str) -> str:
        return self.translations.ugettext(message)  # as Flask-Babel's gettext

    def ngettext(self, singular: str, plural: str, num: int) -> str:
        return self.translations.ungettext(singular, plural, num)

    def format_date(self, value: date) -> str:
        """A date (not a datetime: those are rebased to the user's time zone) as
        Flask-Babel's ``format_date`` writes it."""
        return _formatted_date(self.locale_id, self.date_format, value)


def current() -> RequestI18n | None:
    """This request's (or application context's) translations; None outside a context.

    Reads the locale where Flask-Babel's ``get_locale()`` keeps it once chosen (its namespace
    on ``g``), straight from the application context instead of through three ``g`` proxy
    look-ups (5 µs, some 30-45 times a page); before the choice, or after ``refresh()``,
    ``get_locale()`` itself chooses. ``force_locale()`` sets that same attribute."""
    context = _cv_app.get(None)
    if context is None:
        return None
    request_globals = context.g
    locale = getattr(getattr(request_globals, "_flask_babel", None), "babel_locale", None)
    if locale is None:
        locale = get_locale()
        if locale is None:
            return None
    state: RequestI18n | None = getattr(request_globals, _STATE, None)
    if state is None or state.locale is not locale:
        state = _state_of(context.app, locale)
        setattr(request_globals, _STATE, state)
    return state


def _state_of(app: Flask, locale: Locale) -> RequestI18n:
    """The application's :class:`RequestI18n` of a locale, made at its first request (issue
    15, session 10: fetching the catalogue and the date format anew was ~1 % of a page).

    The same objects as each request would fetch: Flask-Babel's catalogue of a locale is the
    one its domain loaded at the first request and keeps for the application's life (its
    domain is the Babel instance's, ``get_domain()``; nothing here sets another), and the
    date format is the instance's configuration. Kept in ``app.extensions`` (per application,
    so per organisation) by the locale: a handful of languages."""
    states: dict[Locale, RequestI18n] = app.extensions.setdefault(_STATE, {})
    state = states.get(locale)
    if state is None:
        state = RequestI18n(locale=locale, translations=get_translations(),
                            locale_id=str(locale), date_format=_date_format())
        if len(states) >= _MAX_LOCALES:  # force_locale with made-up locales: start afresh
            states.clear()
        states[locale] = state
    return state


def _date_format() -> str:
    """Flask-Babel's default date format (``Babel.date_formats``): "medium" unless configured."""
    formats = get_babel().instance.date_formats
    name = str(formats["date"])
    if name in _NAMED_FORMATS:
        return str(formats[f"date.{name}"] or name)
    return name


@lru_cache(maxsize=4096)
def _formatted_date(locale_id: str, date_format: str, value: date) -> str:
    return str(dates.format_date(value, date_format, locale=locale_id))


def format_date(value: date | None = None, format: str | None = None,
                rebase: bool = True) -> str:
    """``|dateformat``: plain dates in the default format from the cache, the rest by
    Flask-Babel."""
    if format is None and type(value) is date:
        state = current()
        if state is not None:
            return state.format_date(value)
    return str(babel_format_date(value, format, rebase))


# Jinja's "newstyle" gettext (jinja2.ext): the translation is a format string (always, even
# without variables) and, when autoescaping, Markup - the catalogue is trusted like the
# templates - so that the variables are escaped and the text is not.


@pass_context
def gettext(context: Context, message: str, /, **variables: Any) -> str:
    state = current()
    text = state.gettext(message) if state is not None else message
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704  # nosec B704 # the catalogue
    return text % variables


@pass_context
def ngettext(context: Context, singular: str, plural: str, num: int, /,
             **variables: Any) -> str:
    variables.setdefault("num", num)
    state = current()
    if state is not None:
        text = state.ngettext(singular, plural, num)
    else:
        text = singular if num == 1 else plural
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704  # nosec B704 # the catalogue
    return text % variables


def init_app(app: Flask) -> None:
    """Replace Flask-Babel's template callables (after ``babel.init_app``), then compile
    templates per language (:mod:`.compiled_i18n`: constant texts translated once) and give
    them the remembering ``url_for`` (:func:`.urls.template_url_for`)."""
    from vp_registry.web.speedups import compiled_i18n, header, urls

    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)
    app.jinja_env.filters["dateformat"] = format_date
    urls.init_app(app)
    header.init_app(app)  # a logged-in page's header kept per web session (base.html)
    compiled_i18n.init_app(app)
