"""Static files answered before Flask (issue 15): the same answer, without a request context.

A static file is the same for everybody, yet through Flask its request pushed a request
context, matched the URL map, ran every ``before_request`` and ``after_request`` hook and the
session interface - about 0.5 ms of CPU for a 1 KB script, more than twice a bare Flask page.
:class:`StaticFiles` sits in front of the application (a WSGI middleware) and answers a plain
``GET``/``HEAD`` of a file in the static folder itself, with exactly what Flask would send:

* the file through werkzeug's ``send_from_directory`` - the function Flask's static view
  calls - with Flask's arguments (the application's ``root_path``, ``response_class``,
  ``USE_X_SENDFILE`` and ``SEND_FILE_MAX_AGE_DEFAULT``): the same ``Content-Type``,
  ``Last-Modified``, ``ETag``, ``Cache-Control: no-cache``, conditional answers (``304``);
* the security headers of every response (:func:`vp_registry.web.security.add_headers`),
  ``no-store`` included when a session cookie came with the request.

No session is opened (as before: web/sessions.py never opened one for a static file), no
database is touched, nothing is logged by the application. Everything else goes to Flask as
before: other methods, a query string (the NUL check and the 400 page are Flask's), a
``Range`` request, a name outside the folder, a file that does not exist (the 404 page).
``tests/web/test_static_files.py`` holds the answers of both paths to be the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import NotFound
from werkzeug.utils import send_from_directory

from vp_registry.web.organisation import HOME_COOKIE, has_session_cookie
from vp_registry.web.security import add_headers

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

_METHODS = frozenset({"GET", "HEAD"})
_COOKIE_MARK = HOME_COOKIE  # every organisation's session cookie starts so (issue 17)


class StaticFiles:
    """WSGI middleware: the static folder's files answered without Flask (see module doc)."""

    def __init__(self, wsgi_app: WSGIApplication, flask_app: Flask) -> None:
        self.app = wsgi_app
        folder = flask_app.static_folder
        url_path = flask_app.static_url_path
        self.prefix = (url_path.rstrip("/") + "/") if folder and url_path else None
        self.folder = folder or ""
        self.root_path = flask_app.root_path
        self.response_class = flask_app.response_class
        self.x_sendfile = bool(flask_app.config["USE_X_SENDFILE"])
        max_age = flask_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        self.max_age: int | None = (int(max_age.total_seconds())
                                    if isinstance(max_age, timedelta) else max_age)

    def _ours(self, environ: WSGIEnvironment) -> str | None:
        """The file name asked for, when this request is one we answer."""
        path: str = environ.get("PATH_INFO", "")
        if (self.prefix is None or not path.startswith(self.prefix)
                or environ.get("REQUEST_METHOD") not in _METHODS
                or environ.get("QUERY_STRING") or "HTTP_RANGE" in environ):
            return None
        name = path[len(self.prefix):]
        return name or None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        name = self._ours(environ)
        if name is None:
            return self.app(environ, start_response)
        try:
            response = send_from_directory(
                self.folder, name, environ, max_age=self.max_age,
                use_x_sendfile=self.x_sendfile, response_class=self.response_class,
                _root_path=self.root_path)
        except (NotFound, OSError, ValueError):  # Flask answers (its 404 page)
            return self.app(environ, start_response)
        add_headers(response.headers, static=True,
                    session_cookie=_has_session_cookie(environ.get("HTTP_COOKIE", "")))
        result: Iterable[bytes] = response(environ, start_response)
        return result


def _has_session_cookie(header: str) -> bool:
    """Whether the Cookie header names a session cookie of any organisation with a value (as
    web/security.py decides for Flask's answers; an empty value is parsed properly)."""
    if _COOKIE_MARK not in header:
        return False
    from werkzeug.http import parse_cookie

    return has_session_cookie(parse_cookie(header))


def init_app(app: Flask) -> None:
    """Put :class:`StaticFiles` in front of the application's WSGI callable."""
    wrapped: Any = StaticFiles(app.wsgi_app, app)
    app.wsgi_app = wrapped  # type: ignore[method-assign]
