"""The anonymous channel in a real Chromium (issue 6): a visitor finds the counsellors page,
sends a message and writes down the receipt code; the counsellor replies; the visitor returns
with the code, reads the reply and answers; the counsellor turns the message into a case.
The public pages also work with JavaScript switched off. axe-core checks every page;
screenshots (desktop and phone width) go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.casework import create_vault, department, grant
from tests.support.browser import (
    DESKTOP,
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
from vp_registry.services.contact import counsellors
from vp_registry.services.contact.counsellors import ProfileInput
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work

MESSAGE = ("Sinds ik in het magazijn werk, word ik bij de pauze steeds overgeslagen. "
           "Ik zie er elke ochtend tegenop.")
REPLY = "Dank je wel voor je bericht. Zullen we donderdag om 8 uur praten, in kamer 1.12?"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The pages answer in English here: this journey reads the English source strings (the
    Dutch catalogue is tested in tests/unit/test_translations.py)."""
    return settings.with_overrides(default_locale="en")


def visit(page: Any, name: str) -> None:
    check_accessibility(page)
    screenshot(page, name)
    assert horizontal_overflow(page) == 0, f"{page.url} is wider than the window"


def _receipt_code(page: Any) -> str:
    words = page.locator(".receipt-code span").all_inner_texts()
    assert len(words) == 6, words
    return " ".join(word.strip() for word in words)


def test_visitor_sends_reads_the_reply_and_the_counsellor_opens_a_case(
    app: Flask, settings: Settings, page: Any, live_server: LiveServer,
    create_user: Callable[..., User], chromium_browser: Any,
) -> None:
    setup = create_vault(app, settings)
    counsellor = create_user("counsellor", display_name="Marieke de Boer")
    grant(app, settings, counsellor, setup.recovery_key)
    with app.app_context(), db_session_for(app) as session:
        department(session, "Magazijn en logistiek", settings)
        department(session, "Productie ploeg C", settings)
        work = Work(session, settings, Actor.system())
        counsellors.save_profile(work, counsellor.id, ProfileInput(
            public_name="Marieke de Boer", kind="internal", phone="06-12345678",
            email="vertrouwenspersoon@voorbeeld.nl",
            office_hours="Dinsdag en donderdag 8:00-10:00 in kamer 1.12",
            about="Werkvoorbereider en sinds 2022 vertrouwenspersoon.", visible=True))
        session.commit()

    # --- the visitor finds the page and sends a message
    page.goto(f"{live_server.url}/counsellors")
    assert page.locator("h1").inner_text() == "Confidential counsellors" or \
        page.locator("h1").count() == 1
    assert page.get_by_text("Marieke de Boer").first.is_visible()
    visit(page, "contact-01-counsellors")
    page.locator("a[href$='/contact?kind=message']").click()
    page.wait_for_url(re.compile(r"/contact\?kind=message$"))
    assert not page.locator("#website").is_visible()  # the honeypot is not shown to people
    visit(page, "contact-02-form")
    page.fill("#message", MESSAGE)
    page.select_option("#department_id", label="Magazijn en logistiek")
    page.select_option("#category", "uitsluiting")
    submit(page)
    code = _receipt_code(page)
    assert page.locator("header form.language").count() == 0
    visit(page, "contact-03-receipt")
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert cookies <= {"vp_session"}, cookies

    # --- the counsellor sees it on the start page and replies
    staff = chromium_browser.new_context(base_url=live_server.url, viewport=DESKTOP,
                                         locale="nl-NL", timezone_id="Europe/Amsterdam")
    staff.set_default_timeout(15_000)
    desk = staff.new_page()
    try:
        browser_login(desk, live_server, counsellor, accessibility=False)
        assert desk.get_by_text("1 new message").is_visible()
        desk.locator("nav a[href$='/messages']").click()
        desk.wait_for_url(re.compile(r"/messages$"))
        visit(desk, "contact-04-messages")
        desk.locator(".thread > a").first.click()
        desk.wait_for_url(re.compile(r"/messages/\d+$"))
        assert desk.get_by_text(MESSAGE).is_visible()
        visit(desk, "contact-05-thread")
        desk.fill("#message", REPLY)
        desk.locator("main form button[type=submit].primary").first.click()
        desk.wait_for_load_state("load")
        assert desk.get_by_text("Your reply has been saved.").is_visible()
        thread_url = desk.url

        # --- the visitor returns with the code (typed in capitals) and answers
        page.goto(f"{live_server.url}/contact/replies")
        visit(page, "contact-06-code")
        page.fill("#code", code.upper())
        submit(page)
        assert page.get_by_text(REPLY).is_visible()
        assert page.get_by_text(MESSAGE).count() == 0  # their own words are not shown again
        visit(page, "contact-07-conversation")
        page.fill("#message", "Donderdag is goed, ik kom langs.")
        submit(page)
        assert page.get_by_text("Your answer has been sent.").is_visible()

        # --- the counsellor reads the answer and turns the conversation into a case
        desk.goto(thread_url)
        assert desk.get_by_text("Donderdag is goed, ik kom langs.").is_visible()
        desk.locator(f"a[href$='{thread_url.rsplit('/', 1)[1]}/case']").click()
        desk.wait_for_url(re.compile(r"/case$"))
        assert desk.locator("input[name=categories][value=uitsluiting]").is_checked()
        visit(desk, "contact-08-convert")
        desk.fill("#minutes", "20")
        desk.locator("main form button[type=submit].primary").click()
        desk.wait_for_url(re.compile(r"/cases/VP-\d{4}-[0-9A-Z]{4}$"))
        assert desk.get_by_text(MESSAGE, exact=False).first.is_visible()
        assert desk.get_by_text(REPLY, exact=False).first.is_visible()
        screenshot(desk, "contact-09-case")
    finally:
        staff.close()


def test_the_public_pages_work_without_javascript(
    app: Flask, settings: Settings, live_server: LiveServer, chromium_browser: Any,
    create_user: Callable[..., User],
) -> None:
    setup = create_vault(app, settings)
    counsellor = create_user("counsellor")
    grant(app, settings, counsellor, setup.recovery_key)
    context = chromium_browser.new_context(base_url=live_server.url, viewport={
        "width": 390, "height": 844}, java_script_enabled=False, locale="nl-NL")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/counsellors")
        page.locator("a[href$='/contact?kind=conversation']").click()
        page.wait_for_url(re.compile(r"kind=conversation$"))
        assert page.locator("input[name=kind][value=conversation]").is_checked()
        page.fill("#message", "Kan ik een keer langskomen?")
        page.fill("#contact", "Bel me na 16 uur")
        page.locator("main form button[type=submit].primary").click()
        page.wait_for_load_state("load")
        code = _receipt_code(page)
        page.goto(f"{live_server.url}/contact/replies")
        page.fill("#code", code)
        page.locator("main form button[type=submit].primary").click()
        page.wait_for_load_state("load")
        assert page.get_by_text("There is no reply yet.").is_visible()
        page.fill("#message", "Ik wacht af.")
        page.locator("main form button[type=submit].primary").click()
        page.wait_for_load_state("load")
        assert page.get_by_text("Your answer has been sent.").is_visible()
        page.goto(f"{live_server.url}/contact/replies")
        page.fill("#code", "een twee drie vier vijf zes")
        page.locator("main form button[type=submit].primary").click()
        page.wait_for_load_state("load")
        assert page.get_by_text("This receipt code is not known.").is_visible()
    finally:
        context.close()
