"""The counsellor's overview across clients and the practice's hours per client."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from vp_registry.render.tabular import csv_safe
from vp_registry.services.practice import hours
from vp_registry.web.access import public
from vp_registry.web.practice import blueprint
from vp_registry.web.practice.client_page import client_parts
from vp_registry.web.practice.client_sessions import host_organisations
from vp_registry.web.practice.overviews import browser_hours, browser_overviews

EARLIEST_YEAR = 2000


def hours_text(minutes: int) -> str:
    """Hours with two decimals as people here write them: "12,50" in Dutch, "12.50" in
    English (a spreadsheet in Dutch reads the CSV's ';' and ',' so too)."""
    shown = hours.hours_text(minutes)
    return shown.replace(".", ",") if str(get_locale() or "nl") == "nl" else shown


@blueprint.get("/clients")
@public  # what it shows comes from the organisations' own sessions, checked one by one
def clients() -> str:
    today = date.today()
    parts = browser_overviews(today)
    return render_template("practice/clients.html", parts=client_parts(parts, today),
                           hosts_apart=bool(parts) and host_organisations())


def _year() -> int:
    today = date.today()
    year = request.args.get("year", today.year, type=int) or today.year
    return year if EARLIEST_YEAR <= year <= today.year else today.year


@blueprint.get("/clients/hours")
@public  # as /clients
def client_hours() -> Response | str:
    year = _year()
    rows, locked = browser_hours(year)
    if request.args.get("format") == "csv":
        return _csv(year, rows)
    today = date.today()
    return render_template("practice/hours.html", year=year, rows=rows, locked=locked,
                           years=list(range(today.year, today.year - 6, -1)),
                           hours_text=hours_text,
                           total=sum(row.total_minutes for row in rows))


def _csv(year: int, rows: list[hours.ClientHours]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Organisation"), _("Year"), _("New cases"), _("Conversations"),
                     _("Hours of conversations"), _("Activities"), _("Hours of activities"),
                     _("Hours in all")])
    for row in rows:
        writer.writerow([csv_safe(row.organisation.name), str(year), str(row.new_cases),
                         str(row.conversations), hours_text(row.conversation_minutes),
                         str(row.activities), hours_text(row.activity_minutes),
                         hours_text(row.total_minutes)])
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="uren-{year}.csv"'})
