"""The annual report in a real Chromium (issue 5): the counsellor logs activities, writes the
recommendations, previews and finalises last year's report; the manager finds it and downloads
the PDF. axe-core checks every page; screenshots at desktop and phone width go to
test-artifacts/screenshots/. Pages are reached through links and forms by their addresses and
field ids, so the test does not depend on the interface language."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from pypdf import PdfReader

from tests.casework import create_vault, grant, unlock
from tests.reportwork import seed_year
from tests.support.browser import (
    PHONE,
    SCREENSHOTS,
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
from vp_registry.core.report import LOCALES
from vp_registry.core.report import text as report_text
from vp_registry.db.accounts import User
from vp_registry.services.infrastructure.audit import Actor

TODAY = date.today()
YEAR = TODAY.year - 1
RECOMMENDATION = ("Zet de Toolbox Sociaal Veilig Werken structureel in bij het magazijn, met een "
                  "korte check-in bij de weekstart.")


def visit(page: Any, name: str) -> None:
    """axe-core at desktop and phone width (wide report tables scroll on a phone), then the
    screenshots; the page itself never scrolls sideways."""
    check_accessibility(page)
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    check_accessibility(page)
    assert horizontal_overflow(page) == 0, f"{page.url} scrolls sideways on a phone"
    page.set_viewport_size(size)
    screenshot(page, name)
    assert horizontal_overflow(page) == 0, f"{page.url} scrolls sideways at desktop width"


def section_five_is_readable(page: Any) -> None:
    """Issue 14: section 5 shows no row of protected cells only ('< 3' / 'x': those are
    named in a sentence, or the whole table is one) and says why organisation totals can be
    exact; screenshots of the section at desktop and phone width."""
    section = page.locator("#s-departments")
    for row in section.locator("tbody tr:not(.total)").all():
        marks = [cell.inner_text().strip() for cell in row.locator("td").all()]
        assert any(mark not in {"< 3", "x"} for mark in marks), marks
    shown = " ".join(section.inner_text().split())
    assert any(report_text(locale, "org_totals_exact", k=3) in shown for locale in LOCALES)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SCREENSHOTS / "report-04-section5.png"))
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    section.screenshot(path=str(SCREENSHOTS / "report-04-section5.phone.png"))
    page.set_viewport_size(size)


def log_activity(page: Any, day: str, kind: str, hours: str, description: str) -> None:
    page.locator("main a[href='/activities/new']").first.click()
    page.wait_for_url(re.compile(r"/activities/new$"))
    page.fill("#held_on", day)
    page.select_option("#activity_type", kind)
    page.fill("#hours", hours)
    page.fill("#description", description)
    submit(page)
    page.wait_for_url(re.compile(r"/activities\?year=\d{4}$"))


def test_counsellor_finalises_the_annual_report_and_the_manager_downloads_it(
    app: Flask, settings: Settings, page: Any, live_server: LiveServer,
    create_user: Callable[..., User], tmp_path: Path,
) -> None:
    setup = create_vault(app, settings)
    counsellor = create_user("counsellor", display_name="Marieke de Boer")
    manager = create_user("manager", display_name="Hans Verhoeven")
    grant(app, settings, counsellor, setup.recovery_key)
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, counsellor)
        seed_year(session, settings, Actor(counsellor.id, "counsellor"), keys, YEAR, today=TODAY)

    # --- the counsellor logs two activities of last year
    browser_login(page, live_server, counsellor, accessibility=False)
    page.locator("nav a[href='/activities']").click()
    page.wait_for_url(re.compile(r"/activities$"))
    log_activity(page, f"{YEAR}-03-18", "training", "3,5",
                 "Toolbox Sociaal Veilig Werken met de teamleiders van productie")
    log_activity(page, f"{YEAR}-04-09", "office_hours", "2", "Spreekuur in de kantine")
    assert page.locator("table.activity-list tbody tr").count() == 2
    assert "5,5" in page.locator("table.activity-summary tr.total").inner_text()
    visit(page, "report-01-activities")

    # --- writes the recommendations of last year's report
    page.locator("nav a[href='/reports']").click()
    page.wait_for_url(re.compile(r"/reports$"))
    visit(page, "report-02-years")
    page.locator(f"main a[href='/reports/{YEAR}']").first.click()
    page.wait_for_url(re.compile(rf"/reports/{YEAR}$"))
    page.fill("#introduction", "Marieke de Boer is de vertrouwenspersoon van Voorbeeld Techniek."
                               "\n\nZij is bereikbaar via het spreekuur en de website.")
    page.fill("#recommendations", RECOMMENDATION)
    visit(page, "report-03-texts")
    submit(page)
    page.wait_for_url(re.compile(rf"/reports/{YEAR}$"))
    assert page.locator("#recommendations").input_value() == RECOMMENDATION

    # --- previews: the figures from the cases, the activities, the recommendation
    page.locator(f"main a[href='/reports/{YEAR}/preview']").first.click()
    page.wait_for_url(re.compile(rf"/reports/{YEAR}/preview$"))
    key_figures = page.locator("#t-key_figures")
    # opened, carried over, closed and open at year end are withheld here (issue 12, 2058907:
    # carried over is not public yet, and closed with it); the conversations are exact
    assert "Gesprekken in " in key_figures.inner_text() or "Conversations in " in \
        key_figures.inner_text()
    assert "15" in key_figures.inner_text()
    assert "5,5" in page.locator("#t-time").inner_text()  # activities' hours
    assert RECOMMENDATION in page.locator("#s-recommendations").inner_text()
    assert page.locator("svg.chart-svg").count() >= 1  # no category chart: one total is < 3
    visit(page, "report-04-preview")
    section_five_is_readable(page)

    # --- finalises: released through disclosure control, frozen
    page.check("#confirm")
    page.locator(f"form[action='/reports/{YEAR}/finalise'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/reports/{YEAR}/v1$"))
    assert page.locator(".notice-success").count() == 1
    assert page.locator(f"a[href='/reports/{YEAR}/v1/pdf']").count() == 1
    visit(page, "report-05-final")
    browser_logout(page)

    # --- the manager finds the finalised report and downloads the PDF
    browser_login(page, live_server, manager, accessibility=False)
    visit(page, "report-06-manager-start")
    page.locator("nav a[href='/reports/published']").click()
    page.wait_for_url(re.compile(r"/reports/published$"))
    visit(page, "report-07-manager-list")
    page.locator(f"main a[href='/reports/{YEAR}/v1']").first.click()
    page.wait_for_url(re.compile(rf"/reports/{YEAR}/v1$"))
    assert RECOMMENDATION in page.locator("#s-recommendations").inner_text()
    visit(page, "report-08-manager-report")
    with page.expect_download() as download_info:
        page.locator(f"main a[href='/reports/{YEAR}/v1/pdf']").first.click()
    download = download_info.value
    assert download.suggested_filename == f"jaarverslag-vertrouwenspersoon-{YEAR}.pdf"
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    reader = PdfReader(io.BytesIO(target.read_bytes()))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert f"Jaarverslag vertrouwenspersoon {YEAR}" in text
    assert "Toolbox Sociaal Veilig Werken structureel" in text
    assert f"Gesprekken in {YEAR} 15" in text  # opened, closed: withheld (issue 12)
    assert report_text("nl", "org_totals_exact", k=3) in text  # section 5 (issue 14)
