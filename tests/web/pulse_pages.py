"""Helpers of the pulse page tests (issue 16): a round made through its form, the public
page's token, group keys and statement fields read from the pages, an answer posted the way a
browser does."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.support.forms import CSRF_PATTERN, post_form

TOKEN = re.compile(r"/survey/([A-Za-z0-9_-]{8,})")
ROUND_URL = re.compile(r"/pulse/(\d+)$")
OPTION = re.compile(r'<option(?: selected)? value="([^"]+)"(?: selected)?>([^<]*)</option>')
STATEMENT = re.compile(r'name="(statement_\d+)"')


def round_fields(department_ids: list[int] | None = None, **overrides: Any) -> dict[str, Any]:
    """The round form's fields: open from today for two weeks, with invitation codes."""
    today = date.today()
    fields: dict[str, Any] = {
        "title": "Pulsmeting voorjaar", "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=14)).isoformat(),
        "custom_statements": "", "with_codes": "codes", "free_text": "y"}
    if department_ids is None:
        fields["all_departments"] = "all"
    else:
        fields["departments"] = [str(i) for i in department_ids]
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


def create_round(client: FlaskClient, **overrides: Any) -> int:
    """A round made through the form; returns its id."""
    response = post_form(client, "/pulse/new", round_fields(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    found = ROUND_URL.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def public_token(client: FlaskClient, round_id: int) -> str:
    page = client.get(f"/pulse/{round_id}").get_data(as_text=True)
    found = TOKEN.search(page)
    assert found, page[:3000]
    return found.group(1)


def groups_on(page: str) -> dict[str, str]:
    """The department choices of the public page: label -> key (the empty prompt left out)."""
    select = page[page.index('name="group"'):]
    select = select[:select.index("</select>")]
    return {label: key for key, label in OPTION.findall(select) if key}


def statements_on(page: str) -> list[str]:
    return list(dict.fromkeys(STATEMENT.findall(page)))


def issue_codes(client: FlaskClient, round_id: int, count: int) -> list[str]:
    """New codes, read from the CSV download."""
    response = post_form(client, f"/pulse/{round_id}/codes", {"count": str(count), "as": "csv"},
                         form_page=f"/pulse/{round_id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()[1:]
    return [line.split(",")[0] for line in lines]


def answer_fields(page: str, *, group: str | None = None, value: int = 5,
                  code: str | None = None, free_text: str = "") -> dict[str, Any]:
    """Every statement answered with ``value``, the first (or the named) group."""
    groups = groups_on(page)
    fields: dict[str, Any] = {name: str(value) for name in statements_on(page)}
    fields["group"] = groups[group] if group else next(iter(groups.values()))
    fields["free_text"] = free_text
    if code is not None:
        fields["code"] = code
    return fields


def answer(client: FlaskClient, token: str, **options: Any) -> Any:
    """Open the public page and send an answer, as a respondent's browser does."""
    path = f"/survey/{token}"
    page = client.get(path).get_data(as_text=True)
    token_field = CSRF_PATTERN.search(page)
    assert token_field, page[:3000]
    return client.post(path, data={"csrf_token": token_field.group(1),
                                   **answer_fields(page, **options)})
