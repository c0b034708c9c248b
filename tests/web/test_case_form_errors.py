"""Case forms show every problem at once (issue 14): an error summary at the top ("Er is iets
niet goed ingevuld") with a link to each field, each field's own message beside it, and what
was typed kept. Before, the new-case form told the category on one submit and the department
on the next (the form stopped before the service looked)."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.support.forms import post_form
from vp_registry.db.accounts import User

TODAY = date.today()
SUMMARY = re.compile(r'<div class="error-summary"[^>]*>(.*?)</div>', re.S)
SUMMARY_LINK = re.compile(r'<a href="#([^"]+)">(.*?)</a>', re.S)


def _summary(response: Any) -> dict[str, str]:
    """The error summary's links: target id -> link text."""
    body = response.get_data(as_text=True)
    found = SUMMARY.search(body)
    assert found, "no error summary on the page"
    assert "Er is iets niet goed ingevuld" in found.group(1)
    return {target: html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
            for target, text in SUMMARY_LINK.findall(found.group(1))}


def _field_error(response: Any, field_id: str) -> str:
    body = response.get_data(as_text=True)
    found = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', body, re.S)
    assert found, f"no message beside {field_id}"
    return html.unescape(found.group(1)).strip()


def _reference(client: FlaskClient, dept_id: int) -> str:
    response = post_form(client, "/cases/new", {
        "opened_on": (TODAY - timedelta(days=10)).isoformat(), "department_id": str(dept_id),
        "categories": ["pesten"], "minutes_spent": "0", "version": ""})
    assert response.status_code == 302
    return str(response.headers["Location"]).rsplit("/", 1)[-1]


def test_an_empty_new_case_form_shows_every_error_at_once(
    client: FlaskClient, counsellor: User, dept_id: int,
) -> None:
    response = post_form(client, "/cases/new", {
        "opened_on": "", "department_id": "0", "minutes_spent": "0", "version": ""})
    assert response.status_code == 200
    links = _summary(response)
    assert list(links) == ["opened_on", "department_id", "categories-0"]
    assert "Vul een datum in." in links["opened_on"]
    assert "Kies een afdeling." in links["department_id"]
    assert "Kies ten minste één soort gedrag." in links["categories-0"]
    assert _field_error(response, "opened_on") == "Vul een datum in."
    assert _field_error(response, "department_id") == "Kies een afdeling."
    assert _field_error(response, "categories") == "Kies ten minste één soort gedrag."


def test_form_and_service_problems_come_together_and_the_input_stays(
    client: FlaskClient, counsellor: User, dept_id: int,
) -> None:
    response = post_form(client, "/cases/new", {
        "opened_on": (TODAY + timedelta(days=3)).isoformat(), "department_id": "0",
        "reporter_name": "Anna Visser", "narrative": "Bewaar deze tekst",
        "acknowledged_on": TODAY.isoformat(), "minutes_spent": "0", "version": ""})
    links = _summary(response)
    assert set(links) == {"opened_on", "department_id", "categories-0", "reporter_name",
                          "acknowledged_on"}
    assert "toekomst" in _field_error(response, "opened_on")
    assert "Bewaar deze tekst" in response.get_data(as_text=True)
    assert 'value="Anna Visser"' in response.get_data(as_text=True)


def test_editing_a_case_shows_every_error_at_once(
    client: FlaskClient, counsellor: User, dept_id: int,
) -> None:
    reference = _reference(client, dept_id)
    response = post_form(client, f"/cases/{reference}/edit", {
        "opened_on": "", "department_id": "0", "minutes_spent": "0", "version": "1"})
    assert set(_summary(response)) == {"opened_on", "department_id", "categories-0"}


def test_closing_and_conversation_forms_have_the_summary(
    client: FlaskClient, counsellor: User, dept_id: int,
) -> None:
    reference = _reference(client, dept_id)
    closing = post_form(client, f"/cases/{reference}/close", {
        "closed_on": "", "outcome": "", "version": "1"})
    assert set(_summary(closing)) == {"closed_on", "outcome"}
    conversation = post_form(client, f"/cases/{reference}/conversations/new", {
        "held_on": "", "minutes": "", "channel": "", "version": ""})
    assert set(_summary(conversation)) == {"held_on", "minutes", "channel"}


def test_a_valid_form_has_no_summary(client: FlaskClient, counsellor: User) -> None:
    body = client.get("/cases/new").get_data(as_text=True)
    assert "error-summary" not in body and "form-errors.js" not in body
