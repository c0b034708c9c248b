"""A round's results (issue 16): the counsellor's preview (groups below the minimum as "too
few answers"), the release, the comments (counsellor only), and management's pages - released
rounds only; any other round id answers 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.casework import department
from tests.support.forms import AuthActions, post_form
from tests.support.sessions import db_session_for
from tests.web.pulse_pages import answer, create_round, public_token
from vp_registry.config import Settings
from vp_registry.db.accounts import User

MARKER = "Graag vaker teamoverleg"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Three answers make a group (k = 3, minimum 3), English pages."""
    return settings.with_overrides(default_locale="en", pulse_min_responses=3, disclosure_k=3)


@pytest.fixture
def staff(app: Flask, settings: Settings, counsellor_with_vault: Callable[..., User]
          ) -> FlaskClient:
    with app.app_context(), db_session_for(app) as session:
        for name in ("Magazijn", "Klantenservice", "Financien"):
            department(session, name, settings, headcount=40)
        session.commit()
    client = app.test_client()
    assert AuthActions(client).login(counsellor_with_vault()).status_code == 302
    return client


@pytest.fixture
def manager(app: Flask, create_user: Callable[..., User]) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(create_user("manager")).status_code == 302
    return client


def _answered_and_closed(app: Flask, staff: FlaskClient) -> int:
    """A round without codes: four answers from Magazijn, one from Klantenservice; closed."""
    round_id = create_round(staff, with_codes="open")
    token = public_token(staff, round_id)
    for number, value in enumerate((6, 6, 5, 7)):
        respondent = app.test_client()
        text = MARKER if number == 0 else ""
        assert answer(respondent, token, group="Magazijn", value=value,
                      free_text=text).status_code == 302
    assert answer(app.test_client(), token, group="Klantenservice",
                  value=1).status_code == 302
    assert post_form(staff, f"/pulse/{round_id}/close", {"confirmed": "1"},
                     form_page=f"/pulse/{round_id}").status_code == 302
    return round_id


def test_preview_release_and_management_see_the_same_protected_figures(
    app: Flask, staff: FlaskClient, manager: FlaskClient,
) -> None:
    round_id = _answered_and_closed(app, staff)
    assert manager.get(f"/management/pulse/{round_id}").status_code == 404  # not released
    assert "Pulsmeting voorjaar" not in manager.get("/management/pulse").get_data(as_text=True)

    preview = staff.get(f"/pulse/{round_id}/results").get_data(as_text=True)
    assert "What management will see" in preview
    assert "Magazijn" in preview and "too few answers" in preview
    assert "Release to management" in preview
    assert MARKER not in preview

    released = post_form(staff, f"/pulse/{round_id}/results", {"step": "release"})
    assert released.status_code == 302
    after = staff.get(f"/pulse/{round_id}/results").get_data(as_text=True)
    assert "These results have been released to management." in after
    assert "Release to management" not in after

    listing = manager.get("/management/pulse").get_data(as_text=True)
    assert "Pulsmeting voorjaar" in listing and f"/management/pulse/{round_id}" in listing
    assert "(the departments shown)" in listing  # Klantenservice is hidden: the score says so
    page = manager.get(f"/management/pulse/{round_id}").get_data(as_text=True)
    assert "Magazijn" in page and "too few answers" in page
    assert MARKER not in page
    # Klantenservice's one answer shows as no figure of its own
    assert "too few answers" in _row(page, "Klantenservice")
    assert "too few answers" not in _row(page, "Magazijn")


def _row(page: str, label: str) -> str:
    """The summary table's row of a group."""
    table = page[page.index("pulse-summary"):]
    table = table[:table.index("</table>")]
    rows = [row for row in table.split("<tr") if f">{label}</th>" in row]
    assert len(rows) == 1, (label, table)
    return rows[0]


def test_the_pages_speak_dutch(app: Flask, staff: FlaskClient) -> None:
    staff.set_cookie("vp_lang", "nl")
    round_id = create_round(staff, with_codes="open")
    assert "Nieuwe pulsmeting" in staff.get("/pulse/new").get_data(as_text=True)
    page = staff.get(f"/pulse/{round_id}").get_data(as_text=True)
    assert "De link om te antwoorden" in page and "Pulsmeting sluiten" in page
    assert post_form(staff, f"/pulse/{round_id}/close", {"confirmed": "1"},
                     form_page=f"/pulse/{round_id}").status_code == 302
    results = staff.get(f"/pulse/{round_id}/results").get_data(as_text=True)
    assert "te weinig antwoorden" in results and "Wat het management te zien krijgt" in results


def test_results_wait_for_the_round_to_close(
    app: Flask, staff: FlaskClient, manager: FlaskClient,
) -> None:
    round_id = create_round(staff, with_codes="open")
    token = public_token(staff, round_id)
    for _respondent in range(4):
        assert answer(app.test_client(), token, group="Magazijn").status_code == 302
    page = staff.get(f"/pulse/{round_id}/results").get_data(as_text=True)
    assert "after it has closed" in page and "Release to management" not in page
    assert "4 answers so far." in page and "Score" not in page  # no figures while open
    refused = post_form(staff, f"/pulse/{round_id}/results", {"step": "release"})
    assert refused.status_code == 200  # a release sent anyway is refused, with the reason
    text = refused.get_data(as_text=True)
    assert "The results have not been released." in text and "Close the round first" in text
    assert manager.get(f"/management/pulse/{round_id}").status_code == 404


def test_comments_are_for_counsellors_only(
    app: Flask, staff: FlaskClient, manager: FlaskClient, create_user: Callable[..., User],
) -> None:
    round_id = _answered_and_closed(app, staff)
    page = staff.get(f"/pulse/{round_id}/comments").get_data(as_text=True)
    assert MARKER in page
    assert manager.get(f"/pulse/{round_id}/comments").status_code == 403
    admin = app.test_client()
    assert AuthActions(admin).login(create_user("admin")).status_code == 302
    assert admin.get(f"/pulse/{round_id}/comments").status_code == 403
    assert admin.get(f"/pulse/{round_id}/results").status_code == 403


def test_management_gets_404_for_a_round_that_is_not_there_or_not_released(
    app: Flask, staff: FlaskClient, manager: FlaskClient,
) -> None:
    round_id = _answered_and_closed(app, staff)
    for path in (f"/management/pulse/{round_id}", "/management/pulse/99999"):
        response = manager.get(path)
        assert response.status_code == 404, path
        assert "Magazijn" not in response.get_data(as_text=True)
    assert manager.get(f"/pulse/{round_id}/results").status_code == 403


def test_comments_need_the_vault_key(
    app: Flask, staff: FlaskClient, create_user: Callable[..., User],
) -> None:
    """A counsellor without access to the case files gets the explanation page, no text."""
    round_id = _answered_and_closed(app, staff)
    other = app.test_client()
    assert AuthActions(other).login(create_user("counsellor")).status_code == 302
    response = other.get(f"/pulse/{round_id}/comments")
    assert MARKER not in response.get_data(as_text=True)
    assert "Access to the case files" in response.get_data(as_text=True)
