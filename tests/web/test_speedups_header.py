"""A logged-in page's header kept per web session (issue 15, session 8; web/speedups/header.py).

The kept header is byte for byte the header the template writes (Dutch and English), with
this request's CSRF token and path filled in; a change made by another request or worker
(the user's name or role) or another language is seen at once; logout drops what the
session kept; two sessions never share it; pages that override a header block are not kept.
Counted with a wrapper around the keeping; no test here measures time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.support.forms import AuthActions, post_form
from tests.support.sessions import db_session_for
from vp_registry.db.accounts import User
from vp_registry.web.speedups import header, session_memory

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HEADER = re.compile(r"<header class=\"site-header\">.*?</header>", re.S)


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[object, ...]]]:
    """The keys of the headers kept (rendered to be kept), in order."""
    seen: list[tuple[object, ...]] = []
    real = session_memory.keep_header

    def counting(store: dict[tuple[object, ...], tuple[str, ...]], key: tuple[object, ...],
                 pieces: tuple[str, ...]) -> None:
        seen.append(key)
        real(store, key, pieces)

    monkeypatch.setattr(session_memory, "keep_header", counting)
    yield seen


def _page(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def _header(page: str) -> str:
    found = HEADER.search(page)
    assert found is not None
    return found.group(0)


def _without_keeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(header, "_header_key", lambda _context: None)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_kept_header_is_the_rendered_one(
    client: FlaskClient, login_as: Callable[[str], User], kept: list[tuple[object, ...]],
    monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    login_as("admin")
    if language == "en":
        assert post_form(client, "/language", {"language": "en", "next": "/start"},
                         form_page="/start").status_code == 302
    first = _page(client, "/start?x=%3Ca%3E")
    second = _page(client, "/start?x=%3Ca%3E")
    assert len([key for key in kept if key[1] == language]) == 1
    # the CSRF token is signed with the second: compared without it (session 9: two GETs may
    # straddle a second on a loaded machine)
    assert CSRF.sub("", _header(second)) == CSRF.sub("", _header(first))
    token = CSRF.search(_header(second))
    assert token is not None
    assert 'name="next" value="/start?x=%3Ca%3E"' in _header(second)  # escaped as before
    _without_keeping(monkeypatch)
    plain = _page(client, "/start?x=%3Ca%3E")
    assert CSRF.sub("", plain) == CSRF.sub("", second)
    assert ("Uitloggen" if language == "nl" else "Log out") in _header(second)


def test_the_kept_header_carries_this_requests_token_and_path(
    client: FlaskClient, login_as: Callable[[str], User]
) -> None:
    login_as("admin")
    _page(client, "/start")
    page = _page(client, "/account/password")
    assert 'name="next" value="/account/password"' in _header(page)
    tokens = set(CSRF.findall(page))
    assert len(tokens) == 1  # the header's forms and the page's form: one token
    assert AuthActions(client).logout().status_code == 302  # the kept header's form works


def test_a_change_elsewhere_is_seen_at_once(
    app: Flask, client: FlaskClient, login_as: Callable[[str], User],
    kept: list[tuple[object, ...]]
) -> None:
    user = login_as("admin")
    _page(client, "/start")
    _page(client, "/start")
    with db_session_for(app) as session:  # another request or worker renames the user
        session.execute(update(User).where(User.id == user.id)
                        .values(display_name="Renamed Elsewhere"))
        session.commit()
    page = _page(client, "/start")
    assert "Renamed Elsewhere" in _header(page)
    assert user.display_name not in _header(page)
    assert len(kept) == 2


def test_logout_drops_what_the_session_kept(
    app: Flask, client: FlaskClient, login_as: Callable[[str], User]
) -> None:
    login_as("admin")
    _page(client, "/start")
    with app.app_context():
        assert session_memory.remembered_sessions() == 1
    assert AuthActions(client).logout().status_code == 302
    with app.app_context():
        assert session_memory.remembered_sessions() == 0


def test_two_sessions_never_share_a_header(
    app: Flask, client: FlaskClient, login_as: Callable[[str], User],
    kept: list[tuple[object, ...]]
) -> None:
    user = login_as("admin")
    _page(client, "/start")
    with db_session_for(app) as session:
        session.execute(update(User).where(User.id == user.id).values(totp_last_step=0))
        session.commit()
    other = app.test_client()
    assert AuthActions(other).login(user).status_code == 302
    _page(other, "/start")
    assert len(kept) == 2 and kept[0] == kept[1]  # the same key, kept by each session
    with app.app_context():
        assert session_memory.remembered_sessions() == 2


def test_an_anonymous_page_is_not_kept(client: FlaskClient,
                                       kept: list[tuple[object, ...]]) -> None:
    first = client.get("/login").get_data(as_text=True)
    assert 'name="next" value="/login"' in _header(first)
    assert kept == []
