"""Pulse signals on the counsellor's signals page (issue 16): pulse and case patterns side by
side, the same preview-and-release loop, and management's pages showing a released score."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.pulsework import Toolbox, answers, make_round, respond, toolbox
from tests.support.forms import AuthActions, post_form
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.pulse import results
from vp_registry.services.work import Work

PULSE_TOKEN = re.compile(r"/signals/pulse/([0-9a-f]{32})/release")
TODAY = date.today()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(default_locale="en")


def scored(score: int) -> dict[str, int]:
    return answers(score, ps1=8 - score, ps3=8 - score, ps5=8 - score)


@pytest.fixture
def spring(app: Flask, settings: Settings, counsellor: User) -> int:
    """A closed round: Productie scores 3.4 (low), Planning 5.6, Inkoop 2 answers (hidden)."""
    with app.app_context(), db_session_for(app) as session:
        work = Work(session, settings, Actor(counsellor.id, "counsellor"))
        org: Toolbox = toolbox(session, settings)
        row = make_round(work, org, with_codes=False, title="Voorjaarsmeting",
                         opens_on=TODAY - timedelta(days=30),
                         closes_on=TODAY - timedelta(days=16))
        for label, values in {"Productie": [3, 3, 3, 4, 4], "Planning": [6, 6, 6, 5, 5],
                              "Inkoop": [1, 1]}.items():
            for value in values:
                respond(session, settings, row, label, scored(value))
        session.commit()
        return row.id


def _release_results(app: Flask, settings: Settings, counsellor: User, round_id: int) -> None:
    with app.app_context(), db_session_for(app) as session:
        results.release_results(Work(session, settings, Actor(counsellor.id, "counsellor")),
                                round_id)
        session.commit()


def test_pulse_and_case_patterns_side_by_side(client: FlaskClient, spring: int) -> None:
    page = client.get("/signals").get_data(as_text=True)
    cases_at, pulse_at = page.index("From your cases"), page.index("From pulse rounds")
    assert 'class="two-columns signal-sources"' in page and cases_at < pulse_at
    pulse = page[pulse_at:]
    assert "Safety score 3.4 (on a scale of 1 to 7) in Productie in the pulse round " \
           "‘Voorjaarsmeting’" in pulse
    assert "Inkoop" not in page  # below the minimum: never a candidate
    assert "release them first" in pulse and not PULSE_TOKEN.search(page)


def test_release_after_the_results_and_management_sees_the_score(
        app: Flask, settings: Settings, client: FlaskClient, counsellor: User, spring: int,
        create_user: Callable[..., User]) -> None:
    _release_results(app, settings, counsellor, spring)
    page = client.get("/signals").get_data(as_text=True)
    token = PULSE_TOKEN.search(page)
    assert token is not None
    path = f"/signals/pulse/{token.group(1)}/release"
    preview = post_form(client, path, {"actions": ["team_talk"], "context": "Gesprek.",
                                       "step": "preview"}).get_data(as_text=True)
    assert "What management will see" in preview and "Release to management" in preview
    done = post_form(client, path, {"actions": ["team_talk"], "context": "Gesprek.",
                                    "step": "release"})
    assert done.status_code == 302 and "/signals/released/" in done.headers["Location"]

    manager = app.test_client()
    assert AuthActions(manager).login(create_user("manager")).status_code == 302
    overview = manager.get("/management/signals").get_data(as_text=True)
    assert "Safety score 3.4 (on a scale of 1 to 7) in Productie" in overview
    assert "Psychological safety (pulse survey)" in overview
    assert "chart-figure" not in overview  # the band chart has no bar for a score
    export = manager.get("/management/signals.csv").get_data(as_text=True)
    assert "Safety score (1 to 7): 3.4" in export and "Voorjaarsmeting" in export


def test_a_manager_cannot_reach_the_pulse_release(
        app: Flask, create_user: Callable[..., User], spring: int) -> None:
    manager = app.test_client()
    assert AuthActions(manager).login(create_user("manager")).status_code == 302
    assert manager.get(f"/signals/pulse/{'0' * 32}/release").status_code == 403


def test_a_pulse_candidate_is_set_aside_and_reviewed_again(client: FlaskClient,
                                                            spring: int) -> None:
    page = client.get("/signals").get_data(as_text=True)
    token = re.search(r"/signals/pulse/([0-9a-f]{32})/dismiss", page)
    assert token is not None
    post_form(client, f"/signals/pulse/{token.group(1)}/dismiss", {}, form_page="/signals")
    page = client.get("/signals").get_data(as_text=True)
    earlier = page[page.index("Set aside earlier"):]
    assert "Safety score 3.4" in earlier and f"/signals/pulse/{token.group(1)}/restore" in earlier
    assert "No pulse round shows a low or falling safety score." in page
    post_form(client, f"/signals/pulse/{token.group(1)}/restore", {}, form_page="/signals")
    page = client.get("/signals").get_data(as_text=True)
    assert "Set aside earlier" not in page and f"/signals/pulse/{token.group(1)}/dismiss" in page
