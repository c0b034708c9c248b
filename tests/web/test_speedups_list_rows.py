"""The case list's rows written in Python are the template loop's output, byte for byte
(issue 15, session 7: web/cases/listing.rows_markup), hostile text escaped the same way; the
filter's Select widget keeps its options and writes what WTForms writes."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_babel import lazy_gettext
from markupsafe import Markup
from wtforms import Form, SelectField
from wtforms import widgets as wtforms_widgets
from wtforms.fields.choices import SelectChoice

from vp_registry.web.cases.listing import CaseRow, DeadlineNote, rows_markup
from vp_registry.web.i18n import LOCALE_COOKIE
from vp_registry.web.speedups import widgets

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


# ------------------------------------- the Select widget's kept options (issue 15, session 7)

class _Choices(Form):
    number = SelectField("Number", coerce=int)
    text = SelectField("Text")


def _both(field: Any, **attributes: Any) -> tuple[str, str]:
    return widgets.Select()(field, **attributes), wtforms_widgets.Select()(field, **attributes)


def test_kept_options_select_the_fields_data_at_each_call() -> None:
    choices = [SelectChoice(0, "All"), SelectChoice(3, "Drie & <b>"), SelectChoice(7, "Zeven")]
    for data in (0, 3, 7, 9, None):
        form = _Choices(data={"number": data})
        form.number.choices = list(choices)
        ours, theirs = _both(form.number, class_="wide")
        assert ours == theirs
        assert ours.count("selected") == (1 if data in (0, 3, 7) else 0)


def test_kept_options_follow_their_choices() -> None:
    """Other labels, other values, equal values of other types: other options."""
    variants = [
        [SelectChoice("", "All"), SelectChoice("a", "Alpha")],
        [SelectChoice("", "Alle"), SelectChoice("a", "Alpha")],
        [SelectChoice("", "All"), SelectChoice("b", "Alpha")],
        [SelectChoice("", "All"), SelectChoice("a", Markup("<i>Alpha</i>"))],
        [SelectChoice("", "All"), SelectChoice("a", "<i>Alpha</i>")],
        [SelectChoice(True, "yes"), SelectChoice(False, "no")],
        [SelectChoice(1, "yes"), SelectChoice(0, "no")],
    ]
    for _ in range(2):  # written, then kept
        for choices in variants:
            form = _Choices(data={"text": "a"})
            form.text.choices = list(choices)
            ours, theirs = _both(form.text)
            assert ours == theirs, choices


def test_kept_lazy_labels_follow_the_language(app: Flask) -> None:
    for language, expected in (("nl", "Meldingen"), ("en", "Cases"), ("nl", "Meldingen")):
        with app.test_request_context("/", headers={"Cookie": f"{LOCALE_COOKIE}={language}"}):
            form = _Choices(data={"text": "c"})
            form.text.choices = [SelectChoice("", lazy_gettext("All")),
                                 SelectChoice("c", lazy_gettext("Cases"))]
            ours, theirs = _both(form.text)
            assert ours == theirs and expected in ours


def test_kept_select_tags_follow_their_attributes() -> None:
    form = _Choices(data={"text": "a"})
    form.text.choices = [SelectChoice("", "All"), SelectChoice("a", "Alpha")]
    for _ in range(2):  # written, then kept
        for attributes in ({}, {"required": True}, {"required": 1}, {"class_": "a&b"},
                           {"class_": Markup("a&amp;b")}, {"aria-describedby": "x y"},
                           {"id": "other"}, {"aria-invalid": "true", "required": True}):
            ours, theirs = _both(form.text, **attributes)
            assert ours == theirs, attributes


def test_the_unfiltered_forms_defaults_are_valid(app: Flask) -> None:
    """The list skips validating the filter form when no filter is kept: its defaults must
    pass validation, whatever the choices (none but "All", or many)."""
    from vp_registry.web.cases.forms import FilterForm

    with app.test_request_context("/cases/"):
        for departments, years in (([], []), ([(3, "Werkplaats"), (9, "Kantoor")], [2026, 2025])):
            form = FilterForm(formdata=None, data={})
            form.category.choices = [SelectChoice("", "All"), SelectChoice("pesten", "Pesten")]
            form.department.choices = [SelectChoice(0, "All")] + [
                SelectChoice(value, label) for value, label in departments]
            form.year.choices = [SelectChoice(0, "All")] + [
                SelectChoice(year, str(year)) for year in years]
            assert form.validate() and not form.errors
