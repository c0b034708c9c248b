"""Posting forms the way a browser does (CSRF token from the page first) and logging in."""

from __future__ import annotations

import re
from typing import Any

import pyotp
from flask.testing import FlaskClient

from vp_registry.db.accounts import User

DEFAULT_PASSWORD = "Correct-horse-battery-staple-42"
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
