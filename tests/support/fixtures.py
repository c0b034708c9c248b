"""The shared fixtures (flaskr / Indico style): settings, app, client, runner, factories, login.

Loaded for the whole suite by ``pytest_plugins`` in tests/conftest.py. Every test gets a
database of its own (see ``database``): a copy of the run's migrated template when the test
uses the app, an empty one otherwise.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from tests.support.database import (
    POSTGRES_URL,
    copy_sqlite_file,
    fresh_postgres_database,
    migrate,
    migrated_template,
    sqlite_path,
)
from tests.support.forms import DEFAULT_PASSWORD, AuthActions
from tests.support.sessions import db_session_for
from vp_registry import create_app
from vp_registry.app_state import app_state
from vp_registry.config import Settings
from vp_registry.core.crypto import FAST_KDF_FOR_TESTS
from vp_registry.db.accounts import User
from vp_registry.services.accounts import authentication, users
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work
from vp_registry.web.request_log import NoAddressRequestHandler

if TYPE_CHECKING:
    from tests.casework import VaultSetup


@dataclass(frozen=True)
class Database:
    url: str
    migrated: bool  # a copy of the template: schema at head, default categories


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated once per run (per xdist worker); never connected to by a test."""
    with migrated_template(tmp_path_factory.mktemp("template")) as url:
        yield url


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """This test's database. A test that uses ``app`` gets a copy of the migrated template
    (what ``app`` would otherwise migrate itself); any other test an empty database."""
    migrated = "app" in request.fixturenames
    template = request.getfixturevalue("database_template") if migrated else None
    if POSTGRES_URL:
        name = str(sa.engine.make_url(template).database) if template else None
        databases = fresh_postgres_database(template=name)
        try:
            yield Database(next(databases), migrated)
        finally:
            databases.close()
        return
    path = tmp_path / "test.sqlite3"
    if template:
        copy_sqlite_file(sqlite_path(template), path)
    yield Database(f"sqlite:///{path}", migrated)


@pytest.fixture
def database_url(database: Database) -> str:
    return database.url


@pytest.fixture
def fast_kdf() -> Any:
    """Cheap Argon2 parameters so tests do not spend seconds hashing (SecureDrop pattern)."""
    return FAST_KDF_FOR_TESTS


@pytest.fixture
def settings(tmp_path: Path, database_url: str, fast_kdf: Any) -> Settings:
    return Settings(
        environment="development",
        secret_key=secrets.token_urlsafe(48),
        audit_key=secrets.token_urlsafe(48),
        backup_key=secrets.token_urlsafe(48),
        database_url=database_url,
        instance_path=str(tmp_path / "instance"),
        password_kdf=fast_kdf,
        testing=True,
    )


@pytest.fixture
def app(settings: Settings, database: Database) -> Iterator[Flask]:
    application = create_app(settings)
    if not (database.migrated and settings.database_url == database.url):
        migrate(settings.database_url)  # a module's settings point elsewhere
    yield application
    app_state(application).databases.dispose_all()  # client organisations' engines (issue 17)
    app_state(application).engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A service-layer session; tests commit explicitly where the request would."""
    with app.app_context(), db_session_for(app) as session:
        yield session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def create_user(app: Flask, settings: Settings) -> Callable[..., User]:
    """Factory: an account, by default enrolled in TOTP with a known secret and password."""
    counter = iter(range(1, 10_000))

    def make(role: str = "counsellor", *, email: str | None = None,
             password: str = DEFAULT_PASSWORD, enrolled: bool = True,
             must_change_password: bool = False, display_name: str | None = None) -> User:
        number = next(counter)
        with app.app_context(), db_session_for(app) as session:
            user = users.create_user(
                Work(session, settings, Actor.system()),
                email=email or f"{role}{number}@example.org",
                display_name=display_name or f"{role.title()} {number}", role=role,
                password=password, must_change_password=must_change_password,
            )
            if enrolled:
                secret = pyotp.random_base32(32)
                authentication.complete_enrolment(Work(session, settings, Actor.system()),
                                                  user, secret,
                                            pyotp.TOTP(secret).now(), None)
                user.totp_last_step = 0  # let the test log in with the current code
                user.test_totp_secret = secret  # type: ignore[attr-defined]
            session.commit()
            session.expunge(user)
            if enrolled:
                user.test_totp_secret = secret  # type: ignore[attr-defined]
            user.test_password = password  # type: ignore[attr-defined]
            return user

    return make


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def vault_setup(app: Flask, settings: Settings) -> VaultSetup:
    """The vault as ``vp-registry init`` leaves it: the recovery key is the way in for the
    first counsellor."""
    from tests.casework import create_vault

    return create_vault(app, settings)


@pytest.fixture
def counsellor_with_vault(app: Flask, settings: Settings, create_user: Callable[..., User],
                          vault_setup: VaultSetup) -> Callable[..., User]:
    """Factory: a counsellor who holds a grant on this test's vault (not logged in), the world
    every case, signal, report and contact test starts from. Keyword arguments go to
    ``create_user``; the user carries the vault's ``recovery_key`` for the tests that need it."""
    from tests.casework import grant

    def make(**user_fields: Any) -> User:
        user = create_user("counsellor", **user_fields)
        grant(app, settings, user, vault_setup.recovery_key)
        user.recovery_key = vault_setup.recovery_key  # type: ignore[attr-defined]
        return user

    return make


@pytest.fixture
def login_as(client: FlaskClient, create_user: Callable[..., User]) -> Callable[[str], User]:
    """Create a user of ``role`` and log the test client in as that user."""

    def login(role: str) -> User:
        user = create_user(role)
        response = AuthActions(client).login(user)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return login


@pytest.fixture
def real_server(app: Flask) -> Iterator[str]:
    """The app behind the request handler of ``vp-registry run``."""
    server = make_server("127.0.0.1", 0, app, threaded=True,
                         request_handler=NoAddressRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def one_audit_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Audit entries in lane 1 only, as a release before migration 0018 wrote them: for a
    test that takes a database below 0018 (which refuses a log with other lanes)."""
    monkeypatch.setattr(audit, "lane_of", lambda _connection: 1)
