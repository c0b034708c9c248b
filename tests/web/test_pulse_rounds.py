"""The counsellor's and admin's pulse pages (issue 16): rounds, the round form (nothing lost
on bad input), the round page with the public link and QR code, invitation codes as CSV and
as a printable sheet, closing with a confirmation; who may do what."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.casework import department
from tests.support.forms import AuthActions, post_form
from tests.support.sessions import db_session_for
from tests.web.pulse_pages import (
    create_round,
    issue_codes,
    public_token,
    round_fields,
)
from vp_registry.config import Settings
from vp_registry.db.accounts import User


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """English pages: the tests read the source strings (Dutch: test_translations)."""
    return settings.with_overrides(default_locale="en")


@pytest.fixture
def departments(app: Flask, settings: Settings) -> dict[str, int]:
    with app.app_context(), db_session_for(app) as session:
        found = {name: department(session, name, settings, headcount=40).id
                 for name in ("Magazijn", "Klantenservice", "Financien")}
        session.commit()
        return found


def test_a_counsellor_creates_a_round_and_sees_its_link_and_qr_code(
    client: FlaskClient, counsellor: User, departments: dict[str, int],
) -> None:
    page = client.get("/pulse/new").get_data(as_text=True)
    assert "Magazijn" in page and 'value="all"' in page  # departments, with "all"
    assert 'value="tb1"' in page and 'value="ps1"' not in page  # toolbox optional, scale fixed
    round_id = create_round(client, statements=["tb1", "tb3"],
                            custom_statements="Ik kan mijn werk in rust doen.")
    page = client.get(f"/pulse/{round_id}").get_data(as_text=True)
    token = public_token(client, round_id)
    assert f"http://localhost/survey/{token}" in page  # the full link, to share
    assert re.search(r'<div class="qr pulse-qr"><svg[^>]*viewBox', page)  # an inline QR code
    assert "Pulsmeting voorjaar" in page and "Ik kan mijn werk in rust doen." in page
    assert "Invitation codes" in page
    assert "Pulsmeting voorjaar" in client.get("/pulse").get_data(as_text=True)


def test_bad_input_keeps_everything_that_was_typed(
    client: FlaskClient, counsellor: User, departments: dict[str, int],
) -> None:
    today = date.today()
    fields = round_fields(
        department_ids=[departments["Klantenservice"]], title="",
        closes_on=(today - timedelta(days=1)).isoformat(), statements=["tb2"],
        custom_statements="Eerste eigen stelling\nTweede eigen stelling", with_codes="open")
    response = post_form(client, "/pulse/new", fields)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Give the round a title." in page
    assert "The round cannot close before it opens." in page
    assert "Eerste eigen stelling\nTweede eigen stelling" in page
    assert re.search(rf'value="{departments["Klantenservice"]}" checked|checked[^>]*value="'
                     rf'{departments["Klantenservice"]}"', page)
    assert not re.search(rf'checked[^>]*value="{departments["Magazijn"]}"|value="'
                         rf'{departments["Magazijn"]}" checked', page)
    assert re.search(r'checked[^>]*value="tb2"|value="tb2" checked', page)
    assert re.search(r'checked[^>]*value="open"|value="open" checked', page)
    assert 'id="error-summary"' in page


def test_no_department_and_too_many_statements_are_refused(
    client: FlaskClient, counsellor: User, departments: dict[str, int],
) -> None:
    fields = round_fields(department_ids=[], custom_statements="\n".join(
        f"Stelling {n}" for n in range(1, 8)))
    page = post_form(client, "/pulse/new", fields).get_data(as_text=True)
    assert "Invite at least one department." in page
    assert "Add at most 5 statements of your own." in page
    assert "Stelling 7" in page


def test_editing_a_round_changes_its_title_and_dates_only(
    client: FlaskClient, counsellor: User, departments: dict[str, int],
) -> None:
    round_id = create_round(client, department_ids=[departments["Magazijn"]],
                            statements=["tb1"], custom_statements="Eigen stelling")
    page = client.get(f"/pulse/{round_id}/edit").get_data(as_text=True)
    assert 'value="Pulsmeting voorjaar"' in page and 'name="version"' in page
    assert 'name="departments"' not in page  # who is invited is fixed
    later = (date.today() + timedelta(days=30)).isoformat()
    response = post_form(client, f"/pulse/{round_id}/edit", {
        "title": "", "opens_on": date.today().isoformat(), "closes_on": later,
        "version": _version(page)})
    assert response.status_code == 200
    assert "Give the round a title." in response.get_data(as_text=True)
    assert f'value="{later}"' in response.get_data(as_text=True)  # kept
    response = post_form(client, f"/pulse/{round_id}/edit", {
        "title": "Pulsmeting najaar", "opens_on": date.today().isoformat(),
        "closes_on": later, "version": _version(page)})
    assert response.status_code == 302
    page = client.get(f"/pulse/{round_id}").get_data(as_text=True)
    assert "Pulsmeting najaar" in page and "Eigen stelling" in page


def test_a_stale_edit_is_refused_and_keeps_what_was_typed(
    client: FlaskClient, counsellor: User, departments: dict[str, int],
) -> None:
    round_id = create_round(client)
    page = client.get(f"/pulse/{round_id}/edit").get_data(as_text=True)
    stale = _version(page)
    fields = {"title": "Eerste wijziging", "opens_on": date.today().isoformat(),
              "closes_on": (date.today() + timedelta(days=20)).isoformat(), "version": stale}
    assert post_form(client, f"/pulse/{round_id}/edit", fields).status_code == 302
    second = post_form(client, f"/pulse/{round_id}/edit", {**fields, "title": "Tweede"})
    assert second.status_code == 200
    text = second.get_data(as_text=True)
    assert "changed this round in the meantime" in text and 'value="Tweede"' in text


def _version(page: str) -> str:
    found = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', page)
    assert found, page[:2000]
    return found.group(1) or found.group(2)


def test_codes_come_once_as_csv_or_as_a_printable_sheet(
    client: FlaskClient, counsellor: User, departments: dict[str, int],
) -> None:
    round_id = create_round(client)
    token = public_token(client, round_id)
    response = post_form(client, f"/pulse/{round_id}/codes", {"count": "25", "as": "csv"},
                         form_page=f"/pulse/{round_id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Invitation code", "Answer at"]
    codes = [row[0] for row in rows[1:]]
    assert len(codes) == len(set(codes)) == 25
    assert all(row[1] == f"http://localhost/survey/{token}" for row in rows[1:])

    sheet = post_form(client, f"/pulse/{round_id}/codes", {"count": "3", "as": "sheet"},
                      form_page=f"/pulse/{round_id}").get_data(as_text=True)
    slips = re.findall(r'<strong class="slip-code">([^<]+)</strong>', sheet)
    assert len(slips) == 3 and not set(slips) & set(codes)  # new codes every time
    assert f"/survey/{token}" in sheet
    # the round page never shows a code again
    page = client.get(f"/pulse/{round_id}").get_data(as_text=True)
    assert not any(code in page for code in (*codes, *slips))


@pytest.mark.parametrize("count", ["0", "5001", "drie"])
def test_a_wrong_number_of_codes_is_explained_and_kept(
    client: FlaskClient, counsellor: User, departments: dict[str, int], count: str,
) -> None:
    round_id = create_round(client)
    response = post_form(client, f"/pulse/{round_id}/codes", {"count": count, "as": "csv"},
                         form_page=f"/pulse/{round_id}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error"' in page and f'value="{count}"' in page


def test_an_open_round_offers_no_codes(
    client: FlaskClient, counsellor: User, departments: dict[str, int],
) -> None:
    round_id = create_round(client, with_codes="open")
    page = client.get(f"/pulse/{round_id}").get_data(as_text=True)
    assert "Invitation codes" not in page and "/survey/" in page


def test_closing_asks_first_and_then_closes_the_round(
    client: FlaskClient, counsellor: User, departments: dict[str, int],
) -> None:
    round_id = create_round(client)
    token = public_token(client, round_id)
    asked = post_form(client, f"/pulse/{round_id}/close", {}, form_page=f"/pulse/{round_id}")
    assert asked.status_code == 200
    assert 'name="confirmed" value="1"' in asked.get_data(as_text=True)
    assert "Send my answers" in client.get(f"/survey/{token}").get_data(as_text=True)
    done = post_form(client, f"/pulse/{round_id}/close", {"confirmed": "1"},
                     form_page=f"/pulse/{round_id}")
    assert done.status_code == 302
    public = client.get(f"/survey/{token}").get_data(as_text=True)
    assert "This round is closed" in public and "Send my answers" not in public
    assert "Invitation codes" not in client.get(f"/pulse/{round_id}").get_data(as_text=True)


def test_an_admin_runs_rounds_but_sees_no_results_or_comments(
    client: FlaskClient, login_as: Callable[[str], User], departments: dict[str, int],
) -> None:
    login_as("admin")
    round_id = create_round(client)
    assert len(issue_codes(client, round_id, 2)) == 2
    page = client.get(f"/pulse/{round_id}").get_data(as_text=True)
    assert f"/pulse/{round_id}/results" not in page and "/comments" not in page
    assert client.get(f"/pulse/{round_id}/results").status_code == 403
    assert client.get(f"/pulse/{round_id}/comments").status_code == 403


def test_a_manager_reaches_no_round_page(
    client: FlaskClient, counsellor: User, departments: dict[str, int],
    create_user: Callable[..., User],
) -> None:
    round_id = create_round(client)
    other = client.application.test_client()
    assert AuthActions(other).login(create_user("manager")).status_code == 302
    for path in ("/pulse", "/pulse/new", f"/pulse/{round_id}", f"/pulse/{round_id}/edit",
                 f"/pulse/{round_id}/results", f"/pulse/{round_id}/comments"):
        assert other.get(path).status_code == 403, path


def test_a_round_that_does_not_exist_answers_404(
    client: FlaskClient, counsellor: User,
) -> None:
    for path in ("/pulse/9999", "/pulse/9999/edit", "/pulse/9999/results"):
        assert client.get(path).status_code == 404, path
