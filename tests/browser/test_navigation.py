"""Finding one's way (issue 14): addresses typed with or without a final slash, and the main
navigation at desktop and phone width."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.casework import create_vault, grant
from tests.support.browser import (
    DESKTOP,
    PHONE,
    LiveServer,
    browser_login,
    check_accessibility,
    screenshot,
)
from vp_registry.config import Settings


@pytest.mark.parametrize("typed", ["/signals/", "/reports/", "/activities/", "/cases"])
def test_an_address_typed_with_the_other_slash_opens_the_page(
    page: Any, live_server: LiveServer, create_user: Callable[..., Any], typed: str,
) -> None:
    counsellor = create_user("counsellor")
    browser_login(page, live_server, counsellor, accessibility=False)
    response = page.goto(typed)
    assert response is not None and response.status == 200
    canonical = typed.rstrip("/") if typed.endswith("/") else typed + "/"
    page.wait_for_url(re.compile(re.escape(canonical) + "$"))
    assert page.locator("main h1").inner_text().strip() not in {"", "Pagina niet gevonden"}
    check_accessibility(page)
    if typed == "/activities/":
        screenshot(page, "slash-activities", phone=False)


# ------------------------------------------------------------------------ main menu
# Every page a role reaches from the menu, with the item the menu marks as the current page.

ROLE_PAGES: dict[str, list[tuple[str, str]]] = {
    "counsellor": [
        ("/start", "Start"), ("/cases/", "Meldingen"), ("/cases/new", "Nieuwe melding"),
        ("/vault/colleagues", "Collega's"), ("/signals", "Signalen"), ("/reports", "Jaarverslag"),
        ("/activities", "Activiteiten"), ("/messages", "Berichten"),
        ("/profile", "Openbaar profiel"), ("/account/password", "Wachtwoord"),
    ],
    "manager": [
        ("/start", "Start"), ("/management/signals", "Signalen"),
        ("/reports/published", "Jaarverslagen"), ("/account/password", "Wachtwoord"),
    ],
    "admin": [
        ("/start", "Start"), ("/admin/users", "Accounts"), ("/admin/departments", "Afdelingen"),
        ("/admin/categories", "Soorten gedrag"), ("/admin/audit", "Logboek"),
        ("/admin/public-page/nl", "Openbare pagina"), ("/account/password", "Wachtwoord"),
    ],
}
# Pages where axe checks the header only (none since the audit log's table was fixed:
# tests/browser/test_audit_page.py).
HEADER_ONLY: set[str] = set()
PUBLIC_PAGES = ["/counsellors", "/contact", "/contact/replies", "/login"]
MENU_BUTTON = "header button.menu-button"
MENU = "nav.main-nav"


def _rows(page: Any, items: str) -> int:
    """How many rows the visible elements ``items`` take (0 when there are none): elements
    whose vertical middles lie within 3 px of each other share a row."""
    middles = sorted(page.evaluate("""items => [...document.querySelectorAll(items)]
        .filter(item => item.getClientRects().length > 0)
        .map(item => { const box = item.getBoundingClientRect();
                       return box.top + box.height / 2; })""", items))
    return sum(1 for i, middle in enumerate(middles) if i == 0 or middle - middles[i - 1] > 3)


def _current_items(page: Any) -> list[str]:
    return [item.strip() for item in
            page.locator(f"{MENU} [aria-current='page']").all_inner_texts()]


def _fits(page: Any) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= page.evaluate(
        "() => window.innerWidth"), f"{page.url} scrolls sideways at {width}px"


def _login(page: Any, live_server: LiveServer, app: Flask, settings: Settings,
           create_user: Callable[..., Any], role: str) -> Any:
    user = create_user(role, display_name="Anna van der Berg-Visser")
    if role == "counsellor":
        grant(app, settings, user, create_vault(app, settings).recovery_key)
    browser_login(page, live_server, user, accessibility=False)
    return user


@pytest.mark.parametrize("role", sorted(ROLE_PAGES))
def test_the_menu_fits_one_line_marks_the_current_page_and_folds_on_a_phone(
    page: Any, live_server: LiveServer, app: Flask, settings: Settings,
    create_user: Callable[..., Any], role: str,
) -> None:
    _login(page, live_server, app, settings, create_user, role)
    for path, label in ROLE_PAGES[role]:
        page.set_viewport_size(DESKTOP)
        page.goto(path)
        menu = page.locator(MENU)
        assert menu.is_visible()
        assert not page.locator(MENU_BUTTON).is_visible()
        # the parts of the app on one line under the bar, the user's own links in the bar
        assert _rows(page, f"{MENU} ul.sections > li") == 1, f"the menu wraps on {path}"
        assert _rows(page, f"{MENU} ul.account > li") == 1, f"the bar wraps on {path}"
        bar = page.locator("header .bar").bounding_box()["height"]
        item = page.locator(f"{MENU} ul.sections > li").first.bounding_box()["height"]
        height = page.locator("header").bounding_box()["height"]
        assert height < bar + 2 * item, f"the header is {height}px high on {path}"
        logout = page.locator(f"{MENU} form[action$='/logout'] button").bounding_box()
        link = page.locator(f"{MENU} a").last.bounding_box()
        assert abs((logout["y"] + logout["height"] / 2) - (link["y"] + link["height"] / 2)) <= 2
        assert _current_items(page) == [label], path
        _fits(page)
        axe_context = "header" if path in HEADER_ONLY else None
        check_accessibility(page, axe_context)
        if path == "/start":
            screenshot(page, f"menu-{role}-1280", phone=False)

        page.set_viewport_size(PHONE)
        button = page.locator(MENU_BUTTON)
        assert button.is_visible() and button.get_attribute("aria-expanded") == "false"
        assert not menu.is_visible()
        _fits(page)
        check_accessibility(page, axe_context)
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        assert menu.is_visible()
        assert page.locator(f"{MENU} [aria-current='page']").is_visible()
        _fits(page)
        check_accessibility(page, axe_context)
        if path == "/start":
            screenshot(page, f"menu-{role}-390-open", phone=False)
        button.click()
        assert button.get_attribute("aria-expanded") == "false"
        assert not menu.is_visible()


def test_the_phone_menu_opens_and_closes_with_the_keyboard(
    page: Any, live_server: LiveServer, app: Flask, settings: Settings,
    create_user: Callable[..., Any],
) -> None:
    _login(page, live_server, app, settings, create_user, "counsellor")
    page.set_viewport_size(PHONE)
    page.goto("/cases/")
    button = page.locator(MENU_BUTTON)
    menu = page.locator(MENU)
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true" and menu.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('nav.main-nav') !== null")
    page.keyboard.press("Escape")  # closes and gives the focus back to the button
    assert button.get_attribute("aria-expanded") == "false" and not menu.is_visible()
    assert page.evaluate("() => document.activeElement.matches('button.menu-button')")
    page.keyboard.press("Space")
    assert menu.is_visible()
    page.keyboard.press("Space")
    assert not menu.is_visible()
    # a link in the open menu takes the user to the page, with the menu closed there
    button.click()
    menu.get_by_role("link", name="Signalen").click()
    page.wait_for_url(re.compile(r"/signals$"))
    assert not menu.is_visible() and _current_items(page) == ["Signalen"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_a_one_line_header_at_every_width(
    page: Any, live_server: LiveServer, path: str,
) -> None:
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.goto(path)
        assert page.locator(MENU).count() == 0 and page.locator(MENU_BUTTON).count() == 0
        bar = page.locator("header .bar").bounding_box()
        brand = page.locator("header .brand").bounding_box()
        assert bar["height"] < 2 * brand["height"] + 32, f"the header wraps on {path}"
        _fits(page)
        check_accessibility(page)
