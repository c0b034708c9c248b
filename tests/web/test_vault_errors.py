"""The areas that decrypt answer a locked vault with the explanation page and an unknown
record with the 404 page (web.cases.common.answer_vault_errors)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from vp_registry.db.accounts import User

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
