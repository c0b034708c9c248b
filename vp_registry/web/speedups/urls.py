"""Cheaper ``url_for``: one per page for a list of links to one endpoint, and the templates'
``url_for`` remembering the URLs that are the same on every page (:func:`template_url_for`).

``url_for`` costs ~5-10 µs a call (the URL adapter matches the endpoint, converts and quotes
every argument); a list page of 50 cases made 50 of them. :func:`url_builder` asks
``url_for`` once, with a marker in place of the argument, and then puts each value where the
marker was. Only values of a plain shape (letters, digits, hyphens: nothing to quote) take
that path; anything else goes through ``url_for`` itself, so every URL is the one
``url_for`` would write.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from flask import Flask, url_for
from flask.globals import _cv_request  # the request context: what flask.request reads
from werkzeug.routing import BuildError

_MARKER: Final = "MARKER"
_CACHE_LIMIT: Final = 512
_PLAIN: Final = re.compile(r"[A-Za-z0-9-]+")  # needs no quoting in a URL path


def _url(endpoint: str, argument: str, value: str) -> str:
    values: dict[str, Any] = {argument: value}
    return url_for(endpoint, **values)


def url_builder(endpoint: str, argument: str) -> Callable[[str], str]:
    """``lambda value: url_for(endpoint, **{argument: value})``, built once per request."""
    head, marker, tail = _url(endpoint, argument, _MARKER).partition(_MARKER)
    if not marker:  # the marker did not come through as it is: no short cut
        return lambda value: _url(endpoint, argument, value)

    def build(value: str) -> str:
        if _PLAIN.fullmatch(value):
            return head + value + tail
        return _url(endpoint, argument, value)

    return build


def template_url_for(app: Flask) -> Callable[..., str]:
    """The templates' ``url_for``: Flask's ``app.url_for``, with the URLs of endpoints without
    arguments (the menu, the language and logout forms) and of static files remembered per
    script root and host (a page wrote ~6 of them: ~10 µs each).

    Only a plain call is remembered - no ``_external``/``_anchor``/``_method``/``_scheme``,
    no relative (".name") endpoint, no URL default functions registered - and only inside a
    request: its URL then depends on nothing but the URL map and the request's script root
    and host, all of which are in the key (an organisation's prefix is in its script root:
    two organisations never share an entry). Everything else is ``app.url_for`` itself."""
    return _TemplateUrlFor(app)


class _TemplateUrlFor:
    """:func:`template_url_for`'s callable."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.cache: dict[tuple[str, str, str, str | None], str] = {}
        self.shapes: dict[tuple[str, str, str, str], tuple[str, str] | None] = {}

    def __call__(self, endpoint: str, /, **values: Any) -> str:
        app = self.app
        if values and (endpoint != "static" or len(values) != 1 or "filename" not in values):
            return self._with_one_value(endpoint, values)
        context = _cv_request.get(None)
        if context is None or endpoint[:1] == "." or _has_defaults(app):
            return app.url_for(endpoint, **values)
        request = context.request
        key = (request.script_root, request.host, endpoint, values.get("filename"))
        found = self.cache.get(key)
        if found is None:
            found = app.url_for(endpoint, **values)
            if len(self.cache) >= _CACHE_LIMIT:  # a stream of made-up Host headers
                self.cache.clear()
            self.cache[key] = found
        return found

    def _with_one_value(self, endpoint: str, values: dict[str, Any]) -> str:
        """One plain string argument (a case's reference): the URL's shape - written with a
        marker in its place - is remembered per endpoint, argument, script root and host,
        never the value (issue 15, session 7: a case page wrote five such URLs)."""
        app = self.app
        context = _cv_request.get(None)
        if (len(values) != 1 or context is None or endpoint[:1] == "."
                or _has_defaults(app)):
            return app.url_for(endpoint, **values)
        (name, value), = values.items()
        if type(value) is not str or not _PLAIN.fullmatch(value) or name[:1] == "_":
            return app.url_for(endpoint, **values)
        request = context.request
        key = (request.script_root, request.host, endpoint, name)
        if key not in self.shapes:
            marked: dict[str, Any] = {name: _MARKER}
            try:
                head, marker, tail = app.url_for(endpoint, **marked).partition(_MARKER)
            except (BuildError, ValueError):  # e.g. a number converter: no shape
                head, marker, tail = "", "", ""
            if len(self.shapes) >= _CACHE_LIMIT:
                self.shapes.clear()
            self.shapes[key] = (head, tail) if marker and _MARKER not in head + tail else None
        shape = self.shapes[key]
        if shape is None:
            return app.url_for(endpoint, **values)
        return shape[0] + value + shape[1]


def _has_defaults(app: Flask) -> bool:
    return any(app.url_default_functions.values())


def init_app(app: Flask) -> None:
    app.jinja_env.globals["url_for"] = template_url_for(app)
