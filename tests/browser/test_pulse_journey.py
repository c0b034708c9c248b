"""A pulse round in a real Chromium (issue 16): the counsellor creates a round with invitation
codes and prints them; three respondents answer on a 390 px phone (one first leaves a
statement out and keeps every other answer); the counsellor closes the round, previews and
releases the results and reads the comment; the manager sees the released results from the
management menu. axe-core checks every page; screenshots at desktop and phone width go to
test-artifacts/screenshots/ (pulse-*)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask

from tests.casework import create_vault, department, grant
from tests.support.browser import (
    PHONE,
    SCREENSHOTS,
    LiveServer,
    browser_login,
    browser_logout,
    check_accessibility,
    console_problem,
    horizontal_overflow,
    screenshot,
    submit,
)
from tests.support.qr import decode_qr
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User

COMMENT = "Meer tijd voor teamoverleg zou helpen."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Three answers make a group (k = 3, minimum 3); the pages answer in English (the Dutch
    catalogue is tested in tests/unit/test_translations.py)."""
    return settings.with_overrides(default_locale="en", pulse_min_responses=3, disclosure_k=3)


def visit(page: Any, name: str) -> None:
    check_accessibility(page)
    screenshot(page, name)
    assert horizontal_overflow(page) == 0, f"{page.url} scrolls sideways at desktop width"


def create_the_round(page: Any) -> str:
    """Through the menu and the form; returns the round page's URL."""
    page.get_by_role("link", name="Pulse").first.click()
    page.wait_for_url(re.compile(r"/pulse$"))
    visit(page, "pulse-01-rounds")
    page.get_by_role("link", name="New round").click()
    page.wait_for_url(re.compile(r"/pulse/new$"))
    today = date.today()
    page.fill("#title", "Pulsmeting voorjaar")
    page.fill("#opens_on", today.isoformat())
    page.fill("#closes_on", (today + timedelta(days=14)).isoformat())
    assert page.locator("input[name=all_departments]").is_checked()
    page.check("input[name=statements][value=tb2]")
    page.fill("#custom_statements", "Ik weet bij wie ik terecht kan.")
    visit(page, "pulse-02-new-round")
    submit(page)
    page.wait_for_url(re.compile(r"/pulse/\d+$"))
    assert page.get_by_text("The round has been created.").is_visible()
    link = page.locator("#public-link").inner_text().strip()
    assert decode_qr(page.locator(".pulse-qr").screenshot()) == link  # the QR code scans
    visit(page, "pulse-03-round")
    return str(page.url)


def print_codes(page: Any, count: int) -> list[str]:
    page.fill("#count", str(count))
    page.get_by_role("button", name="Printable sheet").click()
    page.wait_for_load_state("load")
    codes = [c.strip() for c in page.locator(".slip-code").all_inner_texts()]
    assert len(codes) == count
    visit(page, "pulse-04-code-sheet")
    return codes


def phone_context(browser: Any, live_server: LiveServer, problems: list[str]) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True,
                                  has_touch=True, locale="nl-NL",
                                  timezone_id="Europe/Amsterdam")
    context.set_default_timeout(15_000)
    phone = context.new_page()
    phone.on("console", lambda message: console_problem(message, problems))
    phone.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return phone


def answer_on_a_phone(phone: Any, link: str, code: str, number: int, *,
                      comment: str = "", leave_one_out: bool = False, dutch: bool = False
                      ) -> None:
    phone.goto(link)
    if dutch:  # the language switch of the public page, then every word in Dutch
        phone.get_by_role("button", name="Nederlands").click()
        phone.wait_for_load_state("load")
        assert phone.get_by_role("button", name="Verstuur mijn antwoorden").is_visible()
        assert phone.get_by_text("Helemaal mee oneens").first.is_visible()
        check_accessibility(phone)
        phone.screenshot(path=str(SCREENSHOTS / "pulse-05-answer-nl.phone.png"),
                         full_page=True)
    phone.select_option("#group", label="Magazijn")
    phone.fill("#code", code)
    fieldsets = phone.locator("fieldset.scale")
    assert fieldsets.count() == 7 + 1 + 1
    for index in range(fieldsets.count()):
        if leave_one_out and index == 2:
            continue
        fieldsets.nth(index).locator(".scale-point").nth(4 + number % 2).click()
    if comment:
        phone.fill("#free_text", comment)
    if number == 0:
        check_accessibility(phone)
        phone.screenshot(path=str(SCREENSHOTS / "pulse-05-answer.phone.png"), full_page=True)
    assert horizontal_overflow(phone) == 0, "the answer page scrolls sideways on a phone"
    submit(phone)
    if leave_one_out:
        assert phone.locator("#error-summary").is_visible()
        check_accessibility(phone)
        phone.screenshot(path=str(SCREENSHOTS / "pulse-06-answer-error.phone.png"),
                         full_page=True)
        assert phone.locator("#free_text").input_value() == comment
        assert phone.locator("#code").input_value() == code
        assert phone.locator("fieldset.scale input:checked").count() == 8  # all but one kept
        fieldsets.nth(2).locator(".scale-point").nth(4).click()
        submit(phone)
    phone.wait_for_url(re.compile(r"/survey/[^/]+/thanks$"))
    thanks = "Bedankt voor je antwoorden" if dutch else "Thank you for your answers"
    assert phone.get_by_text(thanks).is_visible()
    if number == 0:
        check_accessibility(phone)
        phone.screenshot(path=str(SCREENSHOTS / "pulse-07-thanks.phone.png"), full_page=True)


def test_a_round_from_creation_to_the_managers_results(
    app: Flask, settings: Settings, page: Any, live_server: LiveServer,
    create_user: Callable[..., User], chromium_browser: Any,
) -> None:
    setup = create_vault(app, settings)
    counsellor = create_user("counsellor", display_name="Marieke de Boer")
    manager = create_user("manager", display_name="Hans Verhoeven")
    grant(app, settings, counsellor, setup.recovery_key)
    with app.app_context(), db_session_for(app) as session:
        for name in ("Magazijn", "Klantenservice"):
            department(session, name, settings, headcount=40)
        session.commit()

    # --- the counsellor creates the round and prints three codes
    browser_login(page, live_server, counsellor, accessibility=False)
    round_url = create_the_round(page)
    link = page.locator("#public-link").inner_text().strip()
    codes = print_codes(page, 3)

    # --- three respondents answer on their phones
    problems: list[str] = []
    for number, code in enumerate(codes):
        phone = phone_context(chromium_browser, live_server, problems)
        try:
            answer_on_a_phone(phone, link, code, number, comment=COMMENT if number == 1 else "",
                              leave_one_out=number == 1, dutch=number == 2)
        finally:
            phone.context.close()
    assert not problems, problems

    # --- the counsellor closes the round, previews and releases the results
    page.goto(round_url)
    page.get_by_role("button", name="Close the round…").click()
    page.wait_for_load_state("load")
    visit(page, "pulse-08-close-confirm")
    page.get_by_role("button", name="Close the round").click()
    page.wait_for_url(re.compile(r"/pulse/\d+$"))
    assert page.get_by_text("The round is closed.").is_visible()
    page.get_by_role("link", name="Results").click()
    page.wait_for_url(re.compile(r"/pulse/\d+/results$"))
    preview = page.locator(".preview")
    assert "Magazijn" in preview.inner_text() and "too few answers" in preview.inner_text()
    visit(page, "pulse-09-results-preview")
    submit(page)  # Release to management
    assert page.get_by_text("The results have been released to management.").is_visible()
    visit(page, "pulse-10-released")
    page.goto(round_url)
    page.get_by_role("link", name="Comments").click()
    page.wait_for_url(re.compile(r"/pulse/\d+/comments$"))
    assert page.get_by_text(COMMENT).is_visible()
    visit(page, "pulse-11-comments")

    # --- the year's annual report (draft preview) has the round in its pulse section
    page.goto(f"/reports/{date.today().year}/preview")
    report = page.locator("main")
    assert report.get_by_text("Pulse survey: how safe people feel").first.is_visible()
    assert "Pulsmeting voorjaar" in report.inner_text()
    visit(page, "pulse-12-annual-report")
    browser_logout(page)

    # --- the manager finds the results through the management menu
    browser_login(page, live_server, manager, accessibility=False)
    page.get_by_role("link", name="Pulse results").first.click()
    page.wait_for_url(re.compile(r"/management/pulse$"))
    visit(page, "pulse-13-manager-list")
    page.get_by_role("link", name="Pulsmeting voorjaar").click()
    page.wait_for_url(re.compile(r"/management/pulse/\d+$"))
    main = page.inner_text("main")
    assert "Magazijn" in main and "too few answers" in main
    assert COMMENT not in main
    visit(page, "pulse-14-manager-round")
