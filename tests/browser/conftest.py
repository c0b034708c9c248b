"""Real Chromium through Playwright's sync API, against the app served on 127.0.0.1.

- Uses Debian's ``/usr/bin/chromium`` (never ``playwright install``: there is no download).
- Every test in this directory gets the ``browser`` marker (``pytest -m "not browser"`` skips
  them). Outside CI they are skipped with a reason when Chromium is missing; with CI=true a
  missing Chromium is a failure, so CI cannot pass without having run them.
- ``live_server`` serves the ``app`` fixture of tests/support/fixtures.py (own database, fast
  KDF) with werkzeug in a daemon thread, so ``create_user`` and the browser see the same database.
- ``page`` fails the test at teardown when the page logged a console error (a CSP violation,
  a failed script) or a same-origin request got a 5xx answer.

The helpers (login, screenshots, axe-core) are in tests/support/browser.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    IN_CI,
    LiveServer,
    QuietHandler,
    buffered,
    chromium_problem,
    console_problem,
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    problem = chromium_problem()
    for item in items:
        if HERE not in item.path.parents:
            continue  # this hook sees the whole session's items
        item.add_marker(pytest.mark.browser)
        if problem and not IN_CI:
            item.add_marker(pytest.mark.skip(reason=problem))


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    problem = chromium_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but the browser tests cannot run: {problem}", pytrace=False)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# ----------------------------------------------------------------------- live server


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The test's app (fresh database, migrated, default categories) on a free local port."""
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True,
                         request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, server=server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# ---------------------------------------------------------------------------- page


@pytest.fixture
def page(chromium_browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) at desktop size; ``screenshot`` adds the phone."""
    context = chromium_browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="nl-NL",
        timezone_id="Europe/Amsterdam", java_script_enabled=True,
    )
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    problems: list[str] = []
    new_page.on("console", lambda message: console_problem(message, problems))
    new_page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    new_page.on("response", lambda response: problems.append(
        f"HTTP {response.status} for {response.url}")
        if response.status >= 500 and response.url.startswith(live_server.url) else None)
    try:
        yield new_page
    finally:
        context.close()
    if problems:
        pytest.fail("the browser reported problems:\n  " + "\n  ".join(problems), pytrace=False)
