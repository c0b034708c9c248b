"""Finding one's way (issue 14): addresses typed with or without a final slash, and the main
navigation at desktop and phone width."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, browser_login, check_accessibility, screenshot


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
