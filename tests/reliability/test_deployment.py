"""Behind a reverse proxy (docs/operations.md): forms work over https, and the client address
used for login throttling comes from X-Forwarded-For only when TRUSTED_PROXIES says so."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.forms import AuthActions, post_form
from vp_registry import create_app
from vp_registry.app_state import app_state
from vp_registry.config import ConfigurationError, Settings
from vp_registry.db.accounts import User


def test_forms_work_when_the_proxy_says_https(
    app: Flask, create_user: Callable[..., User]
) -> None:
    """gunicorn marks a request https when the proxy on 127.0.0.1 sends X-Forwarded-Proto.
    With Flask-WTF's strict Referer check and our no-referrer policy every POST was then a
    400 'referrer header is missing' (found by trying the documented set-up)."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    user = create_user("admin")
    assert AuthActions(client).login(user).status_code == 302
    assert client.get("/start").status_code == 200


def _failed_login_from(client: FlaskClient, address: str, number: int) -> int:
    response = post_form(client, "/login", {"email": f"nobody{number}@example.org",
                                            "password": "Verkeerd-wachtwoord-123"},
                         headers={"X-Forwarded-For": address})
    return int(response.status_code)


@pytest.mark.parametrize("trusted", [0, 1])
def test_throttling_per_client_uses_the_forwarded_address_only_when_trusted(
    settings: Settings, trusted: int
) -> None:
    app = create_app(settings.with_overrides(trusted_proxies=trusted))
    from vp_registry.services.infrastructure import schema

    schema.upgrade(app_state(app).engine)
    attacker, other = app.test_client(), app.test_client()
    answers = [_failed_login_from(attacker, "203.0.113.9", n)
               for n in range(settings.throttle_free_attempts + 2)]
    assert answers[-1] == 429  # the attacker's address is locked out
    bystander = _failed_login_from(other, "198.51.100.7", 99)
    # trusted: another client address is not affected; untrusted: X-Forwarded-For is
    # ignored (it could be forged), every request comes from the same peer
    assert bystander == (200 if trusted else 429)
    app_state(app).engine.dispose()


def test_trusted_proxies_is_bounded() -> None:
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        Settings(environment="development", secret_key="s" * 40, audit_key="a" * 40,
                 trusted_proxies=9).validated()
