"""The counsellor's signal pages: review candidates, dismiss one, prepare and release one,
and follow what management did with a released signal.

Counsellors only (``@roles``), and only with the vault key (``@needs_vault``): candidates are
computed from the decrypted cases on every request and exist nowhere else. A candidate is
addressed by its opaque token, so no URL or form shows which department or category it is.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from vp_registry.core.taxonomy import Role
from vp_registry.db.organisation import Category
from vp_registry.messages import describe
from vp_registry.services.accounts import organisation
from vp_registry.services.errors import DomainError, NotFound, ValidationFailed
from vp_registry.services.pulse import signals as pulse_signals
from vp_registry.services.signals import management, publishing, refusals, reviewing
from vp_registry.services.signals.publishing import ReleaseDraft
from vp_registry.services.signals.refusals import AlreadyReleased, NotReleasable, SignalRefused
from vp_registry.web.access import roles
from vp_registry.web.cases.common import needs_vault
from vp_registry.web.database import current_work
from vp_registry.web.errors import render_error
from vp_registry.web.forms import show_error
from vp_registry.web.signals import words
from vp_registry.web.signals.forms import ConfirmForm, ReleaseForm

blueprint = Blueprint("signals", __name__, url_prefix="/signals")


def categories_by_code() -> dict[str, Category]:
    return {c.code: c for c in organisation.list_categories(current_work().session)}


def template_helpers() -> dict[str, Any]:
    """What the signal templates of both sides use to put signals into words."""
    return {"words": words, "categories_by_code": categories_by_code()}


def _back_to_review(error: DomainError | None = None) -> Response:
    if error is not None:
        flash(describe(error), "error")
    return redirect(url_for("signals.index"))


@blueprint.get("")
@roles(Role.COUNSELLOR)
@needs_vault
def index() -> str:
    work = current_work()
    review = reviewing.review(work)
    released = management.released_signals(work.session)
    notes = management.follow_ups(work.session, [r.id for r in released])
    pulse = pulse_signals.pulse_review(work)  # issue 16: pulse patterns beside the cases'
    return render_template("signals/index.html", review=review, released=released, notes=notes,
                           pulse=pulse, pulse_low=words.score_text(pulse_signals.LOW_SCORE),
                           pulse_margin=words.score_text(pulse_signals.FALL_MARGIN),
                           form=ConfirmForm(), **template_helpers())


@blueprint.post("/<token>/dismiss")
@roles(Role.COUNSELLOR)
@needs_vault
def dismiss(token: str) -> Response:
    if ConfirmForm().validate_on_submit():
        try:
            reviewing.dismiss(current_work(), token)
        except (NotFound, AlreadyReleased) as error:
            return _back_to_review(error)
        flash(_("The candidate has been set aside. You find it under 'Set aside earlier'."),
              "success")
    return _back_to_review()


@blueprint.post("/<token>/restore")
@roles(Role.COUNSELLOR)
@needs_vault
def restore(token: str) -> Response:
    if ConfirmForm().validate_on_submit():
        try:
            reviewing.restore(current_work(), token)
        except NotFound as error:
            return _back_to_review(error)
        flash(_("The candidate is back among the candidates to review."), "success")
    return _back_to_review()


@blueprint.route("/<token>/release", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def release(token: str) -> Response | str:
    """Prepare (context, suggested actions), preview exactly what management will see, and
    release. The release button appears only after a preview that disclosure control passed."""
    work = current_work()
    form = ReleaseForm()
    draft = ReleaseDraft(context=form.context.data or "", actions=tuple(form.actions.data or ()),
                         other_action=form.other_action.data)
    checked: ReleaseDraft | None = None
    reasons: tuple[refusals.RefusalReason, ...] = ()
    refused = False
    if form.validate_on_submit():
        try:
            checked = publishing.validate_draft(draft)
        except ValidationFailed as error:
            show_error(form, error, "actions")
        if checked is not None and request.form.get("step") == "release":
            try:
                row = publishing.release(work, token, checked)
            except SignalRefused as error:  # audited by the ledger; nothing was released
                reasons, refused = error.reasons, True
            except (NotFound, AlreadyReleased, NotReleasable) as error:
                return _back_to_review(error)
            else:
                flash(_("The signal has been released to management."), "success")
                return redirect(url_for("signals.released", signal_id=row.id))
    try:
        preview = publishing.preview(work, token, checked or draft)
    except (NotFound, AlreadyReleased, NotReleasable) as error:
        return _back_to_review(error)
    return render_template(
        "signals/release.html", form=form, preview=preview, previewed=checked is not None,
        refused=refused, reasons=reasons or preview.reasons, **template_helpers())


@blueprint.get("/released/<int:signal_id>")
@roles(Role.COUNSELLOR)
def released(signal_id: int) -> str | tuple[str, int]:
    """A released signal as management sees it, with management's acknowledgement and
    follow-up (no case data here, so no vault key is needed)."""
    db = current_work().session
    try:
        row = management.get_signal(db, signal_id)
    except NotFound:
        return render_error(404)
    notes = management.follow_ups(db, [row.id])[row.id]
    names = management.user_names(db, [row.released_by, row.acknowledged_by,
                                       *(n.recorded_by for n in notes)])
    return render_template("signals/released.html", signal=row, notes=notes, names=names,
                           **template_helpers())


# ------------------------------------------------------------ pulse signals (issue 16)


@blueprint.post("/pulse/<token>/dismiss")
@roles(Role.COUNSELLOR)
@needs_vault
def pulse_dismiss(token: str) -> Response:
    return _pulse_set_aside(token, dismissed=True)


@blueprint.post("/pulse/<token>/restore")
@roles(Role.COUNSELLOR)
@needs_vault
def pulse_restore(token: str) -> Response:
    return _pulse_set_aside(token, dismissed=False)


def _pulse_set_aside(token: str, *, dismissed: bool) -> Response:
    if ConfirmForm().validate_on_submit():
        try:
            pulse_signals.set_aside(current_work(), token, dismissed=dismissed)
        except (NotFound, AlreadyReleased) as error:
            return _back_to_review(error)
        flash(_("The candidate has been set aside. You find it under 'Set aside earlier'.")
              if dismissed else _("The candidate is back among the candidates to review."),
              "success")
    return _back_to_review()


@blueprint.route("/pulse/<token>/release", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def pulse_release(token: str) -> Response | str:
    """A pulse candidate's release: the same form, preview and confirmation as a case signal;
    the figure is the round's released score, so the check is that it was released."""
    work = current_work()
    form = ReleaseForm()
    draft = ReleaseDraft(context=form.context.data or "", actions=tuple(form.actions.data or ()),
                         other_action=form.other_action.data)
    checked: ReleaseDraft | None = None
    refused = False
    try:
        view = pulse_signals.find_pulse_view(work, token)
    except NotFound as error:
        return _back_to_review(error)
    if view.released is not None:
        return _back_to_review(AlreadyReleased())
    if form.validate_on_submit():
        try:
            checked = publishing.validate_draft(draft)
        except ValidationFailed as error:
            show_error(form, error, "actions")
        if checked is not None and request.form.get("step") == "release":
            try:
                row = pulse_signals.release(work, token, checked)
            except SignalRefused:
                refused = True
            except (NotFound, AlreadyReleased, NotReleasable) as error:
                return _back_to_review(error)
            else:
                flash(_("The signal has been released to management."), "success")
                return redirect(url_for("signals.released", signal_id=row.id))
    return render_template(
        "signals/pulse_release.html", form=form, view=view, draft=checked or draft,
        row=pulse_signals.signal_row(view.candidate, checked or draft),
        previewed=checked is not None, refused=refused,
        reasons=pulse_signals.refusal_reasons(view), **template_helpers())
