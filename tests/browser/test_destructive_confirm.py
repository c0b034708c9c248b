"""Destructive actions confirm first, in a real Chromium (issue 14): deleting an activity and
disabling an account show a confirmation page (no script: the CSP forbids inline script);
Cancel leaves everything as it was. An admin sees no "Uitschakelen" on their own account."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask

from tests.browser.test_report_journey import log_activity
from tests.casework import create_vault, grant
from tests.support.browser import (
    LiveServer,
    browser_login,
    check_accessibility,
    horizontal_overflow,
    screenshot,
)
from vp_registry.config import Settings
from vp_registry.db.accounts import User

YEAR = date.today().year


def test_deleting_an_activity_asks_first_and_cancel_keeps_it(
    app: Flask, settings: Settings, page: Any, live_server: LiveServer,
    create_user: Callable[..., User],
) -> None:
    setup = create_vault(app, settings)
    counsellor = create_user("counsellor")
    grant(app, settings, counsellor, setup.recovery_key)
    browser_login(page, live_server, counsellor, accessibility=False)
    page.goto("/activities")
    log_activity(page, f"{YEAR}-01-02", "training", "2", "Training omstandersgedrag")
    rows = page.locator("table.activity-list tbody tr")
    assert rows.count() == 1

    rows.first.get_by_role("button", name=re.compile("Verwijderen")).click()
    page.wait_for_load_state("load")
    assert page.locator("main h1").inner_text() == "Deze activiteit verwijderen?"
    assert "Training omstandersgedrag" in page.locator("main").inner_text()
    check_accessibility(page)
    screenshot(page, "confirm-delete-activity")
    page.get_by_role("link", name="Annuleren").click()
    page.wait_for_url(re.compile(r"/activities\?year=\d{4}$"))
    assert rows.count() == 1

    rows.first.get_by_role("button", name=re.compile("Verwijderen")).click()
    page.get_by_role("button", name="Activiteit verwijderen").click()
    page.wait_for_url(re.compile(r"/activities\?year=\d{4}$"))
    assert page.locator("table.activity-list tbody tr").count() == 0
    assert page.locator("main .notice-success").count() == 1


def test_disabling_an_account_asks_first_and_not_for_oneself(
    page: Any, live_server: LiveServer, create_user: Callable[..., User],
) -> None:
    admin = create_user("admin", display_name="Sanne Jansen")
    create_user("counsellor", display_name="Piet Pieters", email="piet@example.org")
    browser_login(page, live_server, admin, accessibility=False)
    page.goto("/admin/users")
    own = page.locator("tbody tr", has_text="Sanne Jansen")
    assert own.get_by_role("button", name=re.compile("Uitschakelen")).count() == 0
    assert "Je eigen account" in own.inner_text()
    check_accessibility(page)
    screenshot(page, "admin-users")

    other = page.locator("tbody tr", has_text="Piet Pieters")
    other.get_by_role("button", name=re.compile("Uitschakelen")).click()
    page.wait_for_load_state("load")
    assert page.locator("main h1").inner_text() == "Dit account uitschakelen?"
    assert "piet@example.org" in page.locator("main").inner_text()
    check_accessibility(page)
    screenshot(page, "confirm-disable-account")
    page.set_viewport_size({"width": 390, "height": 844})
    assert horizontal_overflow(page) == 0
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Account uitschakelen").click()
    page.wait_for_url(re.compile(r"/admin/users$"))
    assert "Uitgeschakeld" in page.locator("tbody tr", has_text="Piet Pieters").inner_text()
