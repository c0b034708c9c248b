"""One typed AppState per application (vp_registry/app_state.py): what a worker shares between
requests belongs to its application, never to another one in the same process."""

from __future__ import annotations

from flask import Flask

from vp_registry import create_app
from vp_registry.app_state import KEY, AppState, app_state
from vp_registry.config import Settings


def test_the_state_is_one_typed_object_under_one_key(app: Flask, settings: Settings) -> None:
    state = app_state(app)
    assert isinstance(state, AppState) and state.settings is settings
    # no other string keys of ours (vp_settings, vp_engine, ...) beside the one state
    assert [key for key in app.extensions if key.startswith("vp_")] == [KEY]
    with app.app_context():
        assert app_state() is state


def test_two_applications_share_no_throttle_cache_or_menu(app: Flask,
                                                          settings: Settings) -> None:
    other = create_app(settings)
    try:
        first, second = app_state(app), app_state(other)
        assert first.contact_throttles is not second.contact_throttles
        assert first.directory is not second.directory
        assert first.case_years is not second.case_years
        assert first.menus is not second.menus
        assert first.session_factory is not second.session_factory
    finally:
        app_state(other).engine.dispose()
