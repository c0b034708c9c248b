"""No open redirect (issue 11, item 4): every redirect target that comes from input goes
through one strict helper, ``vp_registry.web.redirects.safe_next``.

A browser strips tab, CR and LF anywhere in a URL and reads a backslash as a slash, so
``/\\t/evil.example/path`` reaches it as ``//evil.example/path``: another host. The helper
accepts only a path of this application, and the property test checks, for any input, that
what it returns cannot become another host by those browser rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, urljoin, urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.support.forms import post_form
from vp_registry.db.accounts import User
from vp_registry.web.redirects import safe_next

HOSTILE = "/\t/evil.example/path"
ORIGIN = "https://registry.example"
PIECES = ["/", "//", "\\", "\t", "\n", "\r", " ", "\x00", "\x0b", "\x0c", "\x7f", "\u00a0",
          "\u2028", "\u3002", "%09", "%0a", "%0d", "%0A", "%5c", "%5C", "%2f", "%2F", "%20",
          "%00", "%", "%%", "%252f", "evil.example", "@", ":", "http:", "https:", "javascript:",
          "data:", "?", "#", "&", "=", "..", ".", "start", "cases", "cases/", "login", "next",
          "VP-2026-7KQ3", "static/style.css", "page=2", "vault", "\uff0f", "\u2215", "\ufe68"]
hostile_strings = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=10).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=8).map("".join),
    st.text(max_size=40),
)


def as_a_browser_reads_it(location: str) -> str:
    """What a browser makes of a Location value (WHATWG URL parser): leading and trailing C0
    controls and spaces go, tab/CR/LF anywhere go, a backslash is a slash (special schemes)."""
    value = location.strip("".join(map(chr, range(0x21))))
    value = re.sub(r"[\t\n\r]", "", value).replace("\\", "/")
    return urljoin(ORIGIN + "/login", value)


def assert_stays_here(location: str) -> None:
    parts = urlsplit(location)
    assert parts.scheme == "" and parts.netloc == "", location
    assert location.startswith("/") and not location.startswith("//"), location
    for seen in (as_a_browser_reads_it(location), as_a_browser_reads_it(unquote(location))):
        assert urlsplit(seen).netloc == "registry.example", (location, seen)


def test_safe_next_answers_a_path_of_this_application_or_none(app: Flask) -> None:
    @given(hostile_strings)
    @hypothesis_settings(max_examples=600, deadline=None)
    def check(value: str) -> None:
        result = safe_next(value)
        if result is not None:
            assert result == value  # accepted as it is, never "repaired"
            assert_stays_here(result)
            assert not re.search(r"[\x00-\x20\x7f-\uffff\\]", result)

    with app.test_request_context():
        check()


@pytest.mark.parametrize("value", [
    HOSTILE, "//evil.example/path", "/\\evil.example/path", "\\\\evil.example", "/\n/evil.example",
    " /start", "/start ", "/%09/evil.example/path", "/%5cevil.example", "/%0a/evil.example",
    "/%2f/evil.example", "/%252f%252fevil.example", "https://evil.example/start",
    "http:/evil.example", "javascript:alert(1)", "/start#frag", "", "start", "/no/such/route",
    "/\u3002evil.example", "/start?next=%0a", None,
])
def test_hostile_targets_are_refused(app: Flask, value: str | None) -> None:
    with app.test_request_context():
        assert safe_next(value) is None


@pytest.mark.parametrize("value", [
    "/start", "/cases/", "/cases/?page=2", "/cases/VP-2026-7KQ3", "/login?next=%2Fcases%2F",
    "/activities?year=2025", "/vault",
])
def test_paths_of_the_application_are_accepted(app: Flask, value: str) -> None:
    with app.test_request_context():
        assert safe_next(value) == value


def _location(response: object) -> str:
    location: str = response.headers["Location"]  # type: ignore[attr-defined]
    assert_stays_here(location)
    assert "evil" not in location
    return location


def test_login_does_not_redirect_to_another_host(
    client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = create_user("manager")
    url = "/login?next=/%09/evil.example/path"
    response = post_form(client, url, {"email": user.email,
                                       "password": user.test_password})  # type: ignore[attr-defined]
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    code = pyotp.TOTP(user.test_totp_secret).now()  # type: ignore[attr-defined]
    response = post_form(client, "/login/code", {"code": code})
    assert response.status_code == 302
    assert _location(response) == "/start"


def test_login_still_returns_to_the_page_asked_for(
    client: FlaskClient, create_user: Callable[..., User]
) -> None:
    user = create_user("manager")
    post_form(client, "/login?next=/management/signals", {
        "email": user.email, "password": user.test_password})  # type: ignore[attr-defined]
    code = pyotp.TOTP(user.test_totp_secret).now()  # type: ignore[attr-defined]
    response = post_form(client, "/login/code", {"code": code})
    assert response.headers["Location"] == "/management/signals"


def test_language_switch_does_not_redirect_to_another_host(client: FlaskClient) -> None:
    response = post_form(client, "/language", {"language": "en", "next": HOSTILE},
                         form_page="/login")
    assert response.status_code == 302
    assert _location(response) == "/start"
    back = post_form(client, "/language", {"language": "nl", "next": "/login"},
                     form_page="/login")
    assert back.headers["Location"] == "/login"


def test_vault_unlock_does_not_redirect_to_another_host(
    client: FlaskClient, counsellor: User
) -> None:
    response = post_form(client, "/vault/unlock", {
        "password": counsellor.test_password, "next": HOSTILE},  # type: ignore[attr-defined]
        form_page="/start")
    assert response.status_code == 302
    assert _location(response) == "/start"


def test_the_login_redirect_keeps_only_the_path_of_the_page_asked_for(
    client: FlaskClient,
) -> None:
    """An old bookmark with a search in its query string must not be copied into ``next``:
    the login page's URL would carry the name into the access log and the history again."""
    response = client.get("/cases/?q=Anna+Visser&category=pesten")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "Anna" not in unquote(location) and "pesten" not in unquote(location)
    assert urlsplit(location).path == "/login"
    assert unquote(location).endswith("next=/cases/")
