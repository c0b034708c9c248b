"""Every page on a phone (issue 14): at 390 px wide, with the demo's data (``make demo``: its
departments, cases with conversations, candidate and released signals, anonymous messages,
activities and annual reports), each role follows every link it can reach from its start page.
No page scrolls sideways, and axe-core finds nothing serious or critical. Tables become stacked
cards; the case list's filters fold into a <details> on a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from flask import Flask

from tests.casework import create_vault
from tests.support.browser import (
    DESKTOP,
    PHONE,
    LiveServer,
    browser_login,
    check_accessibility,
    screenshot,
)
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.demo import seed as demo
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work

# Links a crawl must not follow: downloads (files, not pages), the language switch (a page
# seen already, in the other language) and the public pages (tested in test_navigation.py).
SKIP = re.compile(r"(\.(csv|docx|xlsx|pdf|zip|html|png|svg)$|/download|/lang|/static/"
                  r"|^/(counsellors|contact)\b)")
MAX_PAGES = 600
# Every case page (the demo has 26 cases), but at most this many pages of any other kind.
PER_KIND = 30


def _shape(path: str) -> str:
    """A page's kind: the path with references, numbers and tokens replaced."""
    path = re.sub(r"VP-\d{4}-[0-9A-Z]{4}", "<ref>", path)
    path = re.sub(r"/[0-9a-f]{16,}", "/<token>", path)
    return re.sub(r"/\d+", "/<n>", path)


@pytest.fixture
def demo_world(app: Flask, settings: Settings,
               create_user: Callable[..., User]) -> dict[str, User]:
    """The demo (services.demo.seed.create_demo, as ``make demo``) with its three accounts enrolled
    in TOTP by the test, so the browser can log in as each of them."""
    create_vault(app, settings)
    users = {login.role: create_user(login.role, email=login.email, password=login.password,
                                     display_name=demo.DEMO_NAMES[login.role])
             for login in demo.DEMO_USERS}
    with app.app_context(), db_session_for(app) as session:
        demo.create_demo(Work(session, settings, Actor.system()),
                         progress=lambda *_a, **_k: None)
        session.commit()
    return users


def _links(page: Any, origin: str) -> list[str]:
    hrefs = page.evaluate("""() => [...document.querySelectorAll('a[href]')]
        .filter(a => !a.hasAttribute('download')).map(a => a.href)""")
    found = []
    for href in hrefs:
        url, _fragment = urldefrag(href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _fits(page: Any) -> int:
    """How many pixels the page is wider than the window (0: no sideways scroll)."""
    return int(page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"))


def crawl(page: Any, live_server: LiveServer, start: str = "/start") -> dict[str, int]:
    """Visit every page reachable by links from ``start`` at the current size; axe-core once
    per kind of page. Returns the pages that scroll sideways, with how far."""
    origin = live_server.url
    seen: set[str] = set()
    checked: set[str] = set()
    kinds: dict[str, int] = {}
    queue = [start]
    wide: dict[str, int] = {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        shape = _shape(urlsplit(path).path)
        if path in seen or kinds.get(shape, 0) >= PER_KIND:
            continue
        seen.add(path)
        kinds[shape] = kinds.get(shape, 0) + 1
        response = page.goto(path)
        assert response is not None
        if response.status != 200 or "text/html" not in response.headers.get(
                "content-type", ""):
            continue
        overflow = _fits(page)
        if overflow > 0:
            wide[path] = overflow
        if shape not in checked:
            checked.add(shape)
            check_accessibility(page)
        queue.extend(link for link in _links(page, origin) if link not in seen)
    assert len(seen) < MAX_PAGES, "the crawl stopped early: raise MAX_PAGES"
    print(f"{len(seen)} pages of {len(kinds)} kinds: {sorted(kinds.items())}")
    return wide


@pytest.mark.parametrize("role", ["counsellor", "manager", "admin"])
def test_every_page_a_role_reaches_fits_a_phone(
    page: Any, live_server: LiveServer, demo_world: dict[str, User], role: str,
) -> None:
    browser_login(page, live_server, demo_world[role], accessibility=False)
    page.set_viewport_size(PHONE)
    wide = crawl(page, live_server)
    assert wide == {}, f"pages that scroll sideways at {PHONE['width']} px: {wide}"


def _inside_window(page: Any, selector: str) -> bool:
    """The element is shown and lies within the window's width (no sideways scrolling to it)."""
    return bool(page.evaluate("""selector => {
        const element = document.querySelector(selector);
        if (!element || element.getClientRects().length === 0) return false;
        const box = element.getBoundingClientRect();
        return box.width > 0 && box.left >= 0 && box.right <= window.innerWidth;
    }""", selector))


def test_a_case_on_a_phone_shows_its_conversations_as_cards_with_their_edit_link(
    page: Any, live_server: LiveServer, demo_world: dict[str, User],
) -> None:
    browser_login(page, live_server, demo_world["counsellor"], accessibility=False)
    page.set_viewport_size(PHONE)
    page.goto("/cases/")
    # the demo case with the most conversations
    page.goto(page.locator("main table a[href*='/cases/VP-']").first.get_attribute("href"))
    links = page.locator("main section table a[href*='/conversations/']")
    assert links.count() >= 1
    for index in range(links.count()):
        assert _inside_window(page, f"main section table tbody tr:nth-child({index + 1}) "
                              "a[href*='/conversations/']")
    for label in ("Datum", "Minuten", "Hoe", "Aantekeningen"):
        assert page.locator(f"main section table td[data-label='{label}']").count() >= 1
    assert _fits(page) == 0
    check_accessibility(page)
    screenshot(page, "phone-case-view", phone=False)


def test_the_case_list_on_a_phone_is_cards_with_the_filters_folded(
    page: Any, live_server: LiveServer, demo_world: dict[str, User],
) -> None:
    browser_login(page, live_server, demo_world["counsellor"], accessibility=False)
    page.goto("/cases/")
    # on a wide screen the filters are simply there
    assert page.locator("#status").is_visible()
    assert page.locator("details.filter-panel > summary").is_hidden()
    check_accessibility(page)
    screenshot(page, "phone-case-list-1280", phone=False)

    page.set_viewport_size(PHONE)
    page.goto("/cases/")
    summary = page.locator("details.filter-panel > summary")
    assert summary.is_visible() and page.locator("#status").is_hidden()
    # the first screen shows cases, each a card with its department and categories in view
    first_card = page.locator("main table tbody tr").first
    assert first_card.bounding_box()["y"] < PHONE["height"] / 2
    for label in ("Afdeling", "Soorten gedrag"):
        cell = f"main table tbody tr:first-child td[data-label='{label}']"
        assert _inside_window(page, cell), label
    assert _fits(page) == 0
    check_accessibility(page)
    screenshot(page, "phone-case-list", phone=False)

    # the folded filter works as before: open it, choose, Show (a POST, never in the URL)
    summary.click()
    assert page.locator("#status").is_visible()
    page.select_option("#status", "closed")
    page.locator("form.filters button[type=submit]:not([name])").click()
    page.wait_for_url(re.compile(r"/cases/$"))
    assert "status" not in page.url
    assert "gevonden" in page.locator("main p[role=status]").inner_text()
    statuses = page.locator("main table tbody td[data-label='Status']").all_inner_texts()
    assert statuses and all(text.strip() == "Afgesloten" for text in statuses), statuses
    assert "filter staat aan" in page.locator("details.filter-panel > summary").inner_text()
    assert _fits(page) == 0
    check_accessibility(page)
    page.locator("details.filter-panel > summary").click()
    screenshot(page, "phone-case-list-filter-open", phone=False)
    page.set_viewport_size(DESKTOP)


# ------------------------------------------------------------------ the manager (issue 14)


def test_the_manager_sees_what_is_new_and_marks_a_signal_as_read(
    page: Any, live_server: LiveServer, demo_world: dict[str, User], app: Flask,
) -> None:
    # the demo's released signal was acknowledged and followed up; a second one is new
    with app.app_context(), db_session_for(app) as session:
        from vp_registry.services.signals import management

        released = management.released_signals(session)
        assert len(released) == 1
        released[0].acknowledged_at = None  # as if just released: unread
        session.commit()
    browser_login(page, live_server, demo_world["manager"], accessibility=False)
    new = page.locator("#new-signals")
    assert new.is_visible()
    card = new.locator("li.signal-card")
    assert card.count() == 1
    text = card.inner_text()
    assert "Magazijn en logistiek" in text and "Pesten" in text
    assert released[0].band in text and "Nog niet gelezen" in text
    check_accessibility(page)
    screenshot(page, "manager-start-1280", phone=False)
    page.set_viewport_size(PHONE)
    assert _fits(page) == 0
    check_accessibility(page)
    screenshot(page, "manager-start-390", phone=False)

    card.locator("a").first.click()
    page.wait_for_url(re.compile(r"/management/signals/\d+$"))
    button = page.get_by_role("button", name="Markeer als gelezen")
    assert button.is_visible()
    button.click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Gelezen op").is_visible()
    page.goto("/start")
    assert page.locator("#new-signals").count() == 0
    page.set_viewport_size(DESKTOP)

    page.goto("/management/signals")
    cards = page.locator("ul.signal-cards > li.signal-card")
    assert cards.count() == 1 and page.locator("main table").count() == 0
    facts = cards.first.inner_text()
    for term in ("Afdeling", "Soort gedrag", "Aantal meldingen", "Periode", "Status",
                 "Laatste opvolging"):
        assert term in facts, term
    assert " | " not in facts
    height = cards.first.bounding_box()["height"]
    assert height < 600, f"a signal card is {height}px high"
    check_accessibility(page)
    screenshot(page, "manager-signals-1280", phone=False)
    page.set_viewport_size(PHONE)
    assert _fits(page) == 0
    check_accessibility(page)
    screenshot(page, "manager-signals-390", phone=False)
