"""The web speed-ups write what the plain path writes (vp_registry.web.speedups; the
template i18n and the Select widget are in tests/web/test_template_i18n.py)."""

from __future__ import annotations

import flask_babel
import pytest
from flask import Flask, url_for

from vp_registry.web import templating
from vp_registry.web.i18n import LOCALE_COOKIE
from vp_registry.web.speedups import gettext, template_i18n, urls

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


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_gettext_and_lazy_gettext_write_what_flask_babel_writes(app: Flask, locale: str
                                                                 ) -> None:
    messages = [("Cases", {}), ("Page %(page)s of %(pages)s", {"page": 2, "pages": "<3>"}),
                ("not in the catalogue %(x)s", {"x": 1}), ("100%", {})]
    lazy = [(gettext.lazy_gettext(m, **v), flask_babel.lazy_gettext(m, **v))
            for m, v in messages]
    with app.test_request_context(headers={"Cookie": f"{LOCALE_COOKIE}={locale}"}):
        for message, variables in messages:
            assert gettext.gettext(message, **variables) == flask_babel.gettext(
                message, **variables)
        assert [str(ours) for ours, _ in lazy] == [str(theirs) for _, theirs in lazy]
        assert str(lazy[0][0]) == {"nl": "Meldingen", "en": "Cases"}[locale]
        other = "en" if locale == "nl" else "nl"
        with flask_babel.force_locale(other):
            assert gettext.gettext("Cases") == str(lazy[0][0]) == flask_babel.gettext("Cases")
            assert str(lazy[0][0]) == {"nl": "Meldingen", "en": "Cases"}[other]
    assert gettext.gettext("Cases") == "Cases"  # outside a context, as Flask-Babel


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_the_templates_locale_is_flask_babels(app: Flask, locale: str) -> None:
    with app.test_request_context(headers={"Cookie": f"{LOCALE_COOKIE}={locale}"}):
        assert templating.current_locale() == str(flask_babel.get_locale()) == locale
        with flask_babel.force_locale("en" if locale == "nl" else "nl"):
            assert templating.current_locale() == str(flask_babel.get_locale()) != locale
        assert templating.current_locale() == locale
    assert templating.current_locale() == "nl"  # outside a request, as before


def test_the_i18n_cache_finds_the_locale_where_flask_babel_keeps_it(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """template_i18n.current() reads Flask-Babel's chosen locale without calling get_locale();
    should a Flask-Babel upgrade keep it elsewhere, the cache still answers right (through
    get_locale) but pays again - this test says so."""
    with app.test_request_context(headers={"Cookie": f"{LOCALE_COOKIE}=en"}):
        assert str(template_i18n.current().locale) == "en"  # type: ignore[union-attr]
        calls = []
        monkeypatch.setattr(template_i18n, "get_locale",
                            lambda: calls.append(1) or flask_babel.get_locale())
        for _ in range(3):
            assert template_i18n.current().locale_id == "en"  # type: ignore[union-attr]
        assert calls == [], "Flask-Babel no longer keeps its locale on g._flask_babel"
        flask_babel.refresh()  # forgets the choice: get_locale() chooses again, once
        assert template_i18n.current().locale_id == "en"  # type: ignore[union-attr]
        assert template_i18n.current().locale_id == "en"  # type: ignore[union-attr]
        assert calls == [1]


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_the_locale_is_parsed_once_per_language(app: Flask, locale: str) -> None:
    """Flask-Babel's locale comes from the selector as a parsed Locale, the same object in
    every request (issue 15: it parsed the code again in each one)."""
    chosen = []
    for _ in range(2):
        with app.test_request_context(headers={"Cookie": f"{LOCALE_COOKIE}={locale}"}):
            chosen.append(flask_babel.get_locale())
    assert chosen[0] is chosen[1]
    assert str(chosen[0]) == locale


CALLS: list[tuple[str, dict[str, object]]] = [
    ("static", {"filename": "style.css"}), ("static", {"filename": "a b/ä.css"}),
    ("home.index", {}), ("auth.logout", {}), ("cases.index", {}),
    ("cases.index", {"page": 2}), ("cases.view", {"reference": "VP-2026-AB12"}),
    ("home.index", {"_anchor": "main"}), ("home.index", {"_external": True}),
    ("static", {"filename": "style.css", "v": "1"}),
    # one plain string argument: the URL's shape remembered, the value put in (session 7)
    ("cases.view", {"reference": "VP-2026-ZZ99"}), ("cases.edit", {"reference": "VP-2026-AB12"}),
    ("cases.view", {"reference": "MARKER"}), ("cases.view", {"reference": "a b/ä?x=1&y"}),
    ("cases.index", {"page": "3"}), ("cases.index", {"page": 3}),
    ("cases.view", {"reference": "VP-2026-AB12", "_anchor": "notes"}),
    ("cases.edit_contact", {"reference": "VP-2026-AB12", "contact_id": 7}),
    ("admin.reset_password", {"user_id": "12"})]  # a number converter, a string: no shape


BASES = [("http://localhost/", ""), ("http://localhost/o/acme/", "/o/acme"),
         ("http://other.example/o/beta/", "/o/beta"), ("http://other.example/", "")]


def test_the_templates_url_for_writes_what_url_for_writes(app: Flask) -> None:
    """The remembering url_for of templates gives app.url_for's URL for every call, under
    every script root and host, in one application (an organisation's prefix never comes
    from another's)."""
    template_url_for = app.jinja_env.globals["url_for"]
    assert template_url_for is not app.url_for
    for _ in range(2):  # the second round reads what the first remembered
        for base_url, prefix in BASES:
            with app.test_request_context(base_url=base_url):
                for endpoint, values in CALLS:
                    assert template_url_for(endpoint, **values) == app.url_for(endpoint,
                                                                               **values)
                assert template_url_for("static", filename="style.css") == \
                    f"{prefix}/static/style.css"
                assert template_url_for("home.index") == f"{prefix}/"
    # outside a request: app.url_for itself (here: it refuses, no SERVER_NAME)
    with app.app_context(), pytest.raises(RuntimeError):
        template_url_for("home.index")


def test_the_templates_url_for_remembers_nothing_when_url_defaults_exist(app: Flask) -> None:
    template_url_for = app.jinja_env.globals["url_for"]
    with app.test_request_context():
        assert template_url_for("cases.index") == "/cases/"
    app.url_default_functions.setdefault(None, []).append(
        lambda endpoint, values: values.setdefault("status", "open")
        if endpoint == "cases.index" else None)
    with app.test_request_context():
        assert template_url_for("cases.index") == app.url_for("cases.index") \
            == "/cases/?status=open"
