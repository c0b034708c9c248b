"""The main menu marks where the user is (issue 14): aria-current="page" on the item of the page
itself, aria-current="true" on the item of the part of the app a deeper page belongs to."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

CURRENT = re.compile(r'<a href="([^"]+)" aria-current="(page|true)">([^<]+)</a>')


def _marked(client: FlaskClient, path: str) -> list[tuple[str, str, str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    return CURRENT.findall(response.get_data(as_text=True))


@pytest.mark.parametrize(("path", "marked"), [
    ("/admin/users", [("/admin/users", "page", "Accounts")]),
    ("/admin/users/new", [("/admin/users", "true", "Accounts")]),
    ("/admin/departments/new", [("/admin/departments", "true", "Afdelingen")]),
    ("/admin/public-page/en", [("/admin/public-page/nl", "page", "Openbare pagina")]),
    ("/account/password", [("/account/password", "page", "Wachtwoord")]),
])
def test_the_menu_marks_the_page_or_the_part_of_the_app(
    client: FlaskClient, login_as: Callable[[str], Any], path: str,
    marked: list[tuple[str, str, str]],
) -> None:
    login_as("admin")
    assert _marked(client, path) == marked


def test_a_new_case_is_its_own_item_not_part_of_cases(
    client: FlaskClient, login_as: Callable[[str], Any],
) -> None:
    login_as("counsellor")
    assert _marked(client, "/signals") == [("/signals", "page", "Signalen")]
    assert ("/cases/", "true", "Meldingen") not in _marked(client, "/cases/new")


def test_anonymous_pages_have_no_menu(client: FlaskClient) -> None:
    body = client.get("/login").get_data(as_text=True)
    assert 'class="main-nav"' not in body and "menu.js" not in body
