"""A client organisation's PostgreSQL engine pings its pooled connections as the main engine
does (vp_registry/db/liveness.py; issue 17, session 8): no round trip at a checkout of a live,
recently used connection - /clients checks out one per organisation -, and a killed backend
is replaced at checkout. Pings are counted, no time is measured.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.support.database import POSTGRES_URL
from tests.support.pg_backends import backend_of, counted_pings, kill_the_pooled_backend
from vp_registry.config import Settings
from vp_registry.core.crypto import FAST_KDF_FOR_TESTS
from vp_registry.db import make_engine
from vp_registry.services.infrastructure import schema
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.databases import OrganisationDatabases
from vp_registry.services.work import Work

pytestmark = pytest.mark.skipif(not POSTGRES_URL,
                                reason="needs PostgreSQL: set VP_TEST_POSTGRES_URL")


@pytest.fixture
def client_engine(database_url: str, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, list[int]]]:
    main = make_engine(database_url)
    schema.upgrade(main)
    databases = OrganisationDatabases(main)
    settings = Settings(environment="development", secret_key=secrets.token_urlsafe(48),
                        audit_key=secrets.token_urlsafe(48), database_url=database_url,
                        instance_path=str(tmp_path / "instance"),
                        password_kdf=FAST_KDF_FOR_TESTS, testing=True)
    with databases.main_sessions() as session:
        client = registry.create_organisation(Work(session, settings, Actor.system()),
                                              databases, slug="ping-1", name="Ping B.V.")
        session.commit()
    engine = databases.engine(client)
    pings = counted_pings(engine, monkeypatch)
    try:
        yield engine, pings
    finally:
        databases.dispose_all()
        main.dispose()


def test_a_client_engine_pings_no_live_recent_connection(
        client_engine: tuple[Engine, list[int]]) -> None:
    engine, pings = client_engine
    assert not engine.pool._pre_ping
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW search_path").scalar() == "org_ping_1"
    assert pings == []


def test_a_client_engine_replaces_a_killed_backend(
        client_engine: tuple[Engine, list[int]]) -> None:
    engine, pings = client_engine
    killed = kill_the_pooled_backend(engine)
    with engine.connect() as connection:
        assert backend_of(connection) != killed
        assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1
    assert pings
