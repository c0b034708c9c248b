"""The start page: a role-specific overview after login."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from vp_registry.core.taxonomy import Role
from vp_registry.services.contact import threads
from vp_registry.services.reports import archive
from vp_registry.web.access import authenticated, public
from vp_registry.web.cases.views import overview_context as case_overview
from vp_registry.web.database import db_session
from vp_registry.web.management import views as management

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
@public
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.start"))
    return redirect(url_for("auth.login"))


@blueprint.get("/start")
@authenticated
def start() -> str:
    context: dict[str, Any] = {}
    if current_user.role == Role.COUNSELLOR.value:
        context = case_overview()  # open cases, deadlines, erasure soon (or why locked)
        context["inbox"] = threads.inbox(db_session())  # anonymous messages (counts only)
        # this year's and last year's annual report: draft, final or not started
        context["report_years"] = archive.overview(db_session(), today=date.today())[:2]
    elif current_user.role == Role.MANAGER.value:
        context["published_reports"] = archive.published(db_session())  # final versions only
        context.update(management.start_overview())  # unread signals, follow-up to record
    return render_template(f"home/{current_user.role}.html", **context)
