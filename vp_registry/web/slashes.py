"""One address per page, spelled with or without a final slash (issue 14).

The URL map holds each page's one true address. Werkzeug already sends ``/cases`` to the rule
``/cases/`` (a 308); this sends the opposite spelling, ``/signals/`` for the rule ``/signals``,
to its page the same way instead of answering 404. Only pages (GET and HEAD) are redirected;
a form is always posted to its own address.
"""

from __future__ import annotations

from flask import Flask, current_app, redirect, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

PAGE_METHODS = frozenset({"GET", "HEAD"})


def redirect_extra_slash() -> Response | None:
    """``before_request``: a page asked for with a final slash that its rule does not have."""
    path = request.path
    if (request.method not in PAGE_METHODS or not isinstance(request.routing_exception, NotFound)
            or len(path) < 2 or not path.endswith("/")):
        return None
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, arguments = adapter.match(path.rstrip("/"), method="GET")
    except (RequestRedirect, HTTPException):
        return None
    if endpoint == "static":
        return None
    # Built from the rule, never copied from the request: always one of this app's own paths.
    target = adapter.build(endpoint, arguments)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, code=308)


def init_app(app: Flask) -> None:
    app.before_request(redirect_extra_slash)
