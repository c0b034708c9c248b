"""The case list's rows written in Python are the template loop's output, byte for byte
(issue 15, session 7: web/cases/listing.rows_markup), hostile text escaped the same way."""

from __future__ import annotations

import pytest
from flask import Flask
from markupsafe import Markup

from vp_registry.web.cases.listing import CaseRow, DeadlineNote, rows_markup

# The loop as templates/cases/index.html had it before rows_markup (autoescaped).
TEMPLATE_LOOP = """{% for row in rows %}
    <tr>
      <td class="card-title"><a href="{{ row.url }}">{{ row.reference }}</a></td>
      <td data-label="{{ label_opened }}">{{ row.opened }}</td>
      <td data-label="{{ label_status }}">{{ row.status }}</td>
      <td data-label="{{ label_department }}">{{ row.department }}</td>
      <td data-label="{{ label_categories }}">{{ row.categories }}</td>
      <td data-label="{{ label_deadline }}">{% if row.deadline %}<span class="{{ \
row.deadline.css_class }}">{{ row.deadline.text }}</span>{% endif %}</td>
    </tr>
  {% endfor %}"""

HOSTILE = ("<script>alert('x')</script>", 'a "quoted" & <b>', "100% %(num)s", "é ü ß ‘’")


def _rows() -> list[CaseRow]:
    rows = [CaseRow(reference="VP-2026-AB12", url="/cases/VP-2026-AB12", opened="2 mrt 2026",
                    status="Open", department="Werkplaats", categories="Pesten, Werkdruk",
                    deadline=None)]
    for number, text in enumerate(HOSTILE):
        rows.append(CaseRow(
            reference=f"VP-2026-{number}{text[:3]}", url=f"/cases/{text}?a=1&b=2",
            opened=text, status=text, department=text, categories=f"{text}, {text}",
            deadline=DeadlineNote(f"Feedback by {text}", "overdue" if number % 2 else "badge")))
    return rows


@pytest.mark.parametrize("labels", [
    ("Geopend", "Status", "Afdeling", "Categorieën", "Termijn"),
    tuple(Markup(text) for text in ("Opened", "Status", "Department", "Categories",  # noqa: S704
                                    "Deadline")),
    (*HOSTILE, "plain"),
])
def test_rows_markup_is_the_template_loops_output(app: Flask, labels: tuple[str, ...]) -> None:
    rows = _rows()
    with app.test_request_context("/cases/"):
        expected = app.jinja_env.from_string(TEMPLATE_LOOP).render(
            rows=rows, label_opened=labels[0], label_status=labels[1],
            label_department=labels[2], label_categories=labels[3], label_deadline=labels[4])
    written = rows_markup(rows, *labels[:5])
    assert isinstance(written, Markup)
    assert str(written) == expected
    assert "<script>" not in written and "&lt;script&gt;" in written


def test_no_rows_write_nothing() -> None:
    assert rows_markup([], "a", "b", "c", "d", "e") == ""
