"""Where a ``next`` may send the browser: only to a page of this application (issue 11, item 4).

Every redirect target that comes from input (a ``next`` in a query string or a form) goes
through :func:`safe_next`. It does not try to repair a value: it accepts it as it is or refuses
it, and the caller falls back to a fixed page.

Why so strict: a browser's URL parser drops tab, CR and LF anywhere in a URL, drops leading and
trailing control characters and spaces, and reads a backslash as a slash. So
``/\\t/evil.example/path`` - a harmless-looking path to a server-side check - reaches the
browser as ``//evil.example/path``, a link to another host. Rather than imitate the browser,
the helper refuses every character that it could rewrite, raw or percent-encoded.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import current_app, has_request_context, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

MAX_LENGTH = 2048
# Printable ASCII without space and backslash: nothing a browser strips, rewrites or reads
# as a host separator. A case reference, a year, a page number all fit.
_ALLOWED = re.compile(r"[\x21-\x5b\x5d-\x7e]+")
_PERCENT_ROUNDS = 3  # %25-encoded layers looked through (``%2509`` is ``%09`` is a tab)


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a path of this application (with an optional query), else None;
    under an organisation's prefix it is returned with the prefix in front.

    Accepted only when: printable ASCII without space or backslash, also after percent-decoding;
    it starts with exactly one ``/``; ``urlsplit`` sees neither scheme nor host nor fragment;
    and the path is a route of the application's URL map (GET). Needs an application context.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return None
    decoded = value
    for _round in range(_PERCENT_ROUNDS + 1):
        if not _ALLOWED.fullmatch(decoded):
            return None
        if not decoded.startswith("/") or decoded.startswith("//"):
            return None
        parts = urlsplit(decoded)
        if parts.scheme or parts.netloc or parts.fragment or "#" in decoded:
            return None
        try:
            once = unquote(decoded, errors="strict")
        except UnicodeDecodeError:
            return None
        if once == decoded:
            break
        decoded = once
    else:
        return None  # still encoded after several rounds: nobody writes that in good faith
    path = urlsplit(value).path
    if not _is_route(path):
        return None
    # A ``next`` is a path of the application (request.path: without an organisation's
    # /o/<slug> prefix, issue 17); the redirect goes to it under the same prefix.
    return (request.script_root if has_request_context() else "") + value


def _is_route(path: str) -> bool:
    """``path`` answers a GET in this application's URL map (as it is: no redirect to a
    variant with or without a trailing slash)."""
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except (RequestRedirect, HTTPException):  # a slash redirect, NotFound, MethodNotAllowed
        return False
    return True
