"""Static files answered before Flask (vp_registry/web/speedups/static.py, issue 15): the same
answer as Flask's static view, headers included, without a request context."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request_started
from flask.testing import FlaskClient
from werkzeug.test import Client, TestResponse

from vp_registry.db.accounts import User
from vp_registry.web.sessions import COOKIE_NAME
from vp_registry.web.speedups.static import StaticFiles

CSRF_VALUE = re.compile(rb'(?<=name="csrf_token" value=")[^"]*')
FILES = sorted(p.name for p in Path(__file__).resolve().parents[2].joinpath(
    "vp_registry", "static").iterdir() if p.is_file())


def _both(app: Flask, path: str, **options: Any) -> tuple[TestResponse, TestResponse]:
    """The answer of the application (with the middleware) and of Flask alone."""
    middleware: Any = app.wsgi_app
    while not isinstance(middleware, StaticFiles):  # inside the organisations' routing
        middleware = middleware.app
    ours = Client(app, use_cookies=False).open(path, buffered=True, **options)
    flask_alone = Client(middleware.app, use_cookies=False).open(path, buffered=True, **options)
    ours.close()
    flask_alone.close()
    return ours, flask_alone


def _same(ours: TestResponse, theirs: TestResponse) -> None:
    def headers(response: TestResponse) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in response.headers.items() if k != "Date")

    def body(response: TestResponse) -> bytes:  # an error page's CSRF token is random
        return CSRF_VALUE.sub(b"", response.get_data())

    assert ours.status_code == theirs.status_code
    assert headers(ours) == headers(theirs)
    assert body(ours) == body(theirs)


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("cookie", [None, f"{COOKIE_NAME}=abc", "vp_lang=en",
                                    f"x{COOKIE_NAME}=abc", f"{COOKIE_NAME}="])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_static_file_gets_what_flask_would_send(app: Flask, name: str, cookie: str | None,
                                                  method: str) -> None:
    headers = {"Cookie": cookie} if cookie else {}
    ours, theirs = _both(app, f"/static/{name}", method=method, headers=headers)
    assert ours.status_code == 200
    _same(ours, theirs)
    assert ours.headers["X-Content-Type-Options"] == "nosniff"
    if cookie and cookie.startswith(f"{COOKIE_NAME}=") and not cookie.endswith("="):
        assert ours.headers["Cache-Control"] == "no-store"
    else:
        assert ours.headers["Cache-Control"] == "no-cache"
        assert ours.headers["ETag"]


def test_conditional_requests_get_what_flask_would_send(app: Flask) -> None:
    first = Client(app).get("/static/style.css", buffered=True)
    first.close()
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": '"other"'},
                    {"If-Modified-Since": modified},
                    {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
                    {"If-None-Match": etag, "Cookie": f"{COOKIE_NAME}=abc"}):
        ours, theirs = _both(app, "/static/style.css", headers=headers)
        _same(ours, theirs)
    assert _both(app, "/static/style.css", headers={"If-None-Match": etag})[0].status_code == 304


@pytest.mark.parametrize(("path", "options", "status"), [
    ("/static/does-not-exist.css", {}, 404),
    ("/static/../config.py", {}, 404),
    ("/static/", {}, 404),
    ("/static/style.css/", {}, 200),  # as Flask: the name is normalised
    ("/static/style.css?x=%00", {}, 400),
    ("/static/style.css?v=1", {}, 200),
    ("/static/style.css", {"method": "POST"}, 405),
    ("/static/style.css", {"headers": {"Range": "bytes=0-9"}}, 206),
])
def test_everything_else_is_flask_s_answer(app: Flask, path: str, options: dict[str, Any],
                                           status: int) -> None:
    ours, theirs = _both(app, path, **options)
    assert ours.status_code == status
    _same(ours, theirs)


def test_a_static_file_runs_no_part_of_flask(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """No request context, no hook, no session: Flask never sees the request (before this
    change, each static file pushed a request context and ran every hook)."""
    login_as("counsellor")
    started: list[str] = []

    def record(_sender: Flask, **_extra: Any) -> None:
        started.append("request")

    request_started.connect(record, app)
    try:
        for method, path, status in (("GET", "/static/style.css", 200),
                                     ("HEAD", "/static/menu.js", 200),
                                     ("GET", "/static/does-not-exist.css", 404)):
            with client.open(path, method=method) as answer:
                assert answer.status_code == status
        assert started == ["request"]  # Flask's 404 page only
    finally:
        request_started.disconnect(record, app)
