"""One budget of login failures per client address for the whole installation (issue 17).

Each client organisation has its own database; counted there, an address guessing passwords
would get a fresh budget in every organisation it tries (50 organisations: 50 budgets). The
address rows are kept in the main database for all of them; the account rows stay in the
account's own organisation.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from tests.organisationwork import Client, create_client
from vp_registry.app_state import practice_state
from vp_registry.config import Settings
from vp_registry.db.accounts import LoginThrottle
from vp_registry.services.accounts import authentication
from vp_registry.services.errors import AuthenticationFailed, Throttled
from vp_registry.services.infrastructure import throttle
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work

ADDRESS = "203.0.113.77"


def _fail(client: Client, email: str, address: str = ADDRESS) -> None:
    """One wrong password at ``client``'s login, committed as the login page commits it."""
    with client.factory() as session:
        work = Work(session, client.settings, Actor.anonymous())
        with pytest.raises(AuthenticationFailed):
            authentication.check_password(work, email, "wrong password 123", address)
        session.commit()


def _refused(client: Client, email: str, address: str = ADDRESS) -> bool:
    with client.factory() as session:
        work = Work(session, client.settings, Actor.anonymous())
        try:
            authentication.check_password(work, email, "wrong password 123", address)
        except Throttled:
            return True
        except AuthenticationFailed:
            session.commit()
        return False


@pytest.fixture
def clients(app: Flask, settings: Settings) -> list[Client]:
    return [create_client(app, settings, f"budget-{n}", data=False) for n in range(3)]


def test_an_address_has_one_budget_across_organisations(settings: Settings,
                                                         clients: list[Client]) -> None:
    free = settings.throttle_free_attempts
    for n in range(free):  # spread over the organisations, a different account each time
        client = clients[n % 2]
        _fail(client, f"guess{n}@example.org")
    # the budget is spent: the third organisation, never tried before, refuses at once
    assert _refused(clients[2], "someone@example.org")
    assert not _refused(clients[2], "someone@example.org", address="198.51.100.9")


def test_address_rows_are_kept_in_the_main_database_only(app: Flask, settings: Settings,
                                                         clients: list[Client]) -> None:
    _fail(clients[0], "a@example.org")
    with clients[0].factory() as session:
        keys = list(session.execute(select(LoginThrottle.key)).scalars())
    assert keys and all(key.startswith(throttle.ACCOUNT) for key in keys)
    with practice_state(app).session_factory() as session:
        keys = list(session.execute(select(LoginThrottle.key)).scalars())
    assert keys and all(key.startswith(throttle.ADDRESS) for key in keys)
    assert not any(ADDRESS in key for key in keys)  # hashed, as before


def test_an_accounts_budget_stays_its_own_organisations(settings: Settings,
                                                        clients: list[Client]) -> None:
    email = "same@example.org"  # the same address in two organisations: two accounts
    for n in range(settings.throttle_free_attempts):
        _fail(clients[0], email, address=f"192.0.2.{n + 1}")
    assert _refused(clients[0], email, address="192.0.2.200")
    assert not _refused(clients[1], email, address="192.0.2.201")
