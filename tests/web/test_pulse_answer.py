"""The public answering page of a pulse round (issue 16), through the test client: no login,
accessible radio groups, errors that keep every answer, invitation codes (single use, wrong
ones throttled per address in memory), rounds not open, and privacy as the anonymous contact
channel - no cookie but the CSRF session, nothing of the visitor in any log, no request line.
"""

from __future__ import annotations

import logging
import re
import urllib.request
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.casework import department
from tests.support.forms import AuthActions
from tests.support.sessions import db_session_for
from tests.web.pulse_pages import (
    answer,
    answer_fields,
    create_round,
    groups_on,
    issue_codes,
    public_token,
    statements_on,
)
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.web.request_log import is_anonymous_path

ADDRESS = "203.0.113.91"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(default_locale="en")


@pytest.fixture
def staff(app: Flask, settings: Settings, counsellor_with_vault: Callable[..., User]
          ) -> FlaskClient:
    """A counsellor (with the vault, so comments can be sealed) logged in on its own client,
    and two departments."""
    with app.app_context(), db_session_for(app) as session:
        for name in ("Magazijn", "Klantenservice"):
            department(session, name, settings, headcount=40)
        session.commit()
    client = app.test_client()
    assert AuthActions(client).login(counsellor_with_vault()).status_code == 302
    return client


@pytest.fixture
def visitor(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ADDRESS
    return client


def _open_round(staff: FlaskClient, **fields: object) -> str:
    return public_token(staff, create_round(staff, **fields))


def test_the_page_needs_no_login_and_asks_each_statement_as_a_radio_group(
    staff: FlaskClient, visitor: FlaskClient,
) -> None:
    token = _open_round(staff, statements=["tb1"], custom_statements="Eigen stelling")
    response = visitor.get(f"/survey/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    names = statements_on(page)
    assert len(names) == 7 + 1 + 1  # the scale, one toolbox question, one custom statement
    fieldsets = re.findall(r'<fieldset class="field scale[^"]*" id="(statement_\d+)">\s*'
                           r"<legend>([^<]+)</legend>", page)
    assert [name for name, _text in fieldsets] == names
    assert "Eigen stelling" in dict(fieldsets).values()
    for name in names:
        assert len(re.findall(rf'type="radio"[^>]*name="{name}"|name="{name}"[^>]*type="radio"',
                              page)) == 7
    assert page.count("Strongly disagree") >= 8 and page.count("Strongly agree") >= 8
    assert "Very negative" in page and "Very positive" in page  # tb1's own words
    assert set(groups_on(page)) >= {"Magazijn", "Klantenservice"}
    assert 'name="code"' in page  # the round uses codes
    assert "<script" not in page  # no script on a page without errors
    cookies = [h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie")]
    assert set(cookies) <= {"vp_session"}, cookies
    assert response.headers["Cache-Control"] == "no-store"  # not kept on a shared computer
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_round_without_the_free_text_question_shows_no_box(
    staff: FlaskClient, visitor: FlaskClient,
) -> None:
    token = _open_round(staff, free_text=None, with_codes="open")
    page = visitor.get(f"/survey/{token}").get_data(as_text=True)
    assert 'name="free_text"' not in page and "Send my answers" in page
    assert answer(visitor, token).status_code == 302


def test_without_the_vaults_message_key_there_is_no_box_to_write_in(
    app: Flask, settings: Settings, login_as: Callable[[str], User], client: FlaskClient,
    visitor: FlaskClient,
) -> None:
    """Free text is sealed to the vault's message key: before the vault exists the box is not
    offered (rather than refusing what someone wrote)."""
    with app.app_context(), db_session_for(app) as session:
        department(session, "Magazijn", settings, headcount=40)
        session.commit()
    login_as("admin")
    token = public_token(client, create_round(client, with_codes="open"))
    page = visitor.get(f"/survey/{token}").get_data(as_text=True)
    assert 'name="free_text"' not in page and "Send my answers" in page
    assert answer(visitor, token, free_text="Dit zou weg moeten").status_code == 302


def test_an_answer_without_the_forms_csrf_token_is_refused(
    staff: FlaskClient, visitor: FlaskClient,
) -> None:
    token = _open_round(staff, with_codes="open")
    page = visitor.get(f"/survey/{token}").get_data(as_text=True)
    response = visitor.post(f"/survey/{token}", data=answer_fields(page))
    assert response.status_code == 400
    assert "Thank you" not in response.get_data(as_text=True)


def test_merged_groups_name_the_departments_in_them(
    app: Flask, settings: Settings, staff: FlaskClient, visitor: FlaskClient,
) -> None:
    """Departments below the minimum size are merged (public structure): the choice names
    them, so someone from a small department knows which group is theirs."""
    with app.app_context(), db_session_for(app) as session:
        department(session, "Productie", settings, headcount=40)
        department(session, "Montage", settings, headcount=4, parent="Productie")
        department(session, "Kantine", settings, headcount=3)
        department(session, "Receptie", settings, headcount=3)
        session.commit()
    token = _open_round(staff)
    groups = groups_on(visitor.get(f"/survey/{token}").get_data(as_text=True))
    assert "Productie (with Montage)" in groups
    assert "Other departments (with Kantine, Receptie)" in groups
    assert "Magazijn" in groups and "Montage" not in groups and "Kantine" not in groups
    assert answer(visitor, token, group="Productie (with Montage)",
                  code=issue_codes(staff, _round_id(staff), 1)[0]).status_code == 302


def _round_id(staff: FlaskClient) -> int:
    found = re.search(r'href="/pulse/(\d+)"', staff.get("/pulse").get_data(as_text=True))
    assert found
    return int(found.group(1))


def test_an_unknown_token_answers_404(staff: FlaskClient, visitor: FlaskClient) -> None:
    assert visitor.get("/survey/no-such-round-token").status_code == 404


def test_errors_keep_every_answer(staff: FlaskClient, visitor: FlaskClient) -> None:
    token = _open_round(staff, with_codes="open")
    path = f"/survey/{token}"
    page = visitor.get(path).get_data(as_text=True)
    fields = answer_fields(page, group="Klantenservice", value=6,
                           free_text="Meer overleg graag")
    names = statements_on(page)
    fields[names[1]] = "2"
    del fields[names[3]]  # one statement left out
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = visitor.post(path, data={"csrf_token": csrf, **fields})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Choose an answer for this statement." in page
    assert f'href="#{names[3]}-0"' in page  # the error summary leads to the statement
    for index, name in enumerate(names):
        if index == 3:
            assert not re.search(rf'checked[^>]*name="{name}"|name="{name}"[^>]*checked', page)
            continue
        value = "2" if index == 1 else "6"
        assert re.search(rf'<input[^>]*checked[^>]*name="{name}"[^>]*value="{value}"|'
                         rf'<input[^>]*name="{name}"[^>]*value="{value}"[^>]*checked|'
                         rf'<input[^>]*checked[^>]*value="{value}"[^>]*name="{name}"', page), name
    assert "Meer overleg graag" in page
    assert re.search(r'<option selected value="[^"]+">Klantenservice|'
                     r'<option value="[^"]+" selected>Klantenservice', page)


def test_an_open_round_takes_answers_without_a_code(staff: FlaskClient,
                                                     visitor: FlaskClient) -> None:
    token = _open_round(staff, with_codes="open")
    page = visitor.get(f"/survey/{token}").get_data(as_text=True)
    assert 'name="code"' not in page
    response = answer(visitor, token)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/survey/{token}/thanks")
    assert "Thank you for your answers" in visitor.get(
        response.headers["Location"]).get_data(as_text=True)


def test_a_code_is_needed_and_works_once(staff: FlaskClient, visitor: FlaskClient) -> None:
    round_id = create_round(staff)
    token = public_token(staff, round_id)
    code = issue_codes(staff, round_id, 2)[0]
    missing = answer(visitor, token)
    assert missing.status_code == 200
    assert "Enter your invitation code." in missing.get_data(as_text=True)
    assert answer(visitor, token, code=code).status_code == 302
    again = answer(visitor, token, code=code, free_text="Tweede keer")
    assert again.status_code == 200
    page = again.get_data(as_text=True)
    assert 'id="code-error"' in page and "Tweede keer" in page  # refused, answers kept


def test_wrong_codes_are_throttled_per_address(
    app: Flask, staff: FlaskClient, visitor: FlaskClient, settings: Settings,
) -> None:
    round_id = create_round(staff)
    token = public_token(staff, round_id)
    good = issue_codes(staff, round_id, 1)[0]
    for attempt in range(settings.throttle_free_attempts):
        response = answer(visitor, token, code=f"FOUT{attempt:04d}")
        assert response.status_code == 200, attempt
    throttled = answer(visitor, token, code=good)
    assert throttled.status_code == 429  # even the right code waits: no oracle while throttled
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.4"
    assert answer(other, token, code=good).status_code == 302  # another address is not held up


def test_rounds_not_open_say_so(staff: FlaskClient, visitor: FlaskClient) -> None:
    later = date.today() + timedelta(days=10)
    token = _open_round(staff, opens_on=later.isoformat(),
                        closes_on=(later + timedelta(days=7)).isoformat())
    page = visitor.get(f"/survey/{token}").get_data(as_text=True)
    assert "This round is not open yet" in page and 'name="group"' not in page
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    posted = visitor.post(f"/survey/{token}", data={
        "csrf_token": csrf.group(1) if csrf else "", "group": "x", "statement_0": "4"})
    assert "This round is not open yet" in posted.get_data(as_text=True)


def test_nothing_of_the_visitor_reaches_the_logs(
    staff: FlaskClient, visitor: FlaskClient, caplog: pytest.LogCaptureFixture,
) -> None:
    round_id = create_round(staff)
    token = public_token(staff, round_id)
    code = issue_codes(staff, round_id, 1)[0]
    caplog.set_level(logging.DEBUG)
    marker = "CANARYPULSE7Q2"
    assert answer(visitor, token, code="WRONGCODE1", free_text=marker).status_code == 200
    assert answer(visitor, token, code=code, free_text=marker).status_code == 302
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    for secret in (ADDRESS, marker, code, "WRONGCODE1", token):
        assert secret not in logged, secret


def test_the_survey_pages_are_anonymous_paths() -> None:
    for path in ("/survey/abc", "/survey/abc/thanks", "//survey/abc"):
        assert is_anonymous_path(path), path


def test_the_server_writes_no_request_line_for_the_survey(
    staff: FlaskClient, real_server: str, caplog: pytest.LogCaptureFixture,
) -> None:
    token = _open_round(staff, with_codes="open")
    caplog.set_level(logging.DEBUG)
    for path in (f"/survey/{token}", f"/survey/{token}/thanks", "/login"):
        with urllib.request.urlopen(real_server + path, timeout=10) as response:  # noqa: S310
            assert response.status == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any('"GET /login HTTP/1.1" 200' in line for line in lines), lines
    assert not [line for line in lines if "/survey" in line or token in line], lines
