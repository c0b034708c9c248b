"""Template globals: translated vocabulary labels, the current locale, role helpers."""

from __future__ import annotations

from typing import Any

from flask import Flask

from vp_registry.core import taxonomy
from vp_registry.core.taxonomy import Role
from vp_registry.web import navigation
from vp_registry.web.speedups import template_i18n
from vp_registry.web.speedups.gettext import gettext as _


def label(mapping: dict[Any, str], value: str | None) -> str:
    """Translate a taxonomy label; unknown values show as they are."""
    if value is None:
        return ""
    for key, text in mapping.items():
        if key == value:
            return _(text)
    return value


def current_locale() -> str:
    """The request's language ("nl" outside a request), from the request's cached i18n state
    (speedups.template_i18n: no Flask-Babel look-up and locale-to-string per call)."""
    state = template_i18n.current()
    return state.locale_id if state is not None else "nl"


def category_label(category: Any) -> str:
    return str(category.label_en if current_locale() == "en" else category.label_nl)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        taxonomy=taxonomy,
        Role=Role,
        label=label,
        category_label=category_label,
        current_locale=current_locale,
        main_menu=navigation.main_menu,
        account_menu=navigation.account_menu,
    )
    app.jinja_env.filters["reject_page"] = _without_page
    app.jinja_env.filters["grouped"] = _grouped
    app.jinja_env.policies["ext.i18n.trimmed"] = True


def _grouped(text: str, size: int = 4) -> str:
    """"ABCDEFGH" -> "ABCD EFGH": easier to read and type (authenticator apps ignore spaces)."""
    return " ".join(text[i:i + size] for i in range(0, len(text), size))


def _without_page(arguments: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in arguments.items() if key != "page"}
