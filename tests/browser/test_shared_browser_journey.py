"""Two counsellors, one browser (issue 11, item 1), in a real Chromium: counsellor A (with
access to the case files) opens a case and logs out; counsellor B, whose account has no grant,
logs in in the same browser window and opens the same case by its URL. B sees the explanation
page, never the name or contact details, and the browser's cookie changed at the logout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from tests.casework import case_input, department, unlock
from tests.support.browser import LiveServer, browser_login, browser_logout, screenshot
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.cases import lifecycle
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work
from vp_registry.web.sessions import COOKIE_NAME

REPORTER = "Anna Visser"
CONTACT = "06-12345678"


def _session_cookie(page: Any) -> str | None:
    for cookie in page.context.cookies():
        if cookie["name"] == COOKIE_NAME:
            return str(cookie["value"])
    return None


def test_a_counsellor_without_grant_opens_nothing_after_a_colleague_logged_out(
    app: Flask, settings: Settings, page: Any, live_server: LiveServer,
    counsellor_with_vault: Callable[..., User], create_user: Callable[..., User],
) -> None:
    holder = counsellor_with_vault()
    newcomer = create_user("counsellor")
    with app.app_context(), db_session_for(app) as session:
        dept = department(session, "Magazijn en logistiek", settings)
        work = Work(session, settings, Actor(holder.id, "counsellor"),
                    keys=unlock(session, settings, holder))
        record = lifecycle.create_case(work, case_input(dept.id))
        session.commit()
    case_url = f"{live_server.url}/cases/{record.reference}"

    browser_login(page, live_server, holder, accessibility=False)
    page.goto(case_url)
    assert page.get_by_text(REPORTER).is_visible()
    cookie_of_a = _session_cookie(page)
    browser_logout(page)
    assert _session_cookie(page) != cookie_of_a

    browser_login(page, live_server, newcomer, accessibility=False)
    for url in (case_url, f"{live_server.url}/cases/"):
        page.goto(url)
        body = page.locator("body").inner_text()
        assert REPORTER not in body and CONTACT not in body, url
        assert page.locator("form[action$='/vault/unlock']").count() == 1, url
    screenshot(page, "session-01-second-counsellor-locked", phone=False)
