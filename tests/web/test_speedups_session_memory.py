"""A web session's decrypted case-list rows kept in the worker's memory (issue 15, session 7).

The case list decrypts only the rows this session has not been shown unchanged; a change made
by another request or worker is seen at once (the row differs), an erased case is gone, and
the memory dies with the session: logout, a vault that no longer opens, the idle timeout.
Never shared between sessions. Counted with a wrapper around the listing decryption; no test
here measures time (figures: benchmarks/bench_lean.py, docs/decisions.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, update

from tests.casework import case_input, department, unlock
from tests.support.forms import AuthActions
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.db.vault import VaultGrant
from vp_registry.services.cases import codec, lifecycle
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work
from vp_registry.web.i18n import LOCALE_COOKIE
from vp_registry.web.speedups import session_memory

TODAY = date.today()
REFERENCE = re.compile(r"VP-\d{4}-[0-9A-Z]{4}")
CATEGORY_CELL = 'data-label="Categories">Work pressure<'


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    client.set_cookie(LOCALE_COOKIE, "en")


@pytest.fixture
def decrypted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The case ids whose listing is decrypted, in order."""
    seen: list[int] = []
    real = codec.decode_listing

    def counting(crypter: Any, case_id: int, blob: bytes) -> dict[str, Any]:
        seen.append(case_id)
        return real(crypter, case_id, blob)

    monkeypatch.setattr(codec, "decode_listing", counting)
    yield seen


def _make_cases(app: Flask, settings: Settings, user: User, count: int) -> list[str]:
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, user)
        dept = department(session, "Werkplaats", settings).id
        work = Work(session, settings, Actor(user.id, "counsellor"), keys=keys)
        references = [lifecycle.create_case(work, case_input(
            dept, opened_on=TODAY - timedelta(days=number)), today=TODAY).reference
            for number in range(count)]
        session.commit()
    return references


def _change(app: Flask, settings: Settings, user: User, reference: str,
            action: Callable[[Work, Any], None]) -> None:
    """Another unit of work (another request or worker) changes a case."""
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, user)
        work = Work(session, settings, Actor(user.id, "counsellor"), keys=keys)
        action(work, lifecycle.read_case(work, reference))
        session.commit()


def _second_session(app: Flask, user: User) -> FlaskClient:
    """Another browser of the same counsellor (a second login within the same 30 seconds)."""
    with db_session_for(app) as session:
        session.execute(update(User).where(User.id == user.id).values(totp_last_step=0))
        session.commit()
    other = app.test_client()
    other.set_cookie(LOCALE_COOKIE, "en")
    assert AuthActions(other).login(user).status_code == 302
    return other


def _remembered(app: Flask) -> int:
    with app.app_context():
        return session_memory.remembered_sessions()


def test_rows_shown_before_are_not_decrypted_again(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User,
    decrypted: list[int]
) -> None:
    references = _make_cases(app, settings, counsellor, 3)
    first = client.get("/cases/").get_data(as_text=True)
    assert len(decrypted) == 3
    again = client.get("/cases/").get_data(as_text=True)
    assert len(decrypted) == 3  # nothing decrypted for the same rows
    assert set(REFERENCE.findall(again)) == set(references)
    assert _without_tokens(again) == _without_tokens(first)


def test_a_new_case_is_decrypted_alone_and_counted(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User,
    decrypted: list[int]
) -> None:
    """The page's count comes with its rows (session 8) but is not part of what a kept row
    is compared with: a case added elsewhere is the only row decrypted, and counted."""
    _make_cases(app, settings, counsellor, 3)
    assert "3 cases in total." in client.get("/cases/").get_data(as_text=True)
    assert len(decrypted) == 3
    _make_cases(app, settings, counsellor, 1)
    page = client.get("/cases/").get_data(as_text=True)
    assert len(decrypted) == 4 and "4 cases in total." in page


def test_a_change_by_another_request_is_seen_and_an_erased_case_is_gone(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User,
    decrypted: list[int]
) -> None:
    references = _make_cases(app, settings, counsellor, 3)
    assert CATEGORY_CELL not in client.get("/cases/").get_data(as_text=True)

    def recategorise(work: Work, record: Any) -> None:
        lifecycle.update_case(work, record.reference, record.version, case_input(
            record.department_id, opened_on=record.opened_on, categories=("werkdruk",)),
            today=TODAY)

    _change(app, settings, counsellor, references[0], recategorise)
    before = len(decrypted)
    page = client.get("/cases/").get_data(as_text=True)
    assert len(decrypted) == before + 1  # only the changed row
    assert CATEGORY_CELL in page
    _change(app, settings, counsellor, references[1],
            lambda work, record: lifecycle.erase_case(work, record.reference, record.version))
    page = client.get("/cases/").get_data(as_text=True)
    assert references[1] not in page and references[0] in page and references[2] in page


def test_logout_drops_the_sessions_memory(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User
) -> None:
    _make_cases(app, settings, counsellor, 2)
    before = _remembered(app)
    assert client.get("/cases/").status_code == 200
    assert _remembered(app) == before + 1
    AuthActions(client).logout()
    assert _remembered(app) == before


def test_sessions_never_share_their_memory(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User,
    decrypted: list[int]
) -> None:
    """A second session of the same counsellor decrypts its rows itself."""
    _make_cases(app, settings, counsellor, 3)
    client.get("/cases/")
    assert len(decrypted) == 3
    other = _second_session(app, counsellor)
    assert other.get("/cases/").status_code == 200
    assert len(decrypted) == 6


def test_a_vault_that_no_longer_opens_drops_the_memory(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User
) -> None:
    _make_cases(app, settings, counsellor, 2)
    before = _remembered(app)
    client.get("/cases/")
    assert _remembered(app) == before + 1
    with app.app_context(), db_session_for(app) as session:  # the grant is revoked
        session.execute(delete(VaultGrant).where(VaultGrant.user_id == counsellor.id))
        session.commit()
    page = client.get("/cases/")
    assert page.status_code == 200 and not REFERENCE.findall(page.get_data(as_text=True))
    assert _remembered(app) == before


def test_memory_unused_for_the_idle_timeout_is_swept(
    app: Flask, settings: Settings, client: FlaskClient, counsellor: User,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    _make_cases(app, settings, counsellor, 2)
    clock = [1_000_000.0]
    monkeypatch.setattr(session_memory.time, "monotonic", lambda: clock[0])
    client.get("/cases/")
    remembered = _remembered(app)
    assert remembered >= 1
    other = _second_session(app, counsellor)
    clock[0] += 60 * settings.session_idle_minutes + session_memory._SWEEP_SECONDS
    assert other.get("/cases/").status_code == 200  # sweeps the first session's memory
    assert _remembered(app) == 1


def _without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)
