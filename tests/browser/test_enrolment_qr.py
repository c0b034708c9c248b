"""The enrolment QR code scans (issue 14, first login): the rendered code, as the browser shows
it at desktop and at phone width, decodes to the otpauth URI for the secret on the page.

The element is screenshotted and read back with OpenCV (opencv-python-headless, a test
dependency; ``tests.support.qr``): a code whose edges or finder patterns are cut off does
not decode.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.browser import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    LiveServer,
    check_accessibility,
    submit,
)
from tests.support.qr import decode_qr
from vp_registry.services.accounts.totp import provisioning_uri


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_the_enrolment_qr_code_decodes_to_the_otpauth_uri(
    page: Any, live_server: LiveServer, create_user: Callable[..., Any],
    settings: Any, viewport: dict[str, int],
) -> None:
    user = create_user(
        "counsellor", enrolled=False,
        email="m.van.den.berg-de.jong@vertrouwenspersonen.gemeente-voorbeeldstad.nl")
    page.set_viewport_size(viewport)
    page.goto("/login")
    page.fill("#email", user.email)
    page.fill("#password", user.test_password)
    submit(page)
    page.wait_for_url(re.compile(r"/login/enrol$"))

    secret = "".join(page.locator("#totp-secret").inner_text().split())
    expected = provisioning_uri(secret, user.email, settings.totp_issuer)
    svg = page.locator(".qr svg")
    box = svg.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (
        "the QR code does not fit the window")
    # The element's own box: a cropped drawing shows in it without its right and bottom edges.
    png = page.locator(".qr").screenshot()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"enrolment-qr-{viewport['width']}.png"))
    assert decode_qr(png) == expected
    check_accessibility(page)
