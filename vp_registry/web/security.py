"""Security headers on every response (docs/design.md section 3), and refusal of NUL characters.

No browser sends a NUL character in a form or an address, and PostgreSQL cannot store one in
a text column (psycopg raises DataError: a server error). Every request that carries one in
a form field, a file name or the query string gets the generic 400 page before any view runs.
"""

from __future__ import annotations

from flask import Flask, Response, abort, request
from werkzeug.datastructures import Headers

from vp_registry.web.organisation import has_session_cookie

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def add_headers(headers: Headers, *, static: bool, session_cookie: bool) -> None:
    """The security headers of every answer (Flask's, and the static files answered before
    Flask: web/speedups/static.py)."""
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    # A static file request opens no session (web/sessions.py), so whether it came from a
    # logged-in user is not known: with a session cookie it gets no-store, as every
    # authenticated answer does (issue 15).
    if not static or session_cookie:
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"


def _headers(response: Response) -> Response:
    add_headers(response.headers, static=request.endpoint == "static",
                session_cookie=has_session_cookie(request.cookies))
    return response


def _may_carry_values(environ: dict[str, object]) -> bool:
    """Whether the request has a query string or a body at all: without Content-Length or
    Transfer-Encoding a request has no body (RFC 9112, 6.3), so most GETs need no parsing of
    a form that is not there (issue 15)."""
    return bool(environ.get("QUERY_STRING")
                or environ.get("CONTENT_LENGTH") not in (None, "", "0")
                or environ.get("HTTP_TRANSFER_ENCODING"))


def _refuse_nul() -> None:
    if not _may_carry_values(request.environ):
        return
    values = [*request.args.items(multi=True), *request.form.items(multi=True)]
    names = [upload.filename or "" for _key, upload in request.files.items(multi=True)]
    if any("\x00" in key or "\x00" in value for key, value in values) or any(
            "\x00" in name for name in names):
        abort(400)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul)
    app.after_request(_headers)
