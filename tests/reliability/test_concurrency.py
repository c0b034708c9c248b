"""Concurrency (DESIGN I-5, I-7): simultaneous writers lose nothing and never fork the audit
chain.

- Two counsellors save the same case (and the same conversation) at the same moment, through
  the web layer in two threads: exactly one save wins, the other gets the conflict page with
  the stored version and their own input kept; nothing is silently overwritten. Runs on
  SQLite and on PostgreSQL. (``tests/integration/test_cases.py`` covers the interleaving in
  the service; ``tests/web/test_cases.py`` the conflict page after a sequential stale save.)
- Under gunicorn with several worker processes on PostgreSQL, parallel clients create cases
  and conversations and race on one shared case: every write is there afterwards, decrypts,
  and the audit chain verifies (no fork). Needs ``VP_TEST_POSTGRES_URL``; CI's PostgreSQL
  pass (``make test-postgres``) sets it.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.casework import VaultSetup, create_vault, department, grant, unlock
from tests.reliability.harness import cli_environment, inspect_database
from tests.reliability.webclient import (
    REFERENCE,
    Browser,
    GunicornServer,
    case_form,
    contact_form,
)
from tests.support.database import POSTGRES_URL
from tests.support.forms import AuthActions, post_form
from tests.support.sessions import db_session_for
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.db.cases import Case
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.reports import activities
from vp_registry.services.reports.activities import ActivityInput
from vp_registry.services.work import Work

ROUNDS = 4


@dataclass
class Team:
    setup: VaultSetup
    department_id: int
    counsellors: list[User]


def _team(app: Flask, settings: Settings, create_user: Callable[..., User], size: int) -> Team:
    setup = create_vault(app, settings)
    members = [create_user("counsellor") for _ in range(size)]
    for member in members:
        grant(app, settings, member, setup.recovery_key)
    with app.app_context(), db_session_for(app) as session:
        department_id = department(session, "Monteurs buitendienst", settings).id
        session.commit()
    return Team(setup, department_id, members)


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together by a barrier; return their results."""
    barrier = threading.Barrier(len(calls))

    def released(call: Callable[[], Any]) -> Any:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result(timeout=120) for future in
                [pool.submit(released, call) for call in calls]]


def test_two_counsellors_saving_the_same_case_at_once_lose_nothing(
    app: Flask, settings: Settings, create_user: Callable[..., User]
) -> None:
    team = _team(app, settings, create_user, 2)
    clients: list[FlaskClient] = [app.test_client(), app.test_client()]
    for client, user in zip(clients, team.counsellors, strict=True):
        assert AuthActions(client).login(user).status_code == 302
    created = post_form(clients[0], "/cases/new", case_form(team.department_id, "begin"))
    assert created.status_code == 302
    reference = REFERENCE.search(created.headers["Location"]).group(0)  # type: ignore[union-attr]
    edit = f"/cases/{reference}/edit"
    for version in range(1, ROUNDS + 1):
        tokens = [_token(client, edit) for client in clients]
        forms = [{"csrf_token": token, **case_form(
            team.department_id, f"ronde {version} door {number}", version=str(version))}
            for number, token in enumerate(tokens)]
        responses = _at_once(*[partial(client.post, edit, data=form)
                               for client, form in zip(clients, forms, strict=True)])
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 302], (version, statuses)
        winner = next(n for n, r in enumerate(responses) if r.status_code == 302)
        loser = responses[1 - winner]
        page = _text(loser)
        assert f"ronde {version} door {winner}" in page  # the stored version is shown
        assert f"ronde {version} door {1 - winner}" in page  # and the loser's input kept
        with db_session_for(app) as session:
            row = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
            assert row.version == version + 1
        shown = _text(clients[0].get(f"/cases/{reference}"))
        assert f"ronde {version} door {winner}" in shown


def test_two_counsellors_saving_the_same_conversation_at_once_lose_nothing(
    app: Flask, settings: Settings, create_user: Callable[..., User]
) -> None:
    team = _team(app, settings, create_user, 2)
    clients: list[FlaskClient] = [app.test_client(), app.test_client()]
    for client, user in zip(clients, team.counsellors, strict=True):
        assert AuthActions(client).login(user).status_code == 302
    created = post_form(clients[0], "/cases/new", case_form(team.department_id, "gesprek"))
    reference = REFERENCE.search(created.headers["Location"]).group(0)  # type: ignore[union-attr]
    added = post_form(clients[0], f"/cases/{reference}/conversations/new",
                      contact_form("eerste notitie"))
    assert added.status_code == 302
    view = clients[0].get(f"/cases/{reference}").get_data(as_text=True)
    contact_path = next(part.split('"')[0] for part in view.split('href="')
                        if part.startswith(f"/cases/{reference}/conversations/")
                        and not part.startswith(f"/cases/{reference}/conversations/new"))
    tokens = [_token(client, contact_path) for client in clients]
    forms = [{"csrf_token": token, **contact_form(f"notitie van {number}"), "version": "1"}
             for number, token in enumerate(tokens)]
    responses = _at_once(*[partial(client.post, contact_path, data=form)
                           for client, form in zip(clients, forms, strict=True)])
    assert sorted(r.status_code for r in responses) == [200, 302]
    winner = next(n for n, r in enumerate(responses) if r.status_code == 302)
    page = _text(responses[1 - winner])
    assert f"notitie van {winner}" in page and f"notitie van {1 - winner}" in page


def test_a_stale_activity_save_keeps_what_was_typed(
    app: Flask, settings: Settings, create_user: Callable[..., User]
) -> None:
    """Found by the hostile-input fuzzing: the activity form answered a conflict by loading
    the stored activity over part of what the counsellor had typed."""
    team = _team(app, settings, create_user, 1)
    user = team.counsellors[0]
    client = app.test_client()
    assert AuthActions(client).login(user).status_code == 302
    actor = Actor(user.id, "counsellor")
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, user)
        made = activities.create_activity(Work(session, settings, actor, keys=keys), ActivityInput(
            held_on=date.today(), activity_type="training", hours=Decimal(2),
            description="Training omstandersgedrag"))
        session.commit()
    path = f"/activities/{made.id}/edit"
    token = _token(client, path)
    with app.app_context(), db_session_for(app) as session:  # a colleague saves meanwhile
        colleague = Work(session, settings, actor, keys=unlock(session, settings, user))
        activities.update_activity(colleague, made.id, made.revision, ActivityInput(
                                       held_on=date.today(), activity_type="training",
                                       hours=Decimal(3), description="Versie van de collega"))
        session.commit()
    mine = {"csrf_token": token, "held_on": date.today().isoformat(),
            "activity_type": "presentation", "hours": "4,5", "description": "Mijn versie",
            "revision": str(made.revision)}
    response = client.post(path, data=mine)
    page = _text(response)
    assert response.status_code == 200
    assert "Mijn versie" in page and 'value="4,5"' in page and "Versie van de collega" \
        not in page
    again = client.post(path, data={**mine, "revision": str(made.revision + 1)})
    assert again.status_code == 302  # saving again is a deliberate overwrite


def _token(client: FlaskClient, path: str) -> str:
    from tests.support.forms import csrf_token

    return csrf_token(client, path)


# ------------------------------------------------------------------ gunicorn


CLIENTS = 6
CASES_EACH = 4


def _work(browser: Browser, department_id: int, number: int) -> list[tuple[str, str]]:
    """Create cases, each with a conversation; returns (reference, marker) pairs."""
    made = []
    for index in range(CASES_EACH):
        marker = f"client {number} case {index}"
        created = browser.post("/cases/new", case_form(department_id, marker))
        assert created.status == 302, (created.status, created.body[:2000])
        reference = REFERENCE.search(created.location).group(0)  # type: ignore[union-attr]
        added = browser.post(f"/cases/{reference}/conversations/new",
                             contact_form(f"notes of {marker}"))
        assert added.status == 302, (added.status, added.body[:2000])
        made.append((reference, marker))
    return made


def _race_on_one_case(browsers: list[Browser], department_id: int) -> tuple[str, str]:
    """Every client opens the same case and saves it at the same moment: exactly one wins,
    every other gets the conflict page. Returns (reference, the winner's text)."""
    created = browsers[0].post("/cases/new", case_form(department_id, "gedeeld"))
    reference = REFERENCE.search(created.location).group(0)  # type: ignore[union-attr]
    edit = f"/cases/{reference}/edit"
    tokens = [browser.csrf_token(edit) for browser in browsers]

    def save(number: int) -> Any:
        fields = [("csrf_token", tokens[number])]
        for key, value in case_form(department_id, f"versie van {number}", version="1").items():
            fields.extend((key, str(v)) for v in (value if isinstance(value, list) else [value]))
        return browsers[number].request("POST", edit, urlencode(fields))

    responses = _at_once(*[partial(save, number) for number in range(len(browsers))])
    statuses = [r.status for r in responses]
    assert statuses.count(302) == 1 and statuses.count(200) == len(browsers) - 1, statuses
    winner = statuses.index(302)
    for number, response in enumerate(responses):
        if number != winner:  # the conflict page: the stored version and their own input
            page = html.unescape(response.body)
            assert f"versie van {winner}" in page and f"versie van {number}" in page
    return reference, f"versie van {winner}"


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL: set VP_TEST_POSTGRES_URL "
                                             "(make test-postgres does)")
def test_parallel_clients_under_gunicorn_lose_no_write_and_keep_one_audit_chain(
    app: Flask, settings: Settings, create_user: Callable[..., User], database_url: str,
    tmp_path: Path
) -> None:
    team = _team(app, settings, create_user, CLIENTS)
    env = cli_environment(settings, database_url)
    with GunicornServer(env, workers=3, log=tmp_path / "gunicorn.log") as server:
        browsers = [Browser(server.port) for _ in team.counsellors]
        try:
            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(lambda pair: pair[0].login(
                    pair[1].email, pair[1].test_password, pair[1].test_totp_secret),
                    zip(browsers, team.counsellors, strict=True)))
                futures = [pool.submit(_work, browser, team.department_id, number)
                           for number, browser in enumerate(browsers)]
                made = [pair for future in futures for pair in future.result(timeout=300)]
            shared, winner_text = _race_on_one_case(browsers, team.department_id)
        finally:
            for browser in browsers:
                browser.close()
        errors = server.server_errors()
    assert not errors, errors

    assert len(made) == CLIENTS * CASES_EACH
    state = inspect_database(database_url, settings, team.setup.recovery_key)
    for reference, marker in made:
        stored = state.cases[reference]
        assert stored.narrative == marker
        assert [notes for _day, _minutes, notes in stored.contacts] == [f"notes of {marker}"]
    assert state.cases[shared].narrative == winner_text
    assert len(state.cases) == CLIENTS * CASES_EACH + 1
    with Session(app_state(app).engine) as session:
        actions: dict[str, int] = {action: count for action, count in session.execute(
            select(AuditEntry.action, func.count()).group_by(AuditEntry.action))}
    assert actions["case.create"] == CLIENTS * CASES_EACH + 1
    assert actions["contact.create"] == CLIENTS * CASES_EACH
    assert actions["case.update"] == 1
    # inspect_database verified the whole chain: one line of entries, no fork, no gap
