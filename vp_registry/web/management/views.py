"""Management's view of released signals: overview with chart and table, CSV export of exactly
that table, one signal with acknowledgement and follow-up.

Managers only. Everything here comes from ``released_signals`` - what passed disclosure control
and is in the ledger - and from management's own follow-up; nothing is derived from cases. The
CSV export repeats the figures already released (no new figure, so no new ledger entry) and is
audited as an export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from vp_registry.core.taxonomy import Role
from vp_registry.db.organisation import Category
from vp_registry.db.signals import ReleasedSignal, SignalFollowUp
from vp_registry.render.tabular import csv_safe
from vp_registry.services.errors import ValidationFailed
from vp_registry.services.signals import management
from vp_registry.services.signals.management import SignalFilter
from vp_registry.web.access import roles
from vp_registry.web.database import current_work
from vp_registry.web.forms import show_error
from vp_registry.web.management.chart import Bar, signal_chart
from vp_registry.web.signals import words
from vp_registry.web.signals.forms import ConfirmForm, FollowUpForm, SignalFilterForm
from vp_registry.web.signals.views import categories_by_code, template_helpers

blueprint = Blueprint("management", __name__, url_prefix="/management")


# ------------------------------------------------------------------ the table


def table_header() -> list[str]:
    return [str(text) for text in (
        _("Period"), _("Department"), _("Category"), _("Cases"), _("Suggested actions"),
        _("Context"), _("Follow-up"))]


def _cases_text(row: ReleasedSignal) -> str:
    if words.is_pulse(row.kind):  # issue 16: a pulse signal's figure is a released score
        return f"{words.figure_heading(row.kind)}: {words.score_text(row.band)}"
    if row.previous_band and row.previous_quarter:
        return f"{row.band} ({words.quarter_text(row.previous_quarter)}: {row.previous_band})"
    return row.band


def _follow_up_text(row: ReleasedSignal, notes: Sequence[SignalFollowUp]) -> str:
    if notes:
        return " | ".join(f"{format_date(n.done_on)}: {n.description}" for n in notes)
    return str(_("Acknowledged") if row.acknowledged_at else _("Not yet acknowledged"))


def table_rows(rows: Sequence[ReleasedSignal], categories: Mapping[str, Category],
               notes: Mapping[int, Sequence[SignalFollowUp]]) -> list[list[str]]:
    """The overview table, cell by cell: the page and the CSV export both show exactly this."""
    return [[
        words.signal_period_text(row),
        words.group_text(row.group_key, row.group_label),
        words.category_text(row.category, categories),
        _cases_text(row),
        "; ".join(words.action_texts(row)),
        row.context,
        _follow_up_text(row, notes.get(row.id, ())),
    ] for row in rows]


def _criteria() -> tuple[SignalFilterForm, SignalFilter]:
    db = current_work().session
    options = management.filter_options(db)
    categories = categories_by_code()
    form = SignalFilterForm(request.args)
    form.period.choices = [SelectChoice("", _("All periods"))] + [
        SelectChoice(p, words.quarter_text(p)) for p in options.periods]
    form.group.choices = [SelectChoice("", _("All departments"))] + [
        SelectChoice(key, words.group_text(key, label)) for key, label in options.groups]
    form.category.choices = [SelectChoice("", _("All categories"))] + [
        SelectChoice(code, words.category_text(code, categories)) for code in options.categories]
    # the filter is applied as asked (an unknown value simply matches nothing)
    wanted = {name: (request.args.get(name) or "")[:40] or None
              for name in ("period", "group", "category")}
    return form, SignalFilter(**wanted)


def _shown() -> tuple[SignalFilterForm, list[ReleasedSignal], dict[int, list[SignalFollowUp]]]:
    form, criteria = _criteria()
    rows = management.released_signals(current_work().session, criteria)
    return form, rows, management.follow_ups(current_work().session, [r.id for r in rows])


def _chart(rows: Sequence[ReleasedSignal], categories: Mapping[str, Category]) -> str:
    bars = [Bar(
        period=row.last_quarter,
        period_label=words.quarter_text(row.last_quarter),
        series=words.category_text(row.category, categories),
        low=row.band_low, high=row.band_high, band=row.band,
        title=words.signal_sentence(row, categories),
    ) for row in rows if not words.is_pulse(row.kind)]  # a score is no band of cases
    return signal_chart(
        bars, title=_("Released signals per period"),
        description=_("One bar per released signal, grouped by the last quarter of its period. "
                      "The bar shows the band of the number of cases; the same figures are in "
                      "the list below."))


def start_overview() -> dict[str, object]:
    """What is new for the manager's start page: released signals not yet marked as read, and
    read ones without any follow-up yet - the released rows as they are, nothing computed."""
    db = current_work().session
    rows = management.released_signals(db)
    notes = management.follow_ups(db, [row.id for row in rows])
    return {
        "released_count": len(rows),
        "new_signals": [row for row in rows if row.acknowledged_at is None],
        "follow_up_due": [row for row in rows
                          if row.acknowledged_at is not None and not notes.get(row.id)],
        **template_helpers(),
    }


# ------------------------------------------------------------------- the views


@blueprint.get("/signals")
@roles(Role.MANAGER)
def overview() -> str:
    form, rows, notes = _shown()
    categories = categories_by_code()
    query = {k: v for k, v in request.args.items() if k in ("period", "group", "category") and v}
    return render_template(
        "management/signals.html", form=form, signals=rows,
        notes=notes, chart=_chart(rows, categories), filtered=bool(query), query=query,
        unacknowledged=sum(1 for r in rows if r.acknowledged_at is None),
        **template_helpers())


@blueprint.get("/signals.csv")
@roles(Role.MANAGER)
def export_csv() -> Response:
    _form, rows, notes = _shown()
    table = table_rows(rows, categories_by_code(), notes)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(table_header())
    for cells in table:
        writer.writerow([csv_safe(c) for c in cells])  # the report's rule: never a formula
    management.record_export(current_work(), rows=len(table))
    return Response(
        "\ufeff" + buffer.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="signalen.csv"'})


def _detail(signal_id: int, follow_up_form: FollowUpForm | None = None) -> str:
    db = current_work().session
    row = management.get_signal(db, signal_id)
    notes = management.follow_ups(db, [row.id])[row.id]
    names = management.user_names(db, [row.released_by, row.acknowledged_by,
                                       *(n.recorded_by for n in notes)])
    return render_template("management/signal.html", signal=row, notes=notes, names=names,
                           form=follow_up_form or FollowUpForm(), confirm=ConfirmForm(),
                           **template_helpers())


@blueprint.get("/signals/<int:signal_id>")
@roles(Role.MANAGER)
def signal(signal_id: int) -> str:
    return _detail(signal_id)


@blueprint.post("/signals/<int:signal_id>/acknowledge")
@roles(Role.MANAGER)
def acknowledge(signal_id: int) -> BaseResponse:
    if ConfirmForm().validate_on_submit():
        management.acknowledge(current_work(), signal_id)
        flash(_("Thank you: the confidential counsellor sees that you have read the signal."),
              "success")
    return redirect(url_for("management.signal", signal_id=signal_id))


@blueprint.post("/signals/<int:signal_id>/follow-up")
@roles(Role.MANAGER)
def follow_up(signal_id: int) -> BaseResponse | str:
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            management.add_follow_up(current_work(), signal_id, done_on=form.done_on.data,
                                     description=form.description.data)
        except ValidationFailed as error:
            show_error(form, error, "description")
        else:
            flash(_("The follow-up has been recorded. The confidential counsellor can see it."),
                  "success")
            return redirect(url_for("management.signal", signal_id=signal_id))
    return _detail(signal_id, form)
