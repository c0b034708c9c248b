"""The request's catalogue and date format made once per application and language (issue 15,
session 10; web/speedups/template_i18n._state_of): the same objects Flask-Babel gives each
request, the language still chosen per request (account, cookie, ``force_locale``).
Counted with a wrapper around Flask-Babel's ``get_translations``; no test measures time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, get_translations

from vp_registry.db.accounts import User
from vp_registry.web.i18n import LOCALE_COOKIE
from vp_registry.web.speedups import template_i18n


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The locales whose catalogue template_i18n fetched from Flask-Babel, in order."""
    seen: list[str] = []
    real = template_i18n.get_translations

    def counting() -> Any:
        found = real()
        seen.append(str(template_i18n.get_locale()))
        return found

    monkeypatch.setattr(template_i18n, "get_translations", counting)
    yield seen


def test_the_catalogue_is_fetched_once_per_language(
    client: FlaskClient, counsellor: User, fetched: list[str]
) -> None:
    client.set_cookie(LOCALE_COOKIE, "en")
    for _ in range(3):
        assert b"Log out" in client.get("/cases/").data
    client.set_cookie(LOCALE_COOKIE, "nl")
    for _ in range(2):
        assert b"Uitloggen" in client.get("/cases/").data
    assert fetched == ["en"]  # the Dutch one was made for the login's pages


def test_the_kept_state_is_flask_babels_and_follows_force_locale(app: Flask) -> None:
    for _ in range(2):
        with app.test_request_context("/"):
            state = template_i18n.current()
            assert state is not None
            assert state.translations is get_translations()
            assert state.locale_id == "nl"
            with force_locale("en"):
                english = template_i18n.current()
                assert english is not None and english.locale_id == "en"
                assert english.translations is get_translations()
                assert english.gettext("Log out") == "Log out"
            again = template_i18n.current()
            assert again is state and again.gettext("Log out") == "Uitloggen"
