"""The counsellor's case work: list, create, view, edit, close, reopen, erase, conversations.

Only counsellors reach these routes (``@roles``), and only with the vault key in their
session (``@needs_vault``). The views translate forms to service calls and domain errors to
messages; the services encrypt, validate, audit and flush; the request commits once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from vp_registry.core.casework import normalise_reference
from vp_registry.core.taxonomy import Role
from vp_registry.messages import describe
from vp_registry.services.cases import conversations as case_conversations
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases import listing as case_listing
from vp_registry.services.cases.queries import CaseFilter
from vp_registry.services.cases.records import (
    CaseConflict,
    Closing,
    ContactConflict,
    ContactInput,
)
from vp_registry.services.errors import Conflict, DomainError, VaultLocked
from vp_registry.services.infrastructure import retention
from vp_registry.web.access import roles
from vp_registry.web.cases import case_form, filter_panel, listing, page_markup
from vp_registry.web.cases.common import listing_cache, needs_vault, search_index
from vp_registry.web.cases.forms import (
    NOT_CHOSEN,
    CaseForm,
    CloseForm,
    ContactForm,
    EraseForm,
    FilterForm,
    VersionForm,
)
from vp_registry.web.database import current_work
from vp_registry.web.forms import page_number, show_error
from vp_registry.web.sealed import forget_value, open_value, seal_value
from vp_registry.web.speedups import session_memory, template_i18n, widgets

blueprint = Blueprint("cases", __name__, url_prefix="/cases")
blueprint.add_app_template_global(filter_panel.keep, "keep_filter_panel")
blueprint.add_app_template_global(filter_panel.panel_csrf, "filter_panel_csrf")
blueprint.add_app_template_global(page_markup.status_label, "case_status_label")
blueprint.add_app_template_global(page_markup.deadline, "case_deadline")
blueprint.add_app_template_global(page_markup.category_list, "case_category_list")
blueprint.add_app_template_global(page_markup.multiline, "case_multiline")




def _reference(reference: str) -> str:
    normalised = normalise_reference(reference)
    if normalised is None:
        abort(404)
    return normalised


def _version(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return -1


# --------------------------------------------------------------------- list
#
# The filter and the search text never travel in a URL (issue 11, item 3): the form is POSTed
# (CSRF like every form), the filter is kept in the session sealed under the cookie token
# (web/sealed.py), and the browser is sent on to the plain list URL (Post/Redirect/Get). Only
# the page number, which says nothing about a case, stays in the URL.

_FILTER_SELECT = widgets.Select()
FILTER_KEY = "case_filter"
_FILTER_FIELDS = ("status", "category", "department", "year", "q", "sort")


def _filter_form(**kwargs: Any) -> FilterForm:
    form = FilterForm(**kwargs)
    i18n = template_i18n.current()  # the request's catalogue, looked up once (issue 15)
    every = i18n.gettext("All") if i18n is not None else _("All")
    form.category.choices = [SelectChoice("", every)] + [
        SelectChoice(code, name)
        for code, name in listing.category_labels(case_form.categories()).items()]
    form.department.choices = [SelectChoice(0, every)] + [
        SelectChoice(d.id, d.name) for d in case_form.departments()]
    form.year.choices = [SelectChoice(0, every)] + [
        SelectChoice(y, str(y)) for y in case_form.case_years()]
    for select in (form.status, form.category, form.department, form.year, form.sort):
        select.widget = _FILTER_SELECT  # same HTML as WTForms' Select, cheaper
    return form


def _stored_filter() -> dict[str, Any]:
    """The filter kept (sealed) in this session, field by field (empty when none is kept)."""
    stored = open_value(session, FILTER_KEY)
    return {name: stored[name] for name in _FILTER_FIELDS
            if isinstance(stored, dict) and name in stored}


def _stored_filter_form(data: dict[str, Any] | None = None) -> FilterForm:
    """The form as the filter kept in this session fills it (empty when none is kept)."""
    data = _stored_filter() if data is None else data
    form = _filter_form(formdata=None, data=data)
    if data:  # the defaults are always valid (issue 15: no validation for no filter)
        form.validate()  # a department or year gone since: that part of the filter lapses
    return form


def _criteria(form: FilterForm) -> CaseFilter:
    def valid(field: Any, default: Any) -> Any:
        return default if field.errors else (field.data or default)

    return CaseFilter(
        status=valid(form.status, None), category=valid(form.category, None),
        department_id=valid(form.department, None), year=valid(form.year, None),
        text=valid(form.q, None), sort=valid(form.sort, "newest"),
    )


# What the filter form at its defaults asks for (tests/web/test_filter_panel.py checks it
# against _criteria of that form): the list of a kept filter panel, built without the form.
NO_FILTER = CaseFilter(sort="newest")


def _list_page(form: FilterForm | None, criteria: CaseFilter, panel: Any = None) -> str:
    category_names = listing.category_labels(case_form.categories())
    page = case_listing.list_cases(current_work(), criteria, page=page_number(),
                                   cache=listing_cache(), search=search_index(),
                                   decoded=session_memory.decoded_rows())
    names = {d.id: d.name for d in case_form.departments()}
    rows_markup = listing.RowsMarkup(department_names=names, category_names=category_names,
                                     today=date.today(), kept=session_memory.list_rows())
    return render_template("cases/index.html", form=form, page=page, rows=page.items,
                           rows_markup=rows_markup, panel=panel,
                           filtered=criteria != CaseFilter(sort=criteria.sort))


@blueprint.get("/")
@roles(Role.COUNSELLOR)
@needs_vault
def index() -> Response | str:
    if any(name != "page" for name in request.args):  # an old link with the filter in it
        page = page_number()
        return redirect(url_for("cases.index", page=page) if page > 1
                        else url_for("cases.index"), 303)
    data = _stored_filter()
    if not data:  # no filter: the panel as this session kept it, without building the form
        panel = filter_panel.kept()
        if panel is not None:
            return _list_page(None, NO_FILTER, panel)
    form = _stored_filter_form(data)
    return _list_page(form, _criteria(form))


@blueprint.post("/filter")
@roles(Role.COUNSELLOR)
@needs_vault
def filter_list() -> Response | str:
    """Keep the filter (sealed) in the session, or forget it ("Clear filter"), and go on to
    the first page of the plain list URL."""
    if request.form.get("clear"):
        forget_value(session, FILTER_KEY)
        return redirect(url_for("cases.index"), 303)
    form = _filter_form()
    if not form.validate():  # what was typed stays in the form; the kept filter stays
        return _list_page(form, _criteria(_stored_filter_form()))
    chosen = {name: getattr(form, name).data for name in _FILTER_FIELDS}
    seal_value(session, FILTER_KEY, chosen)
    return redirect(url_for("cases.index"), 303)


# ------------------------------------------------------------------- create


@blueprint.route("/new", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def create() -> Response | str:
    form = CaseForm()
    case_form.fill_choices(form)
    if request.method == "GET":
        form.opened_on.data = date.today()
    if case_form.valid(form):
        try:
            record = lifecycle.create_case(current_work(), case_form.to_input(form))
        except VaultLocked:
            raise
        except DomainError as error:
            show_error(form, error, "narrative")
        else:
            flash(_("Case %(reference)s has been registered.", reference=record.reference),
                  "success")
            return redirect(url_for("cases.view", reference=record.reference))
    return render_template("cases/form.html", form=form, record=None)


# --------------------------------------------------------------------- view


@blueprint.get("/<reference>")
@roles(Role.COUNSELLOR)
@needs_vault
def view(reference: str) -> str:
    record = lifecycle.read_case(current_work(), _reference(reference))
    version_form = None
    if not record.is_open:  # the page's one form: "Reopen" (issue 15: not built for nothing)
        version_form = VersionForm()
        version_form.version.data = str(record.version)
    return render_template("cases/view.html", record=record, version_form=version_form,
                           **case_form.lookups())


# --------------------------------------------------------------------- edit


@blueprint.route("/<reference>/edit", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def edit(reference: str) -> Response | str:
    work = current_work()
    record = lifecycle.read_case(work, _reference(reference))
    form = CaseForm()
    case_form.fill_choices(form, record)
    if request.method == "GET":
        case_form.load(form, record)
    if case_form.valid(form, record):
        try:
            lifecycle.update_case(work, record.reference, _version(form.version.data),
                                  case_form.to_input(form))
        except CaseConflict as conflict:
            form.version.data = str(conflict.current.version)
            return render_template("cases/conflict.html", form=form, record=conflict.current,
                                   **case_form.lookups())
        except VaultLocked:
            raise
        except DomainError as error:
            show_error(form, error, "narrative")
        else:
            flash(_("The case has been saved."), "success")
            return redirect(url_for("cases.view", reference=record.reference))
    return render_template("cases/form.html", form=form, record=record)


# ------------------------------------------------------------ close, reopen


@blueprint.route("/<reference>/close", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def close(reference: str) -> Response | str:
    work = current_work()
    record = lifecycle.read_case(work, _reference(reference))
    if not record.is_open:
        flash(_("This case is already closed."), "warning")
        return redirect(url_for("cases.view", reference=record.reference))
    form = CloseForm()
    if request.method == "GET":
        form.closed_on.data = date.today()
        form.outcome.data = record.outcome or NOT_CHOSEN
        form.referral.data = record.referral or NOT_CHOSEN
        form.referral_target.data = record.referral_target
        form.version.data = str(record.version)
    if form.validate_on_submit():
        closing = Closing(closed_on=form.closed_on.data, outcome=form.outcome.data,
                          referral=form.referral.data or None,
                          referral_target=form.referral_target.data)
        try:
            lifecycle.close_case(work, record.reference, _version(form.version.data), closing)
        except CaseConflict:
            flash(_("Someone else changed this case in the meantime. Check it and close it "
                    "again."), "error")
            return redirect(url_for("cases.view", reference=record.reference))
        except DomainError as error:
            show_error(form, error, "outcome")
        else:
            flash(_("The case has been closed."), "success")
            return redirect(url_for("cases.view", reference=record.reference))
    return render_template("cases/close.html", form=form, record=record)


@blueprint.post("/<reference>/reopen")
@roles(Role.COUNSELLOR)
@needs_vault
def reopen(reference: str) -> Response:
    reference = _reference(reference)
    form = VersionForm()
    if form.validate_on_submit():
        try:
            lifecycle.reopen_case(current_work(), reference, _version(form.version.data))
        except CaseConflict:
            flash(_("Someone else changed this case in the meantime. Check it and try again."),
                  "error")
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("The case has been reopened."), "success")
    return redirect(url_for("cases.view", reference=reference))


# -------------------------------------------------------------------- erase


@blueprint.route("/<reference>/erase", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def erase(reference: str) -> Response | str:
    work = current_work()
    record = lifecycle.read_case(work, _reference(reference))
    form = EraseForm()
    if request.method == "GET":
        form.version.data = str(record.version)
    if form.validate_on_submit():
        if normalise_reference(form.confirm.data or "") != record.reference:
            form.confirm.errors.append(_("Type the reference %(reference)s exactly.",
                                         reference=record.reference))
        else:
            try:
                lifecycle.erase_case(work, record.reference, _version(form.version.data))
            except Conflict as error:
                flash(describe(error), "error")
                return redirect(url_for("cases.view", reference=record.reference))
            flash(_("Case %(reference)s has been erased. It cannot be recovered.",
                    reference=record.reference), "success")
            return redirect(url_for("cases.index"))
    return render_template("cases/erase.html", form=form, record=record)


# ------------------------------------------------------------ conversations


def _contact_input(form: ContactForm) -> ContactInput:
    return ContactInput(held_on=form.held_on.data, minutes=form.minutes.data or 0,
                        channel=form.channel.data or "", notes=form.notes.data)


@blueprint.route("/<reference>/conversations/new", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def add_contact(reference: str) -> Response | str:
    work = current_work()
    record = lifecycle.read_case(work, _reference(reference))
    form = ContactForm()
    if request.method == "GET":
        form.held_on.data = date.today()
    if form.validate_on_submit():
        try:
            case_conversations.add_contact(work, record.reference, _contact_input(form))
        except VaultLocked:
            raise
        except DomainError as error:
            show_error(form, error, "notes")
        else:
            flash(_("The conversation has been added."), "success")
            return redirect(url_for("cases.view", reference=record.reference))
    return render_template("cases/contact_form.html", form=form, record=record, contact=None,
                           current=None)


@blueprint.route("/<reference>/conversations/<int:contact_id>", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def edit_contact(reference: str, contact_id: int) -> Response | str:
    work = current_work()
    record = lifecycle.read_case(work, _reference(reference))
    contact = case_conversations.get_contact(work, record.reference, contact_id)
    form = ContactForm()
    if request.method == "GET":
        form.held_on.data, form.minutes.data = contact.held_on, contact.minutes
        form.channel.data, form.notes.data = contact.channel, contact.notes
        form.version.data = str(contact.version)
    if form.validate_on_submit():
        try:
            case_conversations.update_contact(work, record.reference, contact_id,
                                              _version(form.version.data), _contact_input(form))
        except ContactConflict as conflict:
            form.version.data = str(conflict.current.version)
            return render_template("cases/contact_form.html", form=form, record=record,
                                   contact=contact, current=conflict.current)
        except DomainError as error:
            show_error(form, error, "notes")
        else:
            flash(_("The conversation has been saved."), "success")
            return redirect(url_for("cases.view", reference=record.reference))
    return render_template("cases/contact_form.html", form=form, record=record, contact=contact,
                           current=None)


# --------------------------------------------------------------- start page


def overview_context() -> dict[str, Any]:
    """What the counsellor's start page shows: open cases, deadlines, erasure soon."""
    work = current_work()
    today = date.today()
    soon = retention.due_soon(work, today=today)
    if work.keys_or_none() is None:
        return {"vault_open": False, "erasure_soon": soon, "today": today}
    found = case_listing.overview(work, today=today)
    return {
        "vault_open": True, "open_cases": found.recent, "open_count": found.open_count,
        "deadline_cases": found.deadlines, "erasure_soon": soon, **case_form.lookups(),
    }
