"""The lean request path (issue 15): a request does only the work its answer needs.

Statements are counted with a SQLAlchemy event listener on the application's engine (the
session rows are read and written through the same engine); no test here measures time
(the figures are in benchmarks/bench_lean.py and benchmarks/profile_request.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, update

from tests.support.forms import post_form
from tests.support.sessions import db_session_for
from vp_registry.app_state import app_state
from vp_registry.db.accounts import User
from vp_registry.web import navigation
from vp_registry.web.sessions import COOKIE_NAME


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement sent through the application's engine inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    engine = app_state(app).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_static_file_with_a_session_cookie_makes_no_database_statement(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """A static file is the same for everybody: no session lookup, no user load, no session
    write - and the security headers of every response, no-store included when a session
    cookie came with the request (without the database we cannot tell whether it belongs to
    a logged-in user, so the stricter answer)."""
    login_as("counsellor")
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is not None
    with counted_statements(app) as statements, client.get("/static/style.css") as static:
        assert static.status_code == 200
        headers = static.headers
    assert statements == []
    assert "Set-Cookie" not in headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    # the session is untouched and still works
    after = client.get_cookie(COOKIE_NAME)
    assert after is not None and after.value == cookie.value
    assert client.get("/start").status_code == 200


def test_static_file_without_a_cookie_may_be_cached(app: Flask, client: FlaskClient) -> None:
    with counted_statements(app) as statements, client.get("/static/style.css") as static:
        assert static.status_code == 200
        assert "no-store" not in static.headers.get("Cache-Control", "")
        assert static.headers["X-Content-Type-Options"] == "nosniff"
    assert statements == []


def test_missing_static_file_is_a_404_without_a_session(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as("counsellor")
    with counted_statements(app) as statements:
        response = client.get("/static/does-not-exist.css")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert statements == []


def test_a_logged_in_page_reads_session_and_user_in_one_statement(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """The session row and its user come in one statement (they were two on every page)."""
    user = login_as("counsellor")
    with counted_statements(app) as statements:
        assert client.get("/start").status_code == 200
    session_reads = [s for s in statements if "FROM web_sessions" in s]
    user_reads = [s for s in statements if s.lstrip().startswith("SELECT users.")]
    assert len(session_reads) == 1 and "users" in session_reads[0]
    assert user_reads == []
    assert user.display_name in client.get("/start").get_data(as_text=True)


def test_the_user_of_the_session_row_is_checked_as_before(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """Read with the session row, the user is still refused when disabled meanwhile."""
    user = login_as("counsellor")
    with db_session_for(app) as session:
        session.execute(update(User).where(User.id == user.id).values(active=False))
        session.commit()
    assert client.get("/start").status_code == 302  # to the login page


def test_the_menu_is_built_once_per_page_and_language(
    client: FlaskClient, login_as: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The menu (labels from the catalogue, one url_for per item) is the same for every
    request of a role, a page and a language: built once, then taken as it is."""
    login_as("counsellor")
    assert client.get("/start").status_code == 200
    built: list[str] = []
    real = navigation.url_for

    def counting(endpoint: str, **values: Any) -> str:
        built.append(endpoint)
        return real(endpoint, **values)

    monkeypatch.setattr(navigation, "url_for", counting)
    dutch = client.get("/start").get_data(as_text=True)
    assert built == []
    assert '<a href="/cases/">Meldingen</a>' in dutch
    # another language is another menu, with its own labels
    assert post_form(client, "/language", {"language": "en", "next": "/start"},
                     form_page="/start").status_code == 302
    english = client.get("/start").get_data(as_text=True)
    assert '<a href="/cases/">Cases</a>' in english and ">Meldingen<" not in english
    assert built  # built for English once
    again = len(built)
    client.get("/start")
    assert len(built) == again


def test_a_logged_in_page_reads_its_session_in_its_own_unit_of_work(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """The session lookup goes through the request's database session (issue 15): one
    connection checked out for the whole page, where a database session of its own for the
    lookup took a second one (and a merge of the user into the request's)."""
    user = login_as("counsellor")
    assert client.get("/start").status_code == 200
    checkouts: list[str] = []

    def record(*_args: Any) -> None:
        checkouts.append("checkout")

    engine = app_state(app).engine
    event.listen(engine.pool, "checkout", record)
    try:
        page = client.get("/start")
    finally:
        event.remove(engine.pool, "checkout", record)
    assert page.status_code == 200
    assert user.display_name in page.get_data(as_text=True)
    assert checkouts == ["checkout"]
