"""An external counsellor's practice in a real Chromium (issue 17).

The practice admin creates a client organisation on /practice/organisations and sees its
recovery key once; the external counsellor, with an account in that client and in a second
one, logs in to both in one browser; the overview of all clients shows both, each with its
own cases; the switcher in a client's header leads there and its links lead into each
client. axe-core checks every page, at desktop and at 390 px; screenshots go to
test-artifacts/screenshots/ (organisations-*).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.organisationwork import Client, create_client, databases_of
from tests.support.browser import (
    PHONE,
    LiveServer,
    browser_login,
    browser_logout,
    check_accessibility,
    fresh_totp_code,
    horizontal_overflow,
    screenshot,
    submit,
)
from tests.web.organisation_visits import Account, account, client_account
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.settings import settings_for

COUNSELLOR_EMAIL = "extern@vp-praktijk.example.org"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The pages answer in English (the Dutch catalogue: tests/unit/test_translations.py)."""
    return settings.with_overrides(default_locale="en")


def visit(page: Any, name: str) -> None:
    """axe-core at desktop width and on a 390 px phone; screenshots of both."""
    check_accessibility(page)
    assert horizontal_overflow(page) == 0, f"{page.url} scrolls sideways at desktop width"
    screenshot(page, name)
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        check_accessibility(page)
        assert horizontal_overflow(page) == 0, f"{page.url} scrolls sideways on a phone"
    finally:
        page.set_viewport_size(size)


def log_in_at(page: Any, live_server: LiveServer, who: Account) -> None:
    page.goto(f"{live_server.url}{who.prefix}/login")
    page.fill("#email", who.email)
    page.fill("#password", who.password)
    submit(page)
    page.wait_for_url(re.compile(r"/login/code$"))
    page.fill("#code", fresh_totp_code(who.totp_secret))
    submit(page)
    page.wait_for_url(re.compile(rf"{who.prefix}/start$"))


def create_through_the_page(page: Any) -> list[str]:
    """The practice admin's form; returns the recovery key's two lines as shown."""
    page.get_by_role("link", name="Organisations").first.click()
    page.wait_for_url(re.compile(r"/practice/organisations$"))
    visit(page, "organisations-01-list")
    page.fill("#name", "Installatietechniek Zuid B.V.")
    page.fill("#slug", "zuid-installatie")
    page.fill("#disclosure_k", "4")
    page.fill("#admin_name", "Petra Smit")
    page.fill("#admin_email", "p.smit@zuid.example.org")
    page.fill("#admin_password", "Tijdelijk-wachtwoord-voor-beheer-1")
    submit(page)
    assert page.get_by_role("heading", name="Organisation created").is_visible()
    lines = [text.strip() for text in page.locator(".recovery-key code").all_inner_texts()]
    assert len(lines) == 2 and all(len(line.split()) == 7 for line in lines), lines
    visit(page, "organisations-02-created")
    return lines


def test_a_practice_and_its_external_counsellor(
        page: Any, live_server: LiveServer, app: Flask, settings: Settings,
        create_user: Callable[..., User]) -> None:
    admin = create_user("practice_admin")
    browser_login(page, live_server, admin)
    lines = create_through_the_page(page)
    with app_state(app).session_factory() as session:
        zuid = registry.find_organisation(session, "zuid-installatie")
    assert zuid is not None
    noord: Client = create_client(app, settings, "noord-metaal")
    # the counsellor's two accounts; the first gets access with the key the page showed
    in_zuid = account(databases_of(app).session_factory(zuid), settings_for(settings, zuid),
                      "/o/zuid-installatie", "counsellor", COUNSELLOR_EMAIL,
                      name="Ingrid Vermeulen", recovery_key="-".join(" ".join(lines).split()))
    in_noord = client_account(noord, "counsellor", COUNSELLOR_EMAIL, name="Ingrid Vermeulen")
    browser_logout(page)
    log_in_at(page, live_server, in_zuid)
    assert page.locator(".organisation-name").inner_text() == zuid.name
    log_in_at(page, live_server, in_noord)
    visit(page, "organisations-03-client-start")
    page.get_by_role("link", name="Other organisation").click()
    page.wait_for_url(re.compile(r"/clients$"))
    assert page.get_by_role("heading", name=zuid.name).is_visible()
    assert page.get_by_role("heading", name=noord.organisation.name).is_visible()
    visit(page, "organisations-04-clients")
    page.get_by_role("link", name=noord.reference).click()
    page.wait_for_url(re.compile(rf"/o/noord-metaal/cases/{noord.reference}$"))
    page.goto(f"{live_server.url}/clients/hours")
    assert page.get_by_role("row", name=re.compile(noord.organisation.name)).count() == 1
    visit(page, "organisations-05-hours")
