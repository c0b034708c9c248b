"""Structural signals in a real Chromium (issue 4): the counsellor reviews the candidates,
previews and releases one; the manager logs in, sees it (a band, never a count), acknowledges
it and records follow-up. axe-core checks every page; screenshots at desktop and phone width
go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask

from tests.casework import create_vault, grant, unlock
from tests.signalwork import seed
from tests.support.browser import (
    LiveServer,
    browser_login,
    browser_logout,
    check_accessibility,
    horizontal_overflow,
    screenshot,
    submit,
)
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.infrastructure.audit import Actor


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The pages answer in English here: this journey reads the English source strings (the
    Dutch catalogue is tested in tests/unit/test_translations.py)."""
    return settings.with_overrides(default_locale="en")


def visit(page: Any, name: str) -> None:
    check_accessibility(page)
    screenshot(page, name)
    assert horizontal_overflow(page) == 0, f"{page.url} scrolls sideways at desktop width"


def test_counsellor_releases_a_signal_and_the_manager_follows_it_up(
    app: Flask, settings: Settings, page: Any, live_server: LiveServer,
    create_user: Callable[..., User],
) -> None:
    setup = create_vault(app, settings)
    counsellor = create_user("counsellor", display_name="Marieke de Boer")
    manager = create_user("manager", display_name="Hans Verhoeven")
    grant(app, settings, counsellor, setup.recovery_key)
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, counsellor)
        seed(session, settings, Actor(counsellor.id, "counsellor"), keys)

    # --- the counsellor reviews the candidates
    browser_login(page, live_server, counsellor, accessibility=False)
    page.get_by_role("link", name="Signals").first.click()
    page.wait_for_url(re.compile(r"/signals$"))
    visit(page, "signals-01-candidates")
    candidates = page.locator(".signal-list li.signal")
    assert candidates.count() == 4
    assert page.get_by_text("never released to management").is_visible()

    # --- prepares the Magazijn concentration: preview, then release
    magazijn = candidates.filter(has_text="cases of bullying in Magazijn en logistiek since")
    magazijn.get_by_role("link", name="Prepare release").click()
    page.wait_for_url(re.compile(r"/signals/[0-9a-f]{32}/release$"))
    visit(page, "signals-02-prepare")
    # '3+': the review's rise answer covers the window (issue 12, session 8)
    assert "3+ cases of bullying in Magazijn en logistiek" in page.locator(
        ".preview .signal-sentence").inner_text()
    page.check("input[name=actions][value=team_talk]")
    page.check("input[name=actions][value=training]")
    page.fill("#context", "Meerdere medewerkers ervaren 'grappen' die te ver gaan.")
    submit(page)  # Show preview
    assert page.get_by_text("it can be released").is_visible()
    assert page.locator(".preview").get_by_text("A conversation with the team").is_visible()
    visit(page, "signals-03-preview")
    submit(page)  # Release to management
    page.wait_for_url(re.compile(r"/signals/released/\d+$"))
    assert page.get_by_text("The signal has been released to management.").is_visible()
    visit(page, "signals-04-released")
    browser_logout(page)

    # --- the manager sees it, acknowledges it and records follow-up
    browser_login(page, live_server, manager, accessibility=False)
    page.get_by_role("link", name="Signals").first.click()
    page.wait_for_url(re.compile(r"/management/signals$"))
    visit(page, "signals-05-manager-overview")
    cards = page.locator("ul.signal-cards > li.signal-card")
    assert cards.count() == 1
    assert "3+" in cards.inner_text()
    assert "4 cases" not in page.inner_text("main")
    assert page.locator("svg.chart").is_visible()
    cards.locator("a").first.click()
    page.wait_for_url(re.compile(r"/management/signals/\d+$"))
    visit(page, "signals-06-manager-signal")
    page.get_by_role("button", name="Mark as read").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Acknowledged on").is_visible()
    page.fill("#description", "Teamgesprek gehouden; Toolbox-sessie gepland.")
    page.fill("#done_on", date.today().isoformat())
    submit(page)
    assert page.get_by_text("The follow-up has been recorded.").is_visible()
    assert page.locator(".follow-ups").get_by_text("Toolbox-sessie gepland").is_visible()
    visit(page, "signals-07-follow-up")
    page.goto(f"{live_server.url}/management/signals")
    assert "Toolbox-sessie gepland" in page.locator("ul.signal-cards").inner_text()
