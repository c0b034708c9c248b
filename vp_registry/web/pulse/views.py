"""The counsellor's and admin's pulse pages: the rounds, a round's form, its page with the
public link and QR code, invitation codes (CSV or a printable sheet) and closing it.

Counsellors and admins (``@roles``). No page here needs the vault key: a round holds no case
data. Invitation codes exist in plaintext only in the response that issued them (the file or
the sheet); the database keeps a keyed hash. Results, their release and the comments are in
:mod:`.results` (counsellors only).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from vp_registry.core.disclosure.cells import ORGANISATION, OTHER_DEPARTMENTS
from vp_registry.core.pulse.disclosure import ORGANISATION_KEY, OTHER_GROUPS
from vp_registry.core.pulse.questions import (
    SAFETY_CODES,
    SAFETY_STATEMENTS,
    TOOLBOX_STATEMENTS,
    Statement,
)
from vp_registry.core.taxonomy import Role
from vp_registry.db.pulse import PulseRound
from vp_registry.messages import describe
from vp_registry.services.accounts import organisation
from vp_registry.services.accounts.totp import qr_svg
from vp_registry.services.errors import DomainError, NotFound
from vp_registry.services.pulse import codes, rounds
from vp_registry.web.access import roles
from vp_registry.web.database import current_work
from vp_registry.web.forms import show_error
from vp_registry.web.pulse.forms import (
    ALL,
    CodesForm,
    ConfirmForm,
    EditRoundForm,
    RoundForm,
    form_field,
)
from vp_registry.web.speedups.gettext import gettext as _

blueprint = Blueprint("pulse", __name__, url_prefix="/pulse")
STAFF = (Role.COUNSELLOR, Role.ADMIN)
_TRANSLATED_GROUPS = frozenset({ORGANISATION_KEY, OTHER_GROUPS, OTHER_DEPARTMENTS, ORGANISATION})


def locale() -> str:
    return "en" if str(get_locale() or "nl") == "en" else "nl"


def one_decimal(value: float | None, signed: bool = False) -> str:
    """A mean or score as people read it (5,3 in Dutch); a dash when there is none."""
    if value is None:
        return "\u2014"
    text = str(format_decimal(value, format="#,##0.0"))
    return f"+{text}" if signed and value > 0 else text


def statement_text(statement: Statement) -> str:
    return statement.text(locale())


def group_name(key: str, label: str) -> str:
    """A group's name: a department (group) as named, the rule's own rows translated."""
    return str(_(label)) if key in _TRANSLATED_GROUPS else str(label)


def group_label(group: Any) -> str:
    return group_name(group.key, group.label)


def template_helpers() -> dict[str, Any]:
    return {"number": one_decimal, "statement_text": statement_text,
            "group_label": group_label, "group_name": group_name, "round_state": rounds.state}


blueprint.context_processor(template_helpers)


def round_or_404(round_id: int) -> PulseRound:
    try:
        return rounds.get_round(current_work().session, round_id)
    except NotFound:
        abort(404)


def public_link(round_: PulseRound) -> str:
    return url_for("survey.answer", token=round_.public_token, _external=True)


# ------------------------------------------------------------------ the rounds


@blueprint.get("")
@roles(*STAFF)
def rounds_list() -> str:
    return render_template("pulse/rounds.html", rounds=rounds.list_rounds(current_work().session))


def _fill_choices(form: RoundForm) -> list[int]:
    """The form's departments and toolbox questions; returns every active department's id."""
    departments = organisation.list_departments(current_work().session, active_only=True)
    form.departments.choices = [SelectChoice(d.id, d.name) for d in departments]
    form.statements.choices = [SelectChoice(s.code, statement_text(s))
                               for s in TOOLBOX_STATEMENTS]
    return [d.id for d in departments]


def _valid(form: RoundForm, every: list[int]) -> bool:
    """A posted form that passes its own checks and invites at least one department (every
    problem shown at once)."""
    if request.method != "POST":
        return False
    valid = form.validate_on_submit()
    if not form.department_ids(every):
        form.departments.errors = [_("Invite at least one department.")]
        return False
    return bool(valid)


def _show(form: Any, error: DomainError) -> None:
    """A service's refusal under the form field it names."""
    error.field = form_field(error.field)
    show_error(form, error, "title")


@blueprint.route("/new", methods=["GET", "POST"])
@roles(*STAFF)
def create_round() -> BaseResponse | str:
    form = RoundForm()
    every = _fill_choices(form)
    if request.method == "GET":
        form.all_departments.data = [ALL]
    if _valid(form, every):
        try:
            created = rounds.create_round(
                current_work(), title=form.title.data, opens_on=form.opens_on.data,
                closes_on=form.closes_on.data, department_ids=form.department_ids(every),
                statement_codes=[*SAFETY_CODES, *(form.statements.data or ())],
                custom_statements=form.custom_list(), with_codes=form.with_codes.data == "codes",
                free_text=bool(form.free_text.data))
        except DomainError as error:
            _show(form, error)
        else:
            flash(_("The round has been created. Share the link or print invitation codes."),
                  "success")
            return redirect(url_for("pulse.round_page", round_id=created.id))
    return render_template("pulse/form.html", form=form, safety=SAFETY_STATEMENTS)


@blueprint.route("/<int:round_id>/edit", methods=["GET", "POST"])
@roles(*STAFF)
def edit_round(round_id: int) -> BaseResponse | str:
    """Title and dates; who is invited and what is asked are fixed when a round is made."""
    round_ = round_or_404(round_id)
    form = EditRoundForm(data=None if request.method == "POST" else {
        "title": round_.title, "opens_on": round_.opens_on, "closes_on": round_.closes_on,
        "version": round_.version})
    if form.validate_on_submit():
        try:
            rounds.update_round(current_work(), round_id, title=form.title.data,
                                opens_on=form.opens_on.data, closes_on=form.closes_on.data,
                                version=form.version.data)
        except DomainError as error:
            _show(form, error)
        else:
            flash(_("The round has been saved."), "success")
            return redirect(url_for("pulse.round_page", round_id=round_id))
    return render_template("pulse/edit.html", form=form, round=round_)


@blueprint.get("/<int:round_id>")
@roles(*STAFF)
def round_page(round_id: int) -> str:
    return _round_page(round_or_404(round_id), CodesForm(formdata=None))[0]


def _round_page(round_: PulseRound, codes_form: CodesForm, status: int = 200
                ) -> tuple[str, int]:
    db = current_work().session
    link = public_link(round_)
    names = {d.id: d.name for d in organisation.list_departments(db)}
    return render_template(
        "pulse/round.html", round=round_, state=rounds.state(round_), link=link,
        qr=qr_svg(link), codes_form=codes_form, form=ConfirmForm(),
        statements=rounds.statements_of(db, round_.id),
        groups=rounds.groups_of(db, round_.id), names=names), status


# ------------------------------------------------------------ invitation codes


def codes_csv(round_: PulseRound, issued: list[str]) -> Response:
    """The codes as a CSV file, one a line, with the link to answer at: nothing else."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_("Invitation code"), _("Answer at")])
    link = public_link(round_)
    for code in issued:
        writer.writerow([code, link])
    return Response(
        "\ufeff" + buffer.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="pulse-{round_.id}-codes.csv"',
                 "Cache-Control": "no-store"})


@blueprint.post("/<int:round_id>/codes")
@roles(*STAFF)
def issue_codes(round_id: int) -> Any:
    """New codes, shown once: as a CSV download or as a printable sheet of slips."""
    round_ = round_or_404(round_id)
    form = CodesForm()
    if not form.validate_on_submit():
        return _round_page(round_, form, 400)
    try:
        issued = codes.issue_codes(current_work(), round_id, form.count.data)
    except DomainError as error:
        show_error(form, error, "count")
        return _round_page(round_, form, 400)
    if request.form.get("as") == "csv":
        return codes_csv(round_, issued)
    link = public_link(round_)
    return render_template("pulse/codes_sheet.html", round=round_, codes=issued, link=link,
                           qr=qr_svg(link))


# ------------------------------------------------------------------ closing


@blueprint.post("/<int:round_id>/close")
@roles(*STAFF)
def close_round(round_id: int) -> BaseResponse | str:
    round_ = round_or_404(round_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("pulse.round_page", round_id=round_id))
    if request.form.get("confirmed") != "1":
        return render_template(
            "confirm.html", title=_("Close this round?"),
            facts=[(_("Title"), round_.title)],
            consequence=_("Nobody can answer any more, also not with an unused code. A closed "
                          "round cannot be opened again."),
            action=url_for("pulse.close_round", round_id=round_id), fields=[],
            confirm_label=_("Close the round"),
            back=url_for("pulse.round_page", round_id=round_id))
    try:
        rounds.close_round(current_work(), round_id)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("The round is closed."), "success")
    return redirect(url_for("pulse.round_page", round_id=round_id))
