"""The web speed-ups and the measurement that justifies each (issue 13, section 2; issue 15).

Four places write what Flask, Flask-Babel or WTForms would write, with less CPU. Each stays
only while it pays: this benchmark renders the same page-sized unit both ways, checks that the
output is identical, and prints the median time per unit and the ratio.

1. **Template i18n** (``vp_registry.web.speedups.template_i18n``): the templates' ``_``,
   ``gettext``, ``ngettext`` and ``|dateformat`` take the request's catalogue from Flask-Babel
   once, instead of Flask-Babel's template callables (three context look-ups and a
   locale-to-string per call, plus Jinja's ``_`` alias). Unit: a page with the case list's
   ~300 look-ups, in a fresh request each time (the per-request set-up is part of the cost).
2. **Select widget** (``vp_registry.web.speedups.widgets.Select``): options written directly
   instead of ``wtforms.widgets.Select`` (``html_params`` and a signature look-up per option).
   Unit: the case list's five filter selects.
3. **One url_for per page** (``vp_registry.web.speedups.urls.url_builder``): the URL built once
   with a marker and each value put in its place, instead of ``url_for`` per row. Unit: the
   links of a case list page of 50 rows.
4. **Python's gettext** (``vp_registry.web.speedups.gettext``): ``gettext`` and
   ``lazy_gettext`` through the same request cache instead of Flask-Babel's domain look-up per
   call. Unit: 20 form labels (lazy strings) and 5 ``gettext`` calls, as on the case list.

Run from the repository root: ``python benchmarks/bench_web_speedups.py [--repeat 7]``.
CPU time (``time.process_time``) of ``--number`` units, median of ``--repeat`` runs. Not a
test (no wall-clock assertions in the suite); the equality checks fail loudly instead.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import flask_babel  # noqa: E402
from bench_load import production_settings  # noqa: E402
from flask import Flask, url_for  # noqa: E402
from jinja2 import Environment  # noqa: E402
from jinja2.ext import _gettext_alias, _make_new_gettext, _make_new_ngettext  # noqa: E402
from wtforms import Form, SelectField  # noqa: E402
from wtforms import widgets as wtforms_widgets  # noqa: E402
from wtforms.fields.choices import SelectChoice  # noqa: E402

from vp_registry import create_app  # noqa: E402
from vp_registry.web.i18n import LOCALE_COOKIE  # noqa: E402
from vp_registry.web.speedups import gettext as speedups_gettext  # noqa: E402
from vp_registry.web.speedups import template_i18n, urls, widgets  # noqa: E402

# About what the case list asks of the catalogue: labels and headings, one status and a few
# words per row, the pager, dates in every row.
PAGE = "\n".join(
    ['{{ _("Cases") }} {{ _("Status") }} {{ _("Department") }} {{ _("Opened") }}']
    + ['<tr><td>{{ _("Open") }}</td><td>{{ _("Closed") }}</td><td>{{ day|dateformat }}</td>'
       '<td>{{ ngettext("%(num)s case in total.", "%(num)s cases in total.", n) }}</td>'
       '<td>{{ gettext("Page %(page)s of %(pages)s", page=2, pages=9) }}</td></tr>'] * 60)
ROWS = 50
REFERENCES = [f"VP-2026-{i:04X}" for i in range(ROWS)]


def _median_ms(work: Callable[[], object], number: int, repeat: int) -> float:
    """Median CPU milliseconds of one call of ``work`` over ``repeat`` runs of ``number``."""
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(number):
            work()
        runs.append((time.process_time() - start) / number * 1000)
    return statistics.median(runs)


def _report(name: str, before_ms: float, after_ms: float) -> None:
    print(f"{name:<34} {before_ms:8.3f} ms -> {after_ms:8.3f} ms   "
          f"{before_ms / after_ms:5.1f}x  (saves {before_ms - after_ms:.3f} ms per unit)")


# ---------------------------------------------------------------- 1. template i18n


def _flask_babel_env(app: Flask) -> Environment:
    """The application's Jinja environment with Flask-Babel's own template callables back."""
    env = app.jinja_env.overlay()
    env.globals = dict(app.jinja_env.globals)
    env.filters = dict(app.jinja_env.filters)
    # what Flask-Babel's install_gettext_callables(newstyle=True) puts there (not called: the
    # overlay shares the i18n extension, which would install them in the application's env)
    env.globals.update(
        gettext=_make_new_gettext(lambda s: flask_babel.get_translations().ugettext(s)),
        ngettext=_make_new_ngettext(
            lambda s, p, n: flask_babel.get_translations().ungettext(s, p, n)),
        _=_gettext_alias)
    env.filters["dateformat"] = flask_babel.format_date
    return env


def bench_template_i18n(app: Flask, number: int, repeat: int) -> None:
    ours = app.jinja_env.from_string(PAGE)
    theirs = _flask_babel_env(app).from_string(PAGE)
    assert app.jinja_env.globals["_"] is template_i18n.gettext
    assert app.jinja_env.globals["ngettext"] is template_i18n.ngettext
    assert app.jinja_env.filters["dateformat"] is template_i18n.format_date
    values = {"day": date(2026, 3, 4), "n": 4}
    headers = {"Cookie": f"{LOCALE_COOKIE}=nl"}

    def page(template: Any) -> Callable[[], str]:
        def render() -> str:
            with app.test_request_context(headers=headers):
                return str(template.render(values))
        return render

    assert page(ours)() == page(theirs)(), "template i18n writes other text than Flask-Babel"
    assert "Meldingen" in page(ours)()
    _report("template i18n (page, nl)", _median_ms(page(theirs), number, repeat),
            _median_ms(page(ours), number, repeat))


# ---------------------------------------------------------------- 2. select widget


def _filter_form(widget: Any) -> type[Form]:
    """Five selects like the case list's filters (year, status, department, category, sort)."""
    today = date(2026, 3, 4)

    class Filters(Form):
        year = SelectField(widget=widget, choices=[SelectChoice("", "All")] + [
            SelectChoice(str(today.year - i)) for i in range(8)])
        status = SelectField(widget=widget, choices=[
            SelectChoice(v, v.title()) for v in ("", "open", "closed", "overdue")])
        department = SelectField(widget=widget, coerce=int, choices=[SelectChoice(0, "All")] + [
            SelectChoice(i, f"Afdeling {i} & <team>") for i in range(1, 41)])
        category = SelectField(widget=widget, choices=[SelectChoice("", "All")] + [
            SelectChoice(f"cat-{i}", f"Categorie {i}") for i in range(15)])
        sort = SelectField(widget=widget, choices=[
            SelectChoice(v) for v in ("opened", "deadline", "reference")])

    return Filters


def bench_select_widget(number: int, repeat: int) -> None:
    data = {"year": "2025", "status": "open", "department": 7, "category": "cat-3",
            "sort": "deadline"}
    ours, theirs = _filter_form(widgets.Select())(data=data), _filter_form(
        wtforms_widgets.Select())(data=data)

    def render(form: Form) -> Callable[[], str]:
        return lambda: "".join(str(field(class_="filter")) for field in form)

    assert render(ours)() == render(theirs)(), "the Select widget writes other HTML than WTForms"
    _report("select widget (5 filter selects)", _median_ms(render(theirs), number, repeat),
            _median_ms(render(ours), number, repeat))


# ---------------------------------------------------------------- 3. url_for per page


def bench_case_urls(app: Flask, number: int, repeat: int) -> None:
    with app.test_request_context():
        def per_row() -> list[str]:
            return [url_for("cases.view", reference=r) for r in REFERENCES]

        def per_page() -> list[str]:
            build = urls.url_builder("cases.view", "reference")
            return [build(r) for r in REFERENCES]

        assert per_row() == per_page(), "the case URLs differ from url_for's"
        _report(f"case URLs ({ROWS} rows)", _median_ms(per_row, number, repeat),
                _median_ms(per_page, number, repeat))


# ---------------------------------------------------------------- 4. Python's gettext


LABELS = ["Year", "Status", "Department", "Category", "Sort", "Search", "Show", "Opened",
          "Closed", "Reference", "Cases", "Page %(page)s of %(pages)s", "Open", "Deadline",
          "Categories", "Outcome", "Referral", "Relation", "Next steps", "Notes"]


def bench_python_gettext(app: Flask, number: int, repeat: int) -> None:
    headers = {"Cookie": f"{LOCALE_COOKIE}=nl"}
    variables = {"page": 2, "pages": 9}

    def labels(lazy: Callable[..., Any], plain: Callable[..., str]) -> Callable[[], list[str]]:
        strings = [lazy(s, **variables) if "%(" in s else lazy(s) for s in LABELS]

        def render() -> list[str]:
            with app.test_request_context(headers=headers):
                return [str(s) for s in strings] + [plain("All") for _ in range(5)]
        return render

    ours = labels(speedups_gettext.lazy_gettext, speedups_gettext.gettext)
    theirs = labels(flask_babel.lazy_gettext, flask_babel.gettext)
    assert ours() == theirs(), "gettext writes other text than Flask-Babel"
    _report("python gettext (20 labels + 5)", _median_ms(theirs, number, repeat),
            _median_ms(ours, number, repeat))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--number", type=int, default=200, help="units per run")
    parser.add_argument("--repeat", type=int, default=7, help="runs (the median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(production_settings(f"sqlite:///{tmp}/speedups.sqlite3", Path(tmp)))
        print(f"CPU per unit, median of {args.repeat} runs of {args.number} "
              "(plain Flask/Flask-Babel/WTForms -> ours):")
        bench_template_i18n(app, args.number, args.repeat)
        bench_select_widget(args.number, args.repeat)
        bench_case_urls(app, args.number, args.repeat)
        bench_python_gettext(app, args.number, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
