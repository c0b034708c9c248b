"""Searching the case list in a real Chromium (issue 11, item 3): the name typed into the
search box appears in no URL - not the address bar, not any entry of the browser's history -
and back, forward and "clear filter" work."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask import Flask

from tests.casework import case_input, department, unlock
from tests.support.browser import LiveServer, browser_login, check_accessibility
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.cases import lifecycle
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work

NAME = "Fatima"
SURNAME = "Amrani"


def _history_urls(page: Any) -> list[str]:
    """Every entry of this tab's session history (Chromium's DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    try:
        entries = cdp.send("Page.getNavigationHistory")["entries"]
    finally:
        cdp.detach()
    return [entry["url"] for entry in entries]


def _no_search_text(url: str) -> None:
    assert NAME.lower() not in url.lower() and SURNAME.lower() not in url.lower(), url
    assert "q=" not in url, url


def _shown_rows(page: Any) -> int:
    return int(page.locator("main table tbody tr").count())


def test_a_name_typed_into_search_is_in_no_url_and_back_and_forward_work(
    app: Flask, settings: Settings, page: Any, live_server: LiveServer,
    counsellor_with_vault: Callable[..., User],
) -> None:
    counsellor = counsellor_with_vault()
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, counsellor)
        dept = department(session, "Magazijn en logistiek", settings).id
        for number in range(3):
            work = Work(session, settings, Actor(counsellor.id, "counsellor"), keys=keys)
            lifecycle.create_case(work,
                                  case_input(dept, opened_on=date.today() - timedelta(days=number),
                                             reporter_name=f"{NAME} el {SURNAME}" if number == 1
                                             else "Anna Visser"), today=date.today())
        session.commit()

    browser_login(page, live_server, counsellor, accessibility=False)
    page.goto(f"{live_server.url}/cases/")
    assert _shown_rows(page) == 3

    page.fill("#q", f"{NAME} el {SURNAME}")
    page.locator("form.filters button[type=submit]:not([name])").click()
    page.wait_for_load_state("load")
    page.wait_for_url(re.compile(r"/cases/$"))
    assert _shown_rows(page) == 1
    assert page.locator("#q").input_value() == f"{NAME} el {SURNAME}"
    _no_search_text(page.url)
    _no_search_text(str(page.evaluate("() => location.href")))
    for url in _history_urls(page):
        _no_search_text(url)
    for hidden in page.locator("input[name=next]").all():
        _no_search_text(hidden.input_value())
    check_accessibility(page)

    page.go_back()
    page.wait_for_load_state("load")
    back = str(page.evaluate("() => location.href"))
    _no_search_text(back)
    assert back.endswith("/cases/")
    page.go_back()
    page.wait_for_load_state("load")
    start = str(page.evaluate("() => location.href"))
    assert start.endswith("/start")
    page.go_forward()
    page.wait_for_load_state("load")
    page.go_forward()
    page.wait_for_load_state("load")
    forward = str(page.evaluate("() => location.href"))
    _no_search_text(forward)
    assert forward.endswith("/cases/")
    assert _shown_rows(page) == 1  # the filter is still the session's
    for url in _history_urls(page):
        _no_search_text(url)

    page.locator("form.filters button[name=clear]").click()
    page.wait_for_load_state("load")
    page.wait_for_url(re.compile(r"/cases/$"))
    assert _shown_rows(page) == 3
    assert page.locator("#q").input_value() == ""
    assert page.locator("form.filters button[name=clear]").count() == 0
    for url in _history_urls(page):
        _no_search_text(url)
