"""Shared fixtures (flaskr / Indico style): settings, app, client, runner, factories, login.

Every test gets a fresh database: SQLite in a temporary directory by default, or a fresh
PostgreSQL database when ``VP_TEST_POSTGRES_URL`` is set (CI runs the suite both ways).
"""

from __future__ import annotations

import os
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from vp_registry import create_app
from vp_registry.config import Settings
from vp_registry.core.crypto import FAST_KDF_FOR_TESTS
from vp_registry.db.accounts import User
from vp_registry.services import accounts, schema
from vp_registry.services.audit import Actor

if TYPE_CHECKING:
    from tests.casework import VaultSetup

POSTGRES_URL = os.environ.get("VP_TEST_POSTGRES_URL", "")
DEFAULT_PASSWORD = "Correct-horse-battery-staple-42"


def _fresh_postgres_database() -> Iterator[str]:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = "vp_test_" + uuid.uuid4().hex[:12]
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(POSTGRES_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if POSTGRES_URL:
        yield from _fresh_postgres_database()
    else:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"


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
def app(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings)
    schema.upgrade(application.extensions["vp_engine"])
    with application.app_context():
        from vp_registry.services import organisation

        with db_session_for(application) as session:
            organisation.ensure_default_categories(session)
            session.commit()
    yield application
    application.extensions["vp_engine"].dispose()


class db_session_for:
    def __init__(self, app: Flask) -> None:
        self.session: Session = app.extensions["vp_session_factory"]()

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, *exc: object) -> None:
        self.session.close()


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
            user = accounts.create_user(
                session, settings, Actor.system(),
                email=email or f"{role}{number}@example.org",
                display_name=display_name or f"{role.title()} {number}", role=role,
                password=password, must_change_password=must_change_password,
            )
            if enrolled:
                secret = pyotp.random_base32(32)
                accounts.complete_enrolment(session, settings, user, secret,
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


CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    match = CSRF_PATTERN.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {response.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, Any], *,
              form_page: str | None = None, **kwargs: Any) -> Any:
    """POST a form the way a browser does: fetch the page for its CSRF token first."""
    token = csrf_token(client, form_page or path)
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user: User, *, password: str | None = None) -> Any:
        response = post_form(self.client, "/login", {
            "email": user.email, "password": password or user.test_password})  # type: ignore[attr-defined]
        if response.status_code != 302 or not response.headers["Location"].endswith("/login/code"):
            return response
        code = pyotp.TOTP(user.test_totp_secret).now()  # type: ignore[attr-defined]
        return post_form(self.client, "/login/code", {"code": code})

    def logout(self) -> Any:
        return post_form(self.client, "/logout", {}, form_page="/start")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def vault_setup(app: Flask, settings: Settings) -> VaultSetup:
    """The vault as ``vp-registry init`` leaves it: the recovery key is the way in for the
    first counsellor."""
    from tests.casework import create_vault  # tests.casework imports this module

    return create_vault(app, settings)


@pytest.fixture
def counsellor_with_vault(app: Flask, settings: Settings, create_user: Callable[..., User],
                          vault_setup: VaultSetup) -> Callable[..., User]:
    """Factory: a counsellor who holds a grant on this test's vault (not logged in), the world
    every case, signal, report and contact test starts from. Keyword arguments go to
    ``create_user``; the user carries the vault's ``recovery_key`` for the tests that need it."""
    from tests.casework import grant  # tests.casework imports this module

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
