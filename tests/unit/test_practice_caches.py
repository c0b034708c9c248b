"""Process-wide caches keep organisations apart (issue 17): the disclosure auditor's component
cache has one space per organisation - no component, witness table or eviction is shared."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from vp_registry.core.disclosure import cache


@pytest.fixture
def namespace() -> Iterator[list[str]]:
    current = ["a"]
    cache.set_namespace(lambda: current[0])
    try:
        yield current
    finally:
        cache.set_namespace(cache._no_namespace)


def test_each_organisation_has_its_own_components(namespace: list[str]) -> None:
    store = cache._ComponentCache(2)
    built: list[str] = []

    def build(name: str) -> Any:
        def make() -> Any:
            built.append(name)
            return object()
        return make

    key: frozenset[Any] = frozenset({("row", 1)})
    first = store.get(key, build("a"))
    assert store.get(key, build("a-again")) is first and built == ["a"]
    namespace[0] = "b"
    second = store.get(key, build("b"))
    assert second is not first and built == ["a", "b"]
    assert store.recent(5, exclude=second) == []  # A's components are no donors for B
    # B filling its space evicts nothing of A's
    for number in range(5):
        store.get(frozenset({("row", 100 + number)}), build(f"b{number}"))
    namespace[0] = "a"
    assert store.get(key, build("a-evicted")) is first
    assert "a-evicted" not in built


def test_the_application_names_the_current_organisation() -> None:
    from vp_registry.app_state import ENVIRON_KEY, cache_namespace
    from vp_registry.services.organisations.registry import Organisation

    assert cache_namespace() == ""
    from flask import Flask

    flask_app = Flask(__name__)
    client = Organisation(2, "bouw-b", "B", None, False, {})
    with flask_app.test_request_context("/", environ_base={ENVIRON_KEY: client}):
        assert cache_namespace() == "bouw-b"
