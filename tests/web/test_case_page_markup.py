"""The case pages' markup helpers (vp_registry.web.cases.page_markup, issue 15, session 11)
write what the Jinja macros of cases/_macros.html wrote, and the case page calls no macro."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from jinja2.runtime import Macro

from tests.casework import case_input, unlock
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.cases import conversations as case_conversations
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases.records import CaseSummary, ContactInput
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.work import Work
from vp_registry.web.cases import listing
from vp_registry.web.i18n import LOCALE_COOKIE

# The macros as cases/_macros.html had them before session 11 (the reference; the template
# global case_deadline_note they called is given as a variable).
OLD_MACROS = """
{% macro category_list(codes, categories_by_code) -%}
  {%- for code in codes -%}
    {%- if code in categories_by_code %}{{ category_label(categories_by_code[code]) }}{% else %}{{ code }}{% endif %}{% if not loop.last %}, {% endif -%}
  {%- endfor -%}
{%- endmacro %}
{% macro deadline_note(case, today) -%}
  {%- set note = case_deadline_note(case, today) -%}
  {%- if note %}<span class="{{ note.css_class }}">{{ note.text }}</span>{% endif -%}
{%- endmacro %}
{% macro status_label(case) -%}
  {%- if case.is_open %}{{ _("Open") }}{% else %}{{ _("Closed") }}{% endif -%}
{%- endmacro %}
{% macro multiline(text) -%}
  {%- if text -%}
    {%- for line in text.split('\\n') %}{{ line }}{% if not loop.last %}<br>{% endif %}{% endfor -%}
  {%- else -%}—{%- endif -%}
{%- endmacro %}
"""  # noqa: E501
OLD = OLD_MACROS + (
    "[{{ status_label(case) }}|{{ deadline_note(case, today) }}|"
    "{{ category_list(codes, by_code) }}|{{ multiline(text) }}]")
NEW = ("[{{ case_status_label(case) }}|{{ case_deadline(case, today) }}|"
       "{{ case_category_list(codes, by_code) }}|{{ case_multiline(text) }}]")


@dataclass
class _Category:
    code: str
    label_nl: str
    label_en: str


def _case(status: str = "open", integrity: bool = False, acknowledged: date | None = None
          ) -> CaseSummary:
    return CaseSummary(id=1, reference="VP-2026-AAAA", status=status, opened_on=date(2026, 1, 5),
                       closed_on=None, version=1, department_id=1, categories=(),
                       integrity_report=integrity, acknowledged_on=acknowledged,
                       feedback_on=None, outcome=None)


CASES = [_case(), _case("closed"), _case(integrity=True), _case("closed", integrity=True),
         _case(integrity=True, acknowledged=date(2026, 1, 6))]
TEXTS: list[Any] = [None, "", "one line", "a\nb\n\nc<script>&\"'", "\n", "x\r\ny\n",
                    "<b>bold</b> & more"]
CODES: list[tuple[str, ...]] = [(), ("pesten",), ("pesten", "<unknown>", "x&y"),
                                ("intimidatie", "pesten")]
BY_CODE = {"pesten": _Category("pesten", "Pesten & <treiteren>", "Bullying"),
           "intimidatie": _Category("intimidatie", "Intimidatie", "Harassment \"x\"")}


@pytest.mark.parametrize("locale", ["nl", "en"])
@pytest.mark.parametrize("today", [date(2026, 1, 6), date(2026, 3, 1)])
def test_the_helpers_write_what_the_macros_wrote(app: Flask, locale: str, today: date) -> None:
    with app.test_request_context(headers={"Cookie": f"{LOCALE_COOKIE}={locale}"}):
        for case in CASES:
            for text in TEXTS:
                for codes in CODES:
                    values = {"case": case, "today": today, "codes": codes, "by_code": BY_CODE,
                              "text": text, "case_deadline_note": listing.deadline_note}
                    old = render_template_string(OLD, **values).lstrip("\n")  # the macros
                    assert render_template_string(NEW, **values) == old


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_the_case_page_calls_no_macro(app: Flask, settings: Settings, client: FlaskClient,
                                      counsellor: User, dept_id: int, locale: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A macro call was ~8-10 µs; the case page made one per conversation besides five."""
    with app.app_context(), db_session_for(app) as session:
        work = Work(session, settings, Actor(counsellor.id, "counsellor"),
                    keys=unlock(session, settings, counsellor))
        record = lifecycle.create_case(work, case_input(dept_id, integrity_report=True))
        for notes in ("first\nsecond <b>", None):
            case_conversations.add_contact(work, record.reference, ContactInput(
                held_on=date(2026, 3, 3), minutes=20, channel="phone", notes=notes))
        session.commit()
    client.set_cookie(LOCALE_COOKIE, locale)
    called: list[str] = []
    invoke: Callable[..., Any] = Macro._invoke

    def counted(self: Macro, *args: Any, **kwargs: Any) -> Any:
        called.append(self.name)
        return invoke(self, *args, **kwargs)

    assert client.get(f"/cases/{record.reference}").status_code == 200  # the header kept
    monkeypatch.setattr(Macro, "_invoke", counted)
    page = client.get(f"/cases/{record.reference}").get_data(as_text=True)
    assert called == []
    assert "first<br>second &lt;b&gt;" in page and "Kees de Vries" in page
