"""Python code's ``gettext`` and ``lazy_gettext`` with the request's catalogue looked up once.

Flask-Babel's ``gettext`` resolves its domain, the locale and the catalogue through ``g`` on
every call (~18 µs); form labels are ``lazy_gettext`` strings, translated each time a page
writes them (the case list: ~20 a page). These return exactly what Flask-Babel's would - the
same catalogue (:func:`.template_i18n.current`, keyed on the locale Flask-Babel chose), the
same ``%`` formatting - and fall back to Flask-Babel outside an application context. The app
has one translation domain; code that switches domains must use Flask-Babel's functions.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as babel_gettext
from flask_babel.speaklater import LazyString

from vp_registry.web.speedups import template_i18n


def gettext(string: str, **variables: Any) -> str:
    """``flask_babel.gettext``: the translation, ``%``-formatted when variables are given."""
    state = template_i18n.current()
    if state is None:
        return str(babel_gettext(string, **variables))
    text = state.gettext(string)
    return text if not variables else text % variables


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """``flask_babel.lazy_gettext``: translated by :func:`gettext` each time it is used."""
    return LazyString(gettext, string, **variables)
