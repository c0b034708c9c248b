"""Helpers of the browser tests (tests/browser): Chromium's location and arguments, the live
server's record, TOTP codes that are never reused, login and logout through the pages,
axe-core, screenshots at desktop and phone width. The fixtures (``chromium_browser``,
``live_server``, ``page``) and the ``browser`` marker stay in tests/browser/conftest.py.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

CHROMIUM = Path(os.environ.get("VP_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TOTP_STEP_SECONDS = 30
BLOCKING_IMPACTS = ("serious", "critical")


def chromium_problem() -> str | None:
    if not CHROMIUM.exists():
        return (f"Chromium not found at {CHROMIUM}: install Debian's package "
                "(apt-get install -y chromium) to run the browser tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install -e '.[test]')"
    return None


# ----------------------------------------------------------------------- live server


def buffered(app: Any) -> Any:
    """The live server's application with every response read whole and closed at once.

    werkzeug's development server drains the request body before it closes a response; when
    the browser has dropped the connection by then, the response (a static file, say) is never
    closed, and its open file fails a later test as an unraisable ResourceWarning."""

    def application(environ: Any, start_response: Any) -> list[bytes]:
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    return application


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log lines in the test output."""


@dataclass
class LiveServer:
    url: str
    app: Flask
    server: BaseWSGIServer



# ---------------------------------------------------------------------------- page


def console_problem(message: Any, problems: list[str]) -> None:
    if message.type != "error":
        return
    source = (message.location or {}).get("url", "")
    if source.endswith("/favicon.ico"):
        return  # Chromium asks for it unprompted; the app has no favicon (yet)
    problems.append(f"console {message.type}: {message.text} ({source or 'no url'})")


# ------------------------------------------------------------------------- helpers

# Last TOTP step used per secret: the server never accepts a step twice (docs/design.md section 3).
_used_steps: dict[str, int] = {}


def fresh_totp_code(secret: str) -> str:
    """A code for a time step not used before with this secret; waits for the next step if
    the current one was already used (a second login within 30 s)."""
    step = int(time.time() // TOTP_STEP_SECONDS)
    last = _used_steps.get(secret)
    if last is not None and step <= last:
        step = last + 1
        wait = step * TOTP_STEP_SECONDS - time.time() + 0.2
        if wait > 0:
            time.sleep(wait)
    _used_steps[secret] = step
    return str(pyotp.TOTP(secret).at(step * TOTP_STEP_SECONDS))


def remember_totp_use(secret: str, code: str) -> None:
    """Record a code the test typed itself (e.g. at enrolment), so the next login waits."""
    now = int(time.time() // TOTP_STEP_SECONDS)
    totp = pyotp.TOTP(secret)
    for step in (now - 1, now, now + 1):
        if totp.at(step * TOTP_STEP_SECONDS) == code:
            _used_steps[secret] = max(step, _used_steps.get(secret, step))


def submit(page: Any) -> None:
    """Press the main form's primary button and wait for the next page."""
    page.locator("main form button[type=submit].primary").click()
    page.wait_for_load_state("load")


def browser_login(page: Any, live_server: LiveServer, user: Any, *,
                  accessibility: bool = True) -> None:
    """Log in with password and a fresh TOTP code; ends on the start page."""
    page.goto(f"{live_server.url}/login")
    if accessibility:
        check_accessibility(page)
    page.fill("#email", user.email)
    page.fill("#password", user.test_password)
    submit(page)
    page.wait_for_url(re.compile(r"/login/code$"))
    if accessibility:
        check_accessibility(page)
    page.fill("#code", fresh_totp_code(user.test_totp_secret))
    submit(page)
    page.wait_for_url(re.compile(r"/start$"))


def browser_logout(page: Any) -> None:
    page.locator("nav form[action$='/logout'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/login$"))


def check_accessibility(page: Any, context: str | None = None) -> None:
    """axe-core on the current page (or only on the elements matching the CSS selector
    ``context``): no violation of serious or critical impact."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    others = [v for v in results.response["violations"] if v not in blocking]
    for violation in others:
        print(f"axe ({violation['impact']}) on {page.url}: {violation['id']} - "
              f"{violation['help']} ({len(violation['nodes'])} elements)")
    if blocking:
        lines = []
        for violation in blocking:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                         f"[{targets}] {violation['helpUrl']}")
        print("\n".join(lines))
        pytest.fail(f"axe-core: {len(blocking)} serious/critical accessibility violations on "
                    f"{page.url}:\n  " + "\n  ".join(lines), pytrace=False)


def screenshot(page: Any, name: str, *, phone: bool = True) -> Path:
    """Full-page PNG at the page's size (NAME.png), and at phone width (NAME.phone.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if phone:
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.phone.png"), full_page=True)
        overflow = horizontal_overflow(page)
        if overflow:
            print(f"layout: {page.url} is {overflow}px wider than a {PHONE['width']}px phone "
                  "(the whole page scrolls sideways)")
        page.set_viewport_size(size)
    return path


def horizontal_overflow(page: Any) -> int:
    """How many pixels the document is wider than the viewport (0 when it fits)."""
    return int(page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))
