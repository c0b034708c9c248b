"""Dutch first, English selectable and remembered (cookie, and the account's preference)."""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask import Flask, current_app, has_request_context, request
from flask_login import current_user

from vp_registry.extensions import babel

LOCALES = ("nl", "en")
LOCALE_COOKIE = "vp_lang"


def select_locale() -> str:
    if not has_request_context():  # CLI: the configured default
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    user = current_user._get_current_object()  # one proxy look-up, not four (issue 15)
    if user and user.is_authenticated and user.locale in LOCALES:
        return str(user.locale)
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in LOCALES:
        return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


@cache
def _parsed(identifier: str) -> Locale:
    return Locale.parse(identifier)


def _selected_locale() -> Locale:
    """The chosen locale as Flask-Babel's ``Locale`` object, parsed once per language and
    process (Flask-Babel parses a string in every request; a ``Locale`` it takes as it is).
    Issue 15."""
    return _parsed(select_locale())


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=_selected_locale)
