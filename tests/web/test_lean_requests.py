"""The lean request path (issue 15): a request does only the work its answer needs.

Statements are counted with a SQLAlchemy event listener on the application's engine (the
session rows are read and written through the same engine); no test here measures time
(the figures are in benchmarks/bench_lean.py and benchmarks/profile_request.py).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import event, update

from tests.casework import case_input, unlock
from tests.support.forms import csrf_token, post_form
from tests.support.sessions import db_session_for
from tests.support.statements import sent_statements
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases.records import Closing
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work
from vp_registry.web import navigation
from vp_registry.web.cases import views as case_views
from vp_registry.web.cases.forms import VersionForm
from vp_registry.web.sessions import COOKIE_NAME


def counted_statements(app: Flask) -> AbstractContextManager[list[str]]:
    """Every SQL statement sent through the application's engine inside the block."""
    return sent_statements(app_state(app).engine, lambda statement, _parameters: statement)


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


def _parsed_form_of(app: Flask) -> list[bool]:
    """For each request from here on: whether its form was parsed (werkzeug keeps the parsed
    form in the request's ``__dict__``)."""
    seen: list[bool] = []

    def note(response: Any) -> Any:
        seen.append("form" in request.__dict__)
        return response

    app.after_request_funcs.setdefault(None, []).insert(0, note)
    return seen


def test_a_request_without_query_or_body_parses_no_form(app: Flask, client: FlaskClient
                                                        ) -> None:
    """The NUL check looks into a form only when the request can carry one (before: every
    GET parsed its empty form and query)."""
    parsed = _parsed_form_of(app)
    assert client.get("/login").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/login?next=%2Fcases%2F").status_code == 200
    assert parsed == [False, False, True]


def test_a_nul_is_refused_wherever_it_comes(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    assert client.get("/login?next=%00").status_code == 400
    assert client.post("/login", data={"csrf_token": token, "email": "a\x00b",
                                       "password": "x"}).status_code == 400
    assert client.post("/login", data={"csrf_token": token, "email": "a", "password": "x",
                                       "upload": (io.BytesIO(b"x"), "a\x00.txt")},
                       content_type="multipart/form-data").status_code == 400
    body = urlencode({"csrf_token": token, "email": "a\x00b", "password": "x"}).encode()
    chunked = client.post("/login", input_stream=io.BytesIO(body), headers={
        "Transfer-Encoding": "chunked", "Content-Type": "application/x-www-form-urlencoded"},
        environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 400
    clean = urlencode({"csrf_token": token, "email": "a@example.org", "password": "x"})
    assert client.post("/login", input_stream=io.BytesIO(clean.encode()), headers={
        "Transfer-Encoding": "chunked", "Content-Type": "application/x-www-form-urlencoded"},
        environ_overrides={"wsgi.input_terminated": True}).status_code == 200


def test_an_open_case_page_builds_no_form(app: Flask, settings: Settings, client: FlaskClient,
                                          counsellor: User, dept_id: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The case page's one form is "Reopen": built for a closed case only (before: for
    every case)."""
    built: list[int] = []

    class CountedVersionForm(VersionForm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(case_views, "VersionForm", CountedVersionForm)
    with app.app_context(), db_session_for(app) as session:
        work = Work(session, settings, Actor(counsellor.id, "counsellor"),
                    keys=unlock(session, settings, counsellor))
        record = lifecycle.create_case(work, case_input(dept_id))
        session.commit()
    page = client.get(f"/cases/{record.reference}").get_data(as_text=True)
    assert built == [] and 'name="version"' not in page
    assert f'href="/cases/{record.reference}/close"' in page
    with app.app_context(), db_session_for(app) as session:
        work = Work(session, settings, Actor(counsellor.id, "counsellor"),
                    keys=unlock(session, settings, counsellor))
        lifecycle.close_case(work, record.reference, record.version,
                             Closing(closed_on=record.opened_on, outcome="advice"))
        session.commit()
    page = client.get(f"/cases/{record.reference}").get_data(as_text=True)
    assert built == [1] and f'name="version" type="hidden" value="{record.version + 1}"' in page


# ------------------------------------ the vault and grant read with the session row (session 8)


def _vault_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "vault.key_version" in s]


def test_a_case_page_reads_vault_and_grant_with_its_session_row(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, dept_id: int
) -> None:
    """A GET that decrypts checks the grant and the vault key from the columns read with the
    session row (issue 15, session 8): one statement, where there were two. A POST (which may
    unlock, grant or rotate in its own request) still reads them afresh."""
    with app.app_context(), db_session_for(app) as session:
        work = Work(session, settings, Actor(counsellor.id, "counsellor"),
                    keys=unlock(session, settings, counsellor))
        record = lifecycle.create_case(work, case_input(dept_id))
        session.commit()
    with counted_statements(app) as statements:
        page = client.get(f"/cases/{record.reference}")
    assert page.status_code == 200 and "Anna Visser" in page.get_data(as_text=True)
    reads = _vault_reads(statements)
    assert len(reads) == 1 and "FROM web_sessions" in reads[0] and "vault_grants" in reads[0]
    token = csrf_token(client, "/cases/")
    with counted_statements(app) as statements:
        kept = client.post("/cases/filter", data={"csrf_token": token, "clear": "1"})
    assert kept.status_code == 303
    reads = _vault_reads(statements)
    assert len(reads) == 2 and "FROM web_sessions" not in reads[1]


@pytest.mark.parametrize("change", ["no grant", "no vault", "another key", "another holder"])
def test_the_vault_read_with_the_session_row_decides_as_the_statement(
    app: Flask, settings: Settings, counsellor: User, change: str
) -> None:
    """open_keys given the columns read with the session row: the same refusals as its own
    statement; columns read for another user are not used."""
    from vp_registry.services.errors import NoGrant, VaultLocked
    from vp_registry.services.vault import unlocking
    from vp_registry.services.vault.store import VaultNotReady

    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, counsellor)
        key = keys.current
        vault = session.execute(select_vault()).one()
        read = unlocking.VaultRead(counsellor.id, vault.key_version, vault.box_private_wrapped,
                                   vault.box_key_version, None, None, counsellor.id)
        assert unlocking.open_keys(session, settings, key, holder=counsellor.id,
                                   read=read).version == keys.version
        if change == "no grant":
            with pytest.raises(NoGrant):
                unlocking.open_keys(session, settings, key, holder=counsellor.id,
                                    read=replace(read, grantee=None))
        elif change == "no vault":
            with pytest.raises(VaultNotReady):
                unlocking.open_keys(session, settings, key, holder=counsellor.id,
                                    read=replace(read, key_version=None))
        elif change == "another key":
            with pytest.raises(VaultLocked):
                unlocking.open_keys(session, settings, bytes(32), holder=counsellor.id, read=read)
        else:  # read for someone else: the statement decides (the counsellor's grant holds)
            other = replace(read, holder=counsellor.id + 1, grantee=None)
            assert unlocking.open_keys(session, settings, key, holder=counsellor.id,
                                       read=other).version == keys.version


def select_vault() -> Any:
    from sqlalchemy import select

    from vp_registry.db.vault import Vault

    return select(Vault.key_version, Vault.box_private_wrapped, Vault.box_key_version)


def test_a_full_list_page_counts_its_cases_in_its_own_statement(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, dept_id: int
) -> None:
    """The list's count rides in the page's statement (session 8): no count statement of its
    own, on a full first page (before: one more statement) or a short one."""
    with app.app_context(), db_session_for(app) as session:
        work = Work(session, settings, Actor(counsellor.id, "counsellor"),
                    keys=unlock(session, settings, counsellor))
        for _ in range(26):
            lifecycle.create_case(work, case_input(dept_id))
        session.commit()
    for path, shown in (("/cases/", 25), ("/cases/?page=2", 1)):
        with counted_statements(app) as statements:
            page = client.get(path).get_data(as_text=True)
        assert "26 cases in total." in page or "26 meldingen in totaal." in page
        assert page.count('data-label="') >= shown
        counting = [s for s in statements if "count(" in s]
        assert len(counting) == 1 and "LIMIT" in counting[0]


def test_the_unfiltered_list_counts_the_case_keys_alone(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User, dept_id: int
) -> None:
    """Unfiltered, the page's count reads the narrow case_keys table alone - each key names
    one case - instead of joining it with the wide cases table (session 9; fails before); a
    filtered page still counts its filtered cases, and every total is the same."""
    with app.app_context(), db_session_for(app) as session:
        work = Work(session, settings, Actor(counsellor.id, "counsellor"),
                    keys=unlock(session, settings, counsellor))
        created = [lifecycle.create_case(work, case_input(dept_id)) for _ in range(27)]
        for record in created[:2]:
            lifecycle.close_case(work, record.reference, record.version,
                                 Closing(closed_on=record.opened_on, outcome="advice"))
        session.commit()
    for status, path, total in ((None, "/cases/", 27), (None, "/cases/?page=2", 27),
                                ("open", "/cases/", 25), ("closed", "/cases/", 2)):
        if status is not None:
            assert post_form(client, "/cases/filter", {"status": status, "sort": "newest"},
                             form_page="/cases/").status_code == 303
        with counted_statements(app) as statements:
            page = client.get(path).get_data(as_text=True)
        said = re.search(r'<p role="status">\s*(\d+) ', page)
        assert said is not None and said.group(1) == str(total)
        counting = [" ".join(s.split()) for s in statements if "count(" in s]
        assert len(counting) == 1
        assert ("FROM case_keys)" in counting[0]) is (status is None), counting[0]


def test_the_session_lookup_runs_on_the_driver_and_reads_what_sqlalchemy_reads(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """The web session's row with its user and vault columns is read on the driver's cursor
    (db/raw.py; session 9: not through SQLAlchemy's execution, which fails before), and the
    row is the one SQLAlchemy reads: same columns, same values, same types."""
    from vp_registry.web import sessions

    login_as("counsellor")
    through_sqlalchemy: list[str] = []

    def record(_conn: Any, clause: Any, *_rest: Any) -> None:
        through_sqlalchemy.append(" ".join(str(clause).split()))

    engine = app_state(app).engine
    event.listen(engine, "before_execute", record)
    try:
        assert client.get("/start").status_code == 200
    finally:
        event.remove(engine, "before_execute", record)
    assert through_sqlalchemy and not any("web_sessions" in s for s in through_sqlalchemy)
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is not None
    from vp_registry.core import crypto

    wanted = {"token_hash": crypto.hash_token(cookie.value)}
    with app.app_context(), db_session_for(app) as session:
        connection = session.connection()
        expected = connection.execute(sessions._ROW_AND_USER, wanted).one()
        (found,) = sessions._RAW_ROW_AND_USER.rows(connection, wanted)
    assert found._fields == expected._fields  # type: ignore[attr-defined]
    assert [(type(value), value) for value in found] == [
        (type(value), value) for value in expected]
