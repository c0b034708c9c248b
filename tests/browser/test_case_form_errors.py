"""The new-case form's errors in a real Chromium (issue 14): one submit shows every problem in
a summary at the top that has the focus, and each of its links moves the focus to its field;
no inline script (the CSP forbids it: static/form-errors.js)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.browser import (
    DESKTOP,
    PHONE,
    LiveServer,
    browser_login,
    check_accessibility,
    horizontal_overflow,
    screenshot,
)
from vp_registry.db.accounts import User

SUMMARY = "main .error-summary"


def test_the_summary_has_the_focus_and_its_links_move_it_to_the_fields(
    page: Any, live_server: LiveServer, counsellor_with_vault: Callable[..., User],
) -> None:
    browser_login(page, live_server, counsellor_with_vault(), accessibility=False)
    page.goto("/cases/new")
    page.fill("#opened_on", "")
    page.fill("#narrative", "Wat hier staat blijft staan")
    page.locator("main form button[type=submit].primary").click()
    page.wait_for_load_state("load")

    summary = page.locator(SUMMARY)
    assert summary.locator("h2").inner_text() == "Er is iets niet goed ingevuld"
    assert page.evaluate("() => document.activeElement.matches('.error-summary')")
    links = summary.locator("a")
    assert links.all_inner_texts() == [
        "Datum van het eerste contact – Vul een datum in.",
        "Afdeling – Kies een afdeling.",
        "Waar gaat het over? – Kies ten minste één soort gedrag.",
    ]
    assert page.input_value("#narrative") == "Wat hier staat blijft staan"
    check_accessibility(page)
    screenshot(page, "case-form-errors")

    for target in ("opened_on", "department_id", "categories-0"):
        page.locator(f"{SUMMARY} a[href='#{target}']").click()
        assert page.evaluate("() => document.activeElement.id") == target
    # by keyboard: from the summary, Tab to the second link and Enter
    page.locator(SUMMARY).focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "department_id"
    # the field's label is in view, not hidden under the top of the window
    label_top = page.locator("label[for='department_id']").bounding_box()["y"]
    assert 0 <= label_top < page.viewport_size["height"]

    page.set_viewport_size(PHONE)
    assert horizontal_overflow(page) == 0
    check_accessibility(page)
    page.set_viewport_size(DESKTOP)
