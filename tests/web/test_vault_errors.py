"""The areas that decrypt answer a locked vault with the explanation page and an unknown
record with the 404 page; each has one handler, the application's (web.access for access
errors, web.errors for NotFound)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient

from vp_registry.core.taxonomy import Role
from vp_registry.db.accounts import User
from vp_registry.services.errors import AccessDenied, DomainError, NoGrant, NotFound, VaultLocked
from vp_registry.web.access import roles

DECRYPTING_PAGES = ("/cases/", "/activities", "/reports/2025")


@pytest.mark.parametrize("path", DECRYPTING_PAGES)
def test_without_the_vault_key_each_area_explains_instead(
    client: FlaskClient, login_as: Callable[[str], User], path: str
) -> None:
    login_as("counsellor")  # no vault yet: nobody holds the key
    response = client.get(path)
    assert response.status_code == 200
    assert "vp-registry vault recover --email" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ("/cases/VP-2026-ZZZZ", "/activities/987654/edit",
                                  "/cases/VP-2026-ZZZZ/conversations/987654"))
def test_an_unknown_record_is_not_found(client: FlaskClient, counsellor: User,
                                        path: str) -> None:
    assert client.get(path).status_code == 404


def test_access_errors_are_not_domain_errors() -> None:
    """A locked vault or a revoked grant is an access answer, never a form message: no
    ``except DomainError`` may turn it into one (issue 13)."""
    for error in (VaultLocked, NoGrant):
        assert issubclass(error, AccessDenied)
        assert not issubclass(error, DomainError)


def test_one_handler_for_access_errors_in_the_whole_application(app: Flask) -> None:
    """No blueprint answers access errors itself: the application has the one handler."""
    for blueprint, by_code in app.error_handler_spec.items():
        for handlers in by_code.values():
            access = [kind for kind in handlers if issubclass(kind, AccessDenied)]
            assert blueprint is None or not access, (blueprint, access)
    assert AccessDenied in app.error_handler_spec[None][None]


def test_an_access_error_in_any_area_shows_the_explanation_page(
    app: Flask, client: FlaskClient, login_as: Callable[[str], User]
) -> None:
    """Also where no area registered a handler (this blueprint is new), a locked vault shows
    the explanation page, not the 500 page."""
    elsewhere = Blueprint("elsewhere", __name__)

    @elsewhere.get("/elsewhere")
    @roles(Role.COUNSELLOR)
    def locked() -> str:
        raise VaultLocked()

    app.register_blueprint(elsewhere)
    login_as("counsellor")
    response = client.get("/elsewhere")
    assert response.status_code == 200
    assert "vp-registry vault recover --email" in response.get_data(as_text=True)


def test_an_unknown_record_in_any_area_is_the_404_page(
    app: Flask, client: FlaskClient, login_as: Callable[[str], User]
) -> None:
    """One handler of NotFound for the whole application, as for access errors: no area
    registers its own, and one that did not (this blueprint is new) no longer answers 500."""
    for blueprint, by_code in app.error_handler_spec.items():
        for handlers in by_code.values():
            assert blueprint is None or NotFound not in handlers, blueprint
    elsewhere = Blueprint("nowhere", __name__)

    @elsewhere.get("/nowhere")
    @roles(Role.COUNSELLOR)
    def missing() -> str:
        raise NotFound()

    app.register_blueprint(elsewhere)
    login_as("counsellor")
    assert client.get("/nowhere").status_code == 404
