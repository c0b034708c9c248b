"""The web speed-ups write what the plain path writes (vp_registry.web.speedups; the
template i18n and the Select widget are in tests/web/test_template_i18n.py)."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from vp_registry.web.speedups import urls

VALUES = ["VP-2026-AB12", "vp-2026-ab12", "A", "x" * 80, "a b", "a/b", "ä", "50%", "a?b=c",
          "<script>", "..", "a.b", "MARKER", "-"]


@pytest.mark.parametrize("base_url", ["http://localhost/", "http://localhost/registry/"])
def test_the_url_builder_writes_what_url_for_writes(app: Flask, base_url: str) -> None:
    with app.test_request_context(base_url=base_url):
        build = urls.url_builder("cases.view", "reference")
        for value in VALUES:
            assert build(value) == url_for("cases.view", reference=value), value
        if base_url.endswith("/registry/"):
            assert build("VP-2026-AB12").startswith("/registry/")
