"""The case form in a real Chromium (issue 14), at 1280 and 390 px: the identifying fields
look disabled without consent and say why (the consent hint and the state are in their
accessible description; static/case-form.js switches the state, no inline script); ticking
consent changes both. The optional parts are folded and open on an error; axe finds nothing
serious; nothing scrolls sideways."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask import Flask
from playwright.sync_api import expect

from tests.casework import department
from tests.support.browser import (
    DESKTOP,
    PHONE,
    LiveServer,
    browser_login,
    check_accessibility,
    horizontal_overflow,
    screenshot,
    submit,
)
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User

HINT = "Alleen in te vullen als de melder toestemming geeft om gegevens vast te leggen."
OFF = re.compile(re.escape(HINT) + r".*uitgeschakeld", re.S | re.I)
ON = re.compile(re.escape(HINT) + r".*worden vastgelegd", re.S)


def _look(field: Any) -> list[str]:
    """The field's background colour and border style as drawn."""
    return list(field.evaluate(
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderStyle]"))


def test_consent_switches_the_look_and_description_of_the_identifying_fields(
    page: Any, live_server: LiveServer, counsellor_with_vault: Callable[..., User],
) -> None:
    browser_login(page, live_server, counsellor_with_vault(), accessibility=False)
    page.goto("/cases/new")
    screenshot(page, "case-form-sections")
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.goto("/cases/new")
        name, contact = page.locator("#reporter_name"), page.locator("#reporter_contact")
        state = page.locator("#identifying-state")
        for field in (name, contact):
            expect(field).to_be_disabled()
            expect(field).to_have_accessible_description(OFF)
        expect(state).to_be_visible()
        expect(state).to_contain_text("uitgeschakeld", ignore_case=True)
        disabled_look = _look(name)
        check_accessibility(page)

        page.check("#consent")
        for field in (name, contact):
            expect(field).to_be_enabled()
            expect(field).to_have_accessible_description(ON)
        expect(state).to_contain_text("worden vastgelegd")
        assert _look(name) != disabled_look
        assert horizontal_overflow(page) == 0
        check_accessibility(page)

        page.uncheck("#consent")
        expect(name).to_be_disabled()
        expect(name).to_have_accessible_description(OFF)
        assert _look(name) == disabled_look
    page.set_viewport_size(DESKTOP)


def test_optional_parts_are_folded_and_open_on_an_error(
    app: Flask, settings: Settings, page: Any, live_server: LiveServer,
    counsellor_with_vault: Callable[..., User],
) -> None:
    with app.app_context(), db_session_for(app) as session:
        department(session, "Magazijn en logistiek", settings)
        session.commit()
    browser_login(page, live_server, counsellor_with_vault(), accessibility=False)
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.goto("/cases/new")
        fold = page.locator("main form details", has=page.locator("#acknowledged_on"))
        expect(page.locator("#acknowledged_on")).to_be_hidden()
        expect(page.locator("#gender")).to_be_hidden()
        fold.locator("summary").click()
        opened = (date.today() - timedelta(days=2)).isoformat()
        page.fill("#opened_on", opened)
        page.fill("#acknowledged_on", opened)  # without the whistleblower box: an error
        submit(page)
        expect(page.locator("#acknowledged_on")).to_be_visible()
        expect(page.locator("#acknowledged_on-error")).to_be_visible()
        expect(page.locator("#gender")).to_be_hidden()
        page.locator(".error-summary a[href='#acknowledged_on']").click()
        assert page.evaluate("() => document.activeElement.id") == "acknowledged_on"
        assert horizontal_overflow(page) == 0
        check_accessibility(page)
        if size == DESKTOP:
            screenshot(page, "case-form-sections-error", phone=False)
    page.set_viewport_size(DESKTOP)
