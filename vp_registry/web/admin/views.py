"""The functional administrator: accounts, departments, categories and the audit log.

The admin can never read a case: no view here touches case data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from vp_registry.core.taxonomy import ROLE_LABELS, Role
from vp_registry.db.audit import AuditEntry
from vp_registry.messages import describe
from vp_registry.services.accounts import department_import, organisation
from vp_registry.services.accounts import users as user_accounts
from vp_registry.services.errors import DomainError
from vp_registry.services.infrastructure import audit_search
from vp_registry.web.access import roles
from vp_registry.web.admin import audit_labels
from vp_registry.web.admin.forms import (
    AuditFilterForm,
    CategoryForm,
    ConfirmForm,
    CreateUserForm,
    DepartmentForm,
    ImportDepartmentsForm,
    ResetPasswordForm,
)
from vp_registry.web.database import current_work
from vp_registry.web.forms import page_number, show_error

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE_SIZE = 50


# ------------------------------------------------------------------- accounts


@blueprint.get("/users")
@roles(Role.ADMIN)
def users() -> str:
    return render_template("admin/users.html",
                           users=user_accounts.list_users(current_work().session),
                           form=ConfirmForm())


@blueprint.route("/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def create_user() -> Response | str:
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            user_accounts.create_user(current_work(), email=form.email.data,
                                      display_name=form.display_name.data, role=form.role.data,
                                      password=form.password.data)
        except DomainError as error:
            show_error(form, error, "email")
        else:
            flash(_("The account has been created."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", form=form)


@blueprint.post("/users/<int:user_id>/active")
@roles(Role.ADMIN)
def set_user_active(user_id: int) -> Response | str:
    form = ConfirmForm()
    if form.validate_on_submit():
        user = user_accounts.get_user(current_work().session, user_id)
        active = request.form.get("active") == "1"
        if not active and request.form.get("confirmed") != "1":  # first the question (issue 14)
            return render_template(
                "confirm.html", title=_("Disable this account?"),
                facts=[(_("Name"), user.display_name), (_("E-mail address"), user.email),
                       (_("Role"), _(ROLE_LABELS[Role(user.role)]))],
                consequence=_("They are logged out at once and can no longer log in until the "
                              "account is enabled again. Nothing they recorded is deleted."),
                action=url_for("admin.set_user_active", user_id=user.id),
                fields=[("active", "0")], confirm_label=_("Disable account"),
                back=url_for("admin.users"))
        try:
            user_accounts.set_active(current_work(), user, active)
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("The account has been updated."), "success")
    return redirect(url_for("admin.users"))


@blueprint.route("/users/<int:user_id>/reset", methods=["GET", "POST"])
@roles(Role.ADMIN)
def reset_password(user_id: int) -> Response | str:
    user = user_accounts.get_user(current_work().session, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user_accounts.reset_password(current_work(), user, form.password.data)
        except DomainError as error:
            show_error(form, error, "password")
        else:
            flash(_("The password has been reset. At the next login a new password and a new "
                    "two-step verification must be set up."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_reset.html", form=form, user=user)


def _saved(form: FlaskForm, save: Callable[[], None], field: str, done: str,
           back: str) -> Response | None:
    """The edit forms' one flow: on a valid submit, save; a refusal is shown at ``field``
    (None: show the form again), success is flashed and goes back to the list."""
    if not form.validate_on_submit():
        return None
    try:
        save()
    except DomainError as error:
        show_error(form, error, field)
        return None
    flash(done, "success")
    return redirect(url_for(back))


# ---------------------------------------------------------------- departments


def _parent_choices(exclude: int | None = None) -> list[SelectChoice]:
    return [SelectChoice(0, _("(none: top level)"))] + [
        SelectChoice(d.id, d.name)
        for d in organisation.list_departments(current_work().session) if d.id != exclude
    ]


@blueprint.get("/departments")
@roles(Role.ADMIN)
def departments() -> str:
    rows = organisation.list_departments(current_work().session)
    names = {d.id: d.name for d in rows}
    return render_template("admin/departments.html", departments=rows, names=names,
                           import_form=ImportDepartmentsForm())


@blueprint.route("/departments/new", methods=["GET", "POST"])
@blueprint.route("/departments/<int:department_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_department(department_id: int | None = None) -> Response | str:
    work = current_work()
    department = (organisation.get_department(work.session, department_id) if department_id
                  else None)
    form = DepartmentForm(obj=department)
    form.parent_id.choices = _parent_choices(department_id)
    if request.method == "GET" and department is not None:
        form.parent_id.data = department.parent_id or 0

    def save() -> None:
        values = {"name": form.name.data, "headcount": form.headcount.data,
                  "parent_id": form.parent_id.data or None, "active": form.active.data}
        if department is None:
            organisation.create_department(work, **values)
        else:
            organisation.update_department(work, department, **values)

    saved = _saved(form, save, "name", _("The department has been saved."), "admin.departments")
    return saved or render_template("admin/department_form.html", form=form,
                                    department=department)


@blueprint.post("/departments/import")
@roles(Role.ADMIN)
def import_departments() -> Response | str:
    form = ImportDepartmentsForm()
    if not form.validate_on_submit():
        flash(_("Choose a CSV file to import."), "error")
        return redirect(url_for("admin.departments"))
    try:
        text = form.file.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash(_("The file is not a UTF-8 CSV file. Save it as 'CSV UTF-8' and try again."),
              "error")
        return redirect(url_for("admin.departments"))
    report = department_import.import_departments(current_work(), text)
    if not report.ok:
        errors = [(line, _(text, **params)) for line, text, params in report.errors]
        return render_template("admin/import_report.html", errors=errors)
    flash(_("Import complete: %(created)s added, %(updated)s updated.",
            created=report.created, updated=report.updated), "success")
    return redirect(url_for("admin.departments"))


# ----------------------------------------------------------------- categories


@blueprint.get("/categories")
@roles(Role.ADMIN)
def categories() -> str:
    return render_template("admin/categories.html",
                           categories=organisation.list_categories(current_work().session),
                           form=ConfirmForm())


@blueprint.route("/categories/new", methods=["GET", "POST"])
@blueprint.route("/categories/<int:category_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_category(category_id: int | None = None) -> Response | str:
    work = current_work()
    category = organisation.get_category(work.session, category_id) if category_id else None
    form = CategoryForm(obj=category)

    def save() -> None:
        if category is None:
            organisation.create_category(work, code=form.code.data or "",
                                         label_nl=form.label_nl.data, label_en=form.label_en.data)
        else:
            organisation.update_category(work, category, label_nl=form.label_nl.data,
                                         label_en=form.label_en.data, active=form.active.data)

    saved = _saved(form, save, "label_nl", _("The category has been saved."), "admin.categories")
    return saved or render_template("admin/category_form.html", form=form, category=category)


@blueprint.post("/categories/<int:category_id>/delete")
@roles(Role.ADMIN)
def delete_category(category_id: int) -> Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        work = current_work()
        try:
            organisation.delete_category(work, organisation.get_category(work.session,
                                                                         category_id))
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("The category has been deleted."), "success")
    return redirect(url_for("admin.categories"))


# ------------------------------------------------------------------ audit log


@blueprint.get("/audit")
@roles(Role.ADMIN)
def audit_log() -> str:
    db = current_work().session
    all_users = user_accounts.list_users(db)
    form = AuditFilterForm(request.args)
    form.actor.choices = [SelectChoice(0, _("Everyone"))] + [
        SelectChoice(u.id, f"{u.display_name} ({u.email})") for u in all_users]
    form.kind.choices = [SelectChoice("", _("All kinds"))] + [
        SelectChoice(k.code, str(k.label)) for k in audit_labels.EVENT_KINDS]
    known = audit_search.known_actions(db)
    events = sorted((SelectChoice(a, audit_labels.describe_action(a)) for a in known),
                    key=lambda choice: choice.label.casefold())
    form.action.choices = [SelectChoice("", _("All events")), *events]
    form.validate()
    kind = audit_labels.kind(form.kind.data or "") if not form.kind.errors else None
    zone = ZoneInfo(current_work().settings.time_zone)
    page = page_number()
    criteria = audit_search.AuditFilter(
        actor_id=form.actor.data or None if not form.actor.errors else None,
        action=form.action.data or None if not form.action.errors else None,
        actions=None if kind is None else tuple(
            a for a in known if kind.holds(a)),
        date_from=_utc_start_of(form.date_from.data, zone) if form.date_from.data else None,
        date_to=_utc_start_of(form.date_to.data + timedelta(days=1), zone)
        if form.date_to.data and form.date_to.data < date.max else None,
    )
    entries, total = audit_search.search(db, criteria, limit=AUDIT_PAGE_SIZE,
                                  offset=(page - 1) * AUDIT_PAGE_SIZE)
    names = {u.id: u.display_name for u in all_users}
    return render_template("admin/audit.html", form=form, entries=entries, total=total,
                           page=page, pages=max(1, -(-total // AUDIT_PAGE_SIZE)), names=names,
                           rows=[_audit_row(entry, zone, names) for entry in entries])


def _utc_start_of(day: date, zone: ZoneInfo) -> datetime:
    """The moment a day of the organisation's time zone begins, as the log's naive UTC.
    At the ends of the calendar (1 January of year 1) that moment lies before the first
    representable one: the filter then starts at the earliest."""
    try:
        return datetime.combine(day, time.min, zone).astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return datetime.min if day.year == date.min.year else datetime.max


@dataclass(frozen=True)
class AuditRow:
    """One entry as the page shows it: local time (the date alone for the anonymous
    channel's entries, which hold no time), a description, the subject in words and the
    details as a list of names and values."""

    when: str
    when_iso: str
    who: str
    event: str
    subject: str
    details: list[tuple[str, str]]


def _audit_row(entry: AuditEntry, zone: ZoneInfo, names: dict[int, str]) -> AuditRow:
    if entry.date_only:  # a date of its own: not moved to another day by the time zone
        when, iso = format_date(entry.created_at.date(), "d MMM yyyy"), \
            entry.created_at.date().isoformat()
    else:
        local = entry.created_at.replace(tzinfo=UTC).astimezone(zone)
        when = format_datetime(local, "d MMM yyyy HH:mm:ss", rebase=False)
        iso = local.isoformat(timespec="seconds")
    try:
        loaded = json.loads(entry.details or "{}")
    except ValueError:
        loaded = {"": entry.details}
    details = [(str(key), value if isinstance(value, str) else json.dumps(value))
               for key, value in (loaded.items() if isinstance(loaded, dict)
                                  else [("", loaded)])]
    subject = " ".join(part for part in (audit_labels.describe_subject(entry.target_type),
                                         entry.target_id or "") if part)
    who = names.get(entry.actor_id or 0) or audit_labels.describe_actor(entry.actor_role)
    return AuditRow(when=when, when_iso=iso, who=who,
                    event=audit_labels.describe_action(entry.action), subject=subject,
                    details=details)
