"""The counsellor's case work in a real Chromium (issue 3): log in (the vault opens with the
password), create a case, add a conversation, close it; an admin cannot open it by URL.
axe-core checks every page; screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask import Flask

from tests.casework import create_vault, department, grant
from tests.support.browser import (
    LiveServer,
    browser_login,
    browser_logout,
    check_accessibility,
    screenshot,
    submit,
)
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User

REFERENCE = re.compile(r"/cases/(VP-\d{4}-[0-9A-Z]{4})$")


def visit(page: Any, name: str) -> None:
    check_accessibility(page)
    screenshot(page, name)


def test_counsellor_registers_converses_and_closes_and_admin_cannot_open(
    app: Flask, settings: Settings, page: Any, live_server: LiveServer,
    create_user: Callable[..., User], chromium_browser: Any,
) -> None:
    setup = create_vault(app, settings)
    with app.app_context(), db_session_for(app) as session:
        department(session, "Magazijn en logistiek", settings)
        department(session, "Monteurs buitendienst", settings)
        session.commit()
    counsellor = create_user("counsellor")
    grant(app, settings, counsellor, setup.recovery_key)
    opened = date.today() - timedelta(days=2)

    browser_login(page, live_server, counsellor)
    visit(page, "cases-01-start")
    page.goto(f"{live_server.url}/cases/new")
    visit(page, "cases-02-new")
    # without consent the identifying fields are disabled (progressive enhancement)
    assert page.locator("#reporter_name").is_disabled()
    page.fill("#opened_on", opened.isoformat())
    page.select_option("#department_id", label="Magazijn en logistiek")
    page.check("input[name=categories][value=pesten]")
    page.check("input[name=categories][value=uitsluiting]")
    page.select_option("#relation", "colleague")
    page.check("#consent")
    assert page.locator("#reporter_name").is_enabled()
    page.fill("#reporter_name", "Fatima el Amrani")
    page.fill("#narrative", "Wordt in de appgroep van het team belachelijk gemaakt.")
    page.fill("#next_steps", "Tweede gesprek volgende week.")
    submit(page)
    page.wait_for_url(REFERENCE)
    match = REFERENCE.search(page.url)
    assert match
    reference = match.group(1)
    assert page.get_by_text("Fatima el Amrani").is_visible()
    visit(page, "cases-03-view")

    page.locator(f"a[href$='/cases/{reference}/conversations/new']").click()
    page.wait_for_url(re.compile(r"/conversations/new$"))
    visit(page, "cases-04-conversation")
    page.fill("#held_on", opened.isoformat())
    page.fill("#minutes", "45")
    page.select_option("#channel", "in_person")
    page.fill("#notes", "Eerste gesprek in de spreekkamer naast de kantine.")
    submit(page)
    page.wait_for_url(REFERENCE)
    assert page.get_by_text("Eerste gesprek in de spreekkamer").is_visible()

    page.locator(f"a[href$='/cases/{reference}/close']").click()
    page.wait_for_url(re.compile(r"/close$"))
    visit(page, "cases-05-close")
    page.select_option("#outcome", "referral")
    submit(page)  # a referral needs to say where to: the page says so and keeps the choice
    assert page.locator("#referral[aria-invalid=true]").count() == 1
    assert page.locator("#outcome").input_value() == "referral"
    page.select_option("#referral", "company_doctor")
    submit(page)
    page.wait_for_url(REFERENCE)
    assert page.locator(f"form[action$='/cases/{reference}/reopen']").count() == 1
    visit(page, "cases-06-closed")

    page.goto(f"{live_server.url}/cases/")
    page.select_option("#status", "closed")  # the filter is POSTed, never in the URL
    page.locator("form.filters button[type=submit]:not([name])").click()
    page.wait_for_url(re.compile(r"/cases/$"))
    assert page.locator(f"a[href$='/cases/{reference}']").count() == 1
    visit(page, "cases-07-list")
    browser_logout(page)

    # The admin in a context of its own: Chromium logs every 403 document as a console error,
    # which the ``page`` fixture rightly counts as a problem - here the 403 is the point.
    admin = create_user("admin")
    context = chromium_browser.new_context(base_url=live_server.url, locale="nl-NL")
    try:
        admin_page = context.new_page()
        browser_login(admin_page, live_server, admin)
        for url in (f"/cases/{reference}", "/cases/", f"/cases/{reference}/edit",
                    f"/cases/{reference}/erase"):
            response = admin_page.goto(f"{live_server.url}{url}")
            assert response is not None and response.status == 403, url
            assert admin_page.get_by_text("Fatima").count() == 0
            assert admin_page.get_by_text("appgroep").count() == 0
        check_accessibility(admin_page)
        screenshot(admin_page, "cases-08-admin-refused", phone=False)
    finally:
        context.close()


def test_newcomer_is_told_what_to_do_and_a_colleague_grants_access(
    app: Flask, settings: Settings, page: Any, live_server: LiveServer,
    create_user: Callable[..., User], chromium_browser: Any,
) -> None:
    setup = create_vault(app, settings)
    veteran = create_user("counsellor", display_name="Marieke de Boer")
    grant(app, settings, veteran, setup.recovery_key)
    newcomer = create_user("counsellor", display_name="Ahmed Benali")

    browser_login(page, live_server, newcomer)  # creates the newcomer's key pair
    page.goto(f"{live_server.url}/cases/")
    assert page.locator("form[action$='/vault/unlock'] #password").count() == 1
    visit(page, "cases-09-no-access")

    context = chromium_browser.new_context(base_url=live_server.url, locale="nl-NL")
    try:
        colleague = context.new_page()
        browser_login(colleague, live_server, veteran, accessibility=False)
        colleague.goto(f"{live_server.url}/vault/colleagues")
        check_accessibility(colleague)
        screenshot(colleague, "cases-10-colleagues")
        row = colleague.locator("tr", has_text="Ahmed Benali")
        row.locator("input[name=confirmed]").check()
        row.locator("button[type=submit]").click()
        colleague.wait_for_load_state("load")
        assert colleague.locator("tr", has_text="Ahmed Benali").locator("form").count() == 0
    finally:
        context.close()

    page.fill("#password", newcomer.test_password)  # type: ignore[attr-defined]
    submit(page)
    page.wait_for_url(re.compile(r"/cases/$"))
    assert page.locator("a[href$='/cases/new']").count() >= 1
    check_accessibility(page)
