"""The foundation's journeys in a real Chromium (issue 2): first login with TOTP enrolment, a
wrong code, logout and a second login; the admin creates an account and departments; the
language choice is remembered. axe-core checks every page visited; screenshots of each step
(desktop and phone width) go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp

from tests.support.browser import (
    LiveServer,
    browser_login,
    browser_logout,
    check_accessibility,
    fresh_totp_code,
    screenshot,
    submit,
)

NEW_PASSWORD = "Lantaarnpaal-in-de-polder-93"
COMPILED_NL = (Path(__file__).resolve().parents[2]
               / "vp_registry/translations/nl/LC_MESSAGES/messages.mo")


def visit(page: Any, name: str) -> None:
    """Every page visited: axe-core, then a screenshot at desktop and phone width."""
    check_accessibility(page)
    screenshot(page, name)


def wrong_code_for(secret: str) -> str:
    """A six-digit code that is not valid in any step the server could accept now."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    valid = {totp.at(now + offset) for offset in (-60, -30, 0, 30, 60)}
    candidate = 123456
    while f"{candidate:06d}" in valid:
        candidate += 1
    return f"{candidate:06d}"


def html_lang(page: Any) -> str:
    return str(page.locator("html").get_attribute("lang"))


def language_button(page: Any) -> Any:
    return page.locator("header form.language button[type=submit]")


# --------------------------------------------------------------------------- (a)


def test_first_login_enrols_totp_then_logs_out_and_in_again(
    page: Any, live_server: LiveServer, create_user: Callable[..., Any]
) -> None:
    admin = create_user("admin", enrolled=False, must_change_password=False,
                        email="beheer@example.org", display_name="Sanne Jansen")

    page.goto("/login")
    assert html_lang(page) == "nl"
    visit(page, "a01-login")
    page.fill("#email", admin.email)
    page.fill("#password", admin.test_password)
    submit(page)

    page.wait_for_url(re.compile(r"/login/enrol$"))
    qr = page.locator(".qr svg")
    assert qr.count() == 1 and qr.is_visible(), "enrolment shows no inline SVG QR code"
    assert qr.bounding_box()["width"] >= 100, "the QR code is too small to scan"
    secret = "".join(page.locator("#totp-secret").inner_text().split())
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), f"secret shown is not base32: {secret!r}"
    visit(page, "a02-enrol")

    page.fill("#code", wrong_code_for(secret))
    submit(page)
    assert page.url.endswith("/login/enrol"), "a wrong code must keep the user on enrolment"
    assert page.locator("main .notice-error[role=alert]").is_visible()
    assert "".join(page.locator("#totp-secret").inner_text().split()) == secret, (
        "the secret changed after a wrong code: an app already set up would no longer match")
    visit(page, "a03-enrol-wrong-code")

    page.fill("#code", fresh_totp_code(secret))
    submit(page)
    page.wait_for_url(re.compile(r"/start$"))
    assert page.locator("main h1").inner_text().strip()
    assert "Sanne Jansen" in page.locator("header").inner_text()
    assert page.locator("main .notice-success").count() == 1
    visit(page, "a04-start-admin")

    browser_logout(page)
    assert page.locator("main .notice-success").count() == 1
    assert page.locator("nav.main-nav").count() == 0
    visit(page, "a05-logged-out")

    page.goto("/start")  # the old session is gone
    page.wait_for_url(re.compile(r"/login"))

    admin.test_totp_secret = secret
    browser_login(page, live_server, admin)  # waits for the next TOTP step if needed
    assert page.locator("nav.main-nav").is_visible()
    check_accessibility(page)


# --------------------------------------------------------------------------- (b)


def test_admin_creates_an_account_and_departments(
    page: Any, live_server: LiveServer, create_user: Callable[..., Any]
) -> None:
    admin = create_user("admin")
    browser_login(page, live_server, admin)

    page.locator("nav a[href$='/admin/users']").click()
    page.wait_for_url(re.compile(r"/admin/users$"))
    visit(page, "b01-accounts")
    page.locator("main a[href$='/admin/users/new']").click()
    page.wait_for_url(re.compile(r"/admin/users/new$"))
    visit(page, "b02-account-new")

    # A password that is too short: the error is shown and what was typed is kept.
    page.fill("#display_name", "Marieke de Boer")
    page.fill("#email", "m.deboer@example.org")
    page.select_option("#role", "counsellor")
    page.fill("#password", "te-kort")
    submit(page)
    assert page.url.endswith("/admin/users/new")
    assert page.locator("#password-error").is_visible()
    assert page.locator("#password").get_attribute("aria-invalid") == "true"
    assert page.input_value("#display_name") == "Marieke de Boer"
    assert page.input_value("#email") == "m.deboer@example.org"
    assert page.input_value("#role") == "counsellor"
    visit(page, "b03-account-new-error")

    page.fill("#password", NEW_PASSWORD)
    submit(page)
    page.wait_for_url(re.compile(r"/admin/users$"))
    row = page.locator("main table tbody tr", has_text="m.deboer@example.org")
    assert row.count() == 1
    assert "Marieke de Boer" in row.inner_text()
    visit(page, "b04-accounts-with-new")

    page.locator("nav a[href$='/admin/departments']").click()
    page.wait_for_url(re.compile(r"/admin/departments$"))
    visit(page, "b05-departments-empty")
    for name, headcount, parent in (("Productie", "140", None),
                                    ("Productie ploeg A", "45", "Productie")):
        page.locator("main a[href$='/admin/departments/new']").click()
        page.wait_for_url(re.compile(r"/admin/departments/new$"))
        page.fill("#name", name)
        page.fill("#headcount", headcount)
        if parent:
            page.select_option("#parent_id", label=parent)
        check_accessibility(page)
        submit(page)
        page.wait_for_url(re.compile(r"/admin/departments$"))

    table = {cells[0]: cells[1:3] for cells in (
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in page.locator("main table tbody tr").all())}
    assert table["Productie"] == ["140", ""]
    assert table["Productie ploeg A"] == ["45", "Productie"]
    visit(page, "b06-departments")

    page.locator("main a", has_text="Productie ploeg A").click()
    page.wait_for_url(re.compile(r"/admin/departments/\d+$"))
    assert page.input_value("#name") == "Productie ploeg A"
    assert page.locator("#parent_id option:checked").inner_text().strip() == "Productie"
    visit(page, "b07-department-edit")


# --------------------------------------------------------------------------- (c)


def test_language_choice_is_remembered_across_pages(
    page: Any, live_server: LiveServer, create_user: Callable[..., Any]
) -> None:
    admin = create_user("admin")

    page.goto("/login")
    assert html_lang(page) == "nl"
    assert language_button(page).get_attribute("lang") == "en"
    language_button(page).click()
    page.wait_for_url(re.compile(r"/login$"))
    assert html_lang(page) == "en"
    visit(page, "c01-login-english")

    browser_login(page, live_server, admin)  # chosen before login, kept after it
    assert html_lang(page) == "en"
    english_logout = page.locator("nav form[action$='/logout'] button").inner_text().strip()
    page.goto("/admin/users")
    assert html_lang(page) == "en"
    assert language_button(page).get_attribute("lang") == "nl"
    visit(page, "c02-accounts-english")

    language_button(page).click()
    page.wait_for_url(re.compile(r"/admin/users$"))  # back where the switch was pressed
    assert html_lang(page) == "nl"
    check_accessibility(page)
    for path in ("/admin/departments", "/start"):
        page.goto(path)
        assert html_lang(page) == "nl", f"{path} forgot the language"
        check_accessibility(page)
    dutch_logout = page.locator("nav form[action$='/logout'] button").inner_text().strip()
    visit(page, "c03-start-dutch")
    if COMPILED_NL.exists():
        assert dutch_logout != english_logout, "the Dutch catalogue does not translate 'Log out'"

    second_tab = page.context.new_page()
    second_tab.goto("/admin/categories")
    assert html_lang(second_tab) == "nl"
    check_accessibility(second_tab)
    second_tab.close()
