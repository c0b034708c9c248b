"""Trailing slashes (issue 14, words): every page answers its address with and without a final
slash the same way. The address in the URL map is the one true address; the other spelling is
a permanent redirect (308) to it, never a 404 (``/signals/`` used to be one while ``/cases``
redirected).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.forms import AuthActions
from vp_registry.db.accounts import User


def _get_pages(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, concrete URL) of every GET rule, placeholders filled in."""
    pages = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in (rule.methods or set()):
            continue
        url = re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule)
        url = re.sub(r"<[a-z]+:[a-z_]+>", "x", url)
        pages.append((rule.endpoint, url))
    return sorted(pages)


def _other_spelling(url: str) -> str:
    return url.rstrip("/") if url.endswith("/") else url + "/"


def test_the_url_map_has_get_pages(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _url in _get_pages(app)}
    assert {"signals.index", "reports.index", "activities.index", "cases.index"} <= endpoints


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "counsellor"])
def test_every_page_redirects_from_the_other_slash_spelling(
    app: Flask, client: FlaskClient, auth: AuthActions, create_user: Callable[..., User],
    logged_in: bool,
) -> None:
    if logged_in:
        assert auth.login(create_user("counsellor")).status_code == 302
    wrong = []
    for endpoint, url in _get_pages(app):
        if url == "/":
            continue
        other = _other_spelling(url)
        response = client.get(other + "?page=2")
        location = response.headers.get("Location", "")
        if response.status_code != 308 or urlsplit(location).path != url:
            wrong.append(f"{endpoint}: GET {other} answered {response.status_code} {location}")
        elif urlsplit(location).query != "page=2":
            wrong.append(f"{endpoint}: GET {other} lost its query string ({location})")
    assert wrong == []


@pytest.mark.parametrize("url", ["/signals/", "/reports/", "/activities/"])
def test_the_pages_named_in_the_issue_redirect(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 308
    assert response.headers["Location"].endswith(url.rstrip("/"))


def test_an_unknown_address_with_a_slash_is_still_not_found(client: FlaskClient) -> None:
    assert client.get("/nothing-here/").status_code == 404


def test_a_post_to_the_other_spelling_is_not_redirected(client: FlaskClient) -> None:
    """Only pages are redirected; a form is always sent to its own address."""
    assert client.post("/login/").status_code in {404, 405}
