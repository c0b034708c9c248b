"""The counsellor's activities (voorlichting, training, spreekuur, ...): list per year with
hours per type, create, edit, delete. Counsellors only, with the vault key (descriptions are
encrypted)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from vp_registry.core.taxonomy import ACTIVITY_LABELS, ActivityType, Role
from vp_registry.messages import describe
from vp_registry.services.errors import DomainError
from vp_registry.services.reports import activities
from vp_registry.services.reports.activities import ActivityConflict, ActivityInput, ActivityRecord
from vp_registry.web.access import roles
from vp_registry.web.cases.common import needs_vault
from vp_registry.web.database import current_work
from vp_registry.web.forms import show_error
from vp_registry.web.reports.forms import ActivityForm, DeleteForm, revision_of

blueprint = Blueprint("activities", __name__, url_prefix="/activities")




def hours_text(hours: Decimal) -> str:
    """Hours as people write them here: "1,5" in Dutch, "1.5" in English; two decimals at most."""
    shown = f"{hours.quantize(Decimal('0.01')).normalize():f}"
    return shown.replace(".", ",") if str(get_locale() or "nl") == "nl" else shown


def minutes_text(minutes: int) -> str:
    return hours_text(Decimal(minutes) / 60)


def _input(form: ActivityForm) -> ActivityInput:
    return ActivityInput(held_on=form.held_on.data, activity_type=form.activity_type.data or "",
                         hours=activities.parse_hours(form.hours.data or ""),
                         description=form.description.data or "")


@blueprint.get("")
@roles(Role.COUNSELLOR)
@needs_vault
def index() -> str:
    work = current_work()
    today = date.today()
    year = request.args.get("year", today.year, type=int) or today.year
    if not 2000 <= year <= today.year:
        year = today.year
    records = activities.list_activities(work, year)
    years = sorted({today.year, year, *activities.activity_years(work.session)}, reverse=True)
    totals = activities.totals_by_type(records)
    return render_template(
        "reports/activities.html", year=year, years=years, records=records, totals=totals,
        total_minutes=sum(r.minutes for r in records), kinds=list(ActivityType),
        delete_form=DeleteForm(), hours_text=hours_text, minutes_text=minutes_text)


@blueprint.route("/new", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def create() -> Response | str:
    form = ActivityForm()
    if form.validate_on_submit():
        try:
            record = activities.create_activity(current_work(), _input(form))
        except DomainError as error:
            show_error(form, error, "description")
        else:
            flash(_("The activity has been saved."), "success")
            return redirect(url_for("activities.index", year=record.held_on.year))
    return render_template("reports/activity_form.html", form=form, record=None)


def _load(form: ActivityForm, record: ActivityRecord) -> None:
    form.held_on.data = record.held_on
    form.activity_type.data = record.activity_type
    form.hours.data = hours_text(record.hours)
    form.description.data = record.description
    form.revision.data = str(record.revision)


@blueprint.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def edit(activity_id: int) -> Response | str:
    work = current_work()
    record = activities.get_activity(work, activity_id)
    form = ActivityForm()
    if request.method == "GET":
        _load(form, record)
    if form.validate_on_submit():
        try:
            saved = activities.update_activity(work, record.id, revision_of(form.revision.data),
                                               _input(form))
        except ActivityConflict as error:
            # keep what was typed (I-7); saving again deliberately replaces the stored version
            flash(describe(error), "error")
            form.revision.data = str(activities.get_activity(work, activity_id).revision)
        except DomainError as error:
            show_error(form, error, "description")
        else:
            flash(_("The activity has been saved."), "success")
            return redirect(url_for("activities.index", year=saved.held_on.year))
    return render_template("reports/activity_form.html", form=form, record=record)


@blueprint.post("/<int:activity_id>/delete")
@roles(Role.COUNSELLOR)
@needs_vault
def delete(activity_id: int) -> Response | str:
    form = DeleteForm()
    year = date.today().year
    if form.validate_on_submit():
        work = current_work()
        try:
            record = activities.get_activity(work, activity_id)
            year = record.held_on.year
            if request.form.get("confirmed") != "1":  # first the question (issue 14)
                return render_template(
                    "confirm.html", title=_("Delete this activity?"),
                    facts=[(_("Date"), format_date(record.held_on)),
                           (_("Kind"), _(ACTIVITY_LABELS[ActivityType(record.activity_type)])),
                           (_("Hours"), hours_text(record.hours)),
                           (_("Description"), record.description or "—")],
                    consequence=_("The activity is removed from the list and from the annual "
                                  "report's figures. This cannot be undone."),
                    action=url_for("activities.delete", activity_id=record.id),
                    fields=[("revision", form.revision.data)],
                    confirm_label=_("Delete activity"),
                    back=url_for("activities.index", year=year))
            activities.delete_activity(work, activity_id, revision_of(form.revision.data))
        except ActivityConflict as error:
            flash(describe(error), "error")
        else:
            flash(_("The activity has been deleted."), "success")
    return redirect(url_for("activities.index", year=year))
