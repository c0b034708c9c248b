"""The admin's audit log in Chromium (issue 14): axe-core clean on the whole page (it reported
scrollable-region-focusable on the log's sideways-scrolling table), each entry's time on one
line, the details folded and one click away, no sideways scroll on a phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from tests.support.browser import (
    DESKTOP,
    PHONE,
    LiveServer,
    browser_login,
    check_accessibility,
    horizontal_overflow,
    screenshot,
)
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor

# How many lines of text each entry's time takes (a wrapped time has several line boxes).
TIME_LINES = """() => [...document.querySelectorAll('main table tbody tr')].map(row => {
    const walker = document.createTreeWalker(row.cells[0], NodeFilter.SHOW_TEXT);
    const tops = new Set();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const rect of range.getClientRects()) tops.add(Math.round(rect.top));
    }
    return tops.size;
})"""


def _fill_the_log(live_server: LiveServer, settings: Settings,
                  monkeypatch: pytest.MonkeyPatch) -> None:
    app = live_server.app
    with app.app_context(), db_session_for(app) as session:
        audit.record_dated(session, Actor.anonymous(), "contact.receive")
        session.commit()
        audit.chain_waiting(session, settings.audit_key, before=date(2999, 1, 1))
        session.commit()
    for minute, (action, fields) in enumerate([
        ("case.read", {"target_type": "case", "target_id": "VP-2026-7KQ3"}),
        ("report.download", {"target_type": "report", "target_id": "report-2026-v1",
                             "format": "docx"}),
        ("department.import", {"created": 12, "updated": 3, "unchanged": 40}),
    ]):
        monkeypatch.setattr(audit, "utcnow", lambda m=minute: datetime(2026, 12, 3, 13, m, 5))
        with app.app_context(), db_session_for(app) as session:
            audit.record(session, settings.audit_key, Actor.system(), action, **fields)  # type: ignore[arg-type]
            session.commit()
    monkeypatch.undo()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280", "390"])
def test_audit_log_reads_on_desktop_and_phone(
        page: Any, live_server: LiveServer, settings: Settings,
        create_user: Callable[..., Any], monkeypatch: pytest.MonkeyPatch,
        size: dict[str, int]) -> None:
    admin = create_user("admin")
    _fill_the_log(live_server, settings, monkeypatch)
    page.set_viewport_size(size)
    browser_login(page, live_server, admin, accessibility=False)
    page.goto(f"{live_server.url}/admin/audit")

    check_accessibility(page)
    assert horizontal_overflow(page) == 0
    lines = page.evaluate(TIME_LINES)
    assert lines and all(count == 1 for count in lines), lines

    events = page.locator("main td.event").all_inner_texts()
    assert "Melding bekeken" in events and "Anoniem bericht ontvangen" in events
    row = page.locator("main tbody tr", has_text="Afdelingen ingelezen")
    assert not row.locator("dl").is_visible()
    row.locator("summary").click()
    assert row.locator("dl").is_visible()
    assert "department.import" in row.locator("dl").inner_text()
    check_accessibility(page)  # with a details element open

    screenshot(page, f"audit-log-{size['width']}", phone=False)
