"""Templates whose globals are copied and compared at C speed (issue 15, session 10;
web/speedups/template_globals.py): the same context and the same imported modules as
Jinja's own ``Template``, and a page no longer reads the globals name by name through the
``ChainMap``. Counted, no test here measures time."""

from __future__ import annotations

import collections
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import DictLoader, Environment, Template

from vp_registry.db.accounts import User
from vp_registry.web.speedups.template_globals import FlatGlobalsTemplate

SOURCES = {
    "macros.html": "{% macro shout(text) %}{{ text|upper }}{{ tail }}{% endmacro %}",
    "page.html": ('{% from "macros.html" import shout %}{{ shout(name) }} {{ brand }} '
                  "{{ own }} {{ tail }}"),
}


def _environment(template_class: type[Template]) -> Environment:
    environment = Environment(loader=DictLoader(SOURCES), autoescape=True)
    environment.template_class = template_class
    environment.globals.update(brand="VP", tail="!", own="environment's")
    return environment


@pytest.mark.parametrize("shared", [False, True])
def test_the_context_is_jinjas(shared: bool) -> None:
    contexts = []
    for template_class in (Template, FlatGlobalsTemplate):
        template = _environment(template_class).get_template("page.html",
                                                              globals={"own": "template's"})
        assert type(template) is template_class
        context = template.new_context({"name": "x"}, shared=shared, locals={"extra": 1})
        contexts.append((list(context.parent.items()), context.globals_keys,
                         context.vars, template.render(name="<b>")))
    assert contexts[0] == contexts[1]
    assert contexts[0][3] == "&lt;B&gt;! VP template&#39;s !"


def test_a_global_changed_after_loading_is_seen_as_before() -> None:
    for template_class in (Template, FlatGlobalsTemplate):
        environment = _environment(template_class)
        template = environment.get_template("page.html")
        environment.globals["brand"] = "Registry"
        environment.globals["tail"] = "?"
        assert template.render(name="a") == "A? Registry environment&#39;s ?"


def test_imports_see_the_contexts_extra_globals_as_in_jinja() -> None:
    found: list[Any] = []
    for template_class in (Template, FlatGlobalsTemplate):
        environment = _environment(template_class)
        macros = environment.get_template("macros.html")
        page = environment.get_template("page.html", globals={"tail": "."})
        plain = page.new_context({})
        assert macros._get_default_module(plain) is macros._get_default_module(plain)
        # a context with a global the imported template does not have: a module of its own
        extra = environment.get_template("page.html", globals={"unknown": 1}).new_context({})
        module = macros._get_default_module(extra)
        assert module is not macros._get_default_module(None)
        found.append((str(module.shout("a")), str(macros._get_default_module(plain).shout("a"))))
    assert found[0] == found[1]


def test_a_case_list_reads_no_global_through_the_chain_map(
    app: Flask, client: FlaskClient, counsellor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.get("/cases/")
    reads: list[str] = []
    real = collections.ChainMap.__getitem__

    def counting(self: collections.ChainMap[str, Any], key: str) -> Any:
        reads.append(key)
        return real(self, key)

    monkeypatch.setattr(collections.ChainMap, "__getitem__", counting)
    assert client.get("/cases/").status_code == 200
    assert reads == []
