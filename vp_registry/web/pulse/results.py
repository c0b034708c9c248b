"""A round's results for the counsellor: the preview of exactly what management will see,
the release (signals' preview-and-confirm pattern), and the respondents' comments.

Counsellors only. The preview is already protected (groups below the minimum are shown as
'too few answers'); the release stores exactly that result in the pulse ledger, once - a
second release with other figures is refused, with the reason. Comments are sealed to the
vault and need its key (``@needs_vault``); they are never shown to management.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from vp_registry.core.taxonomy import Role
from vp_registry.messages import describe
from vp_registry.services.pulse import comments, results, rounds
from vp_registry.services.pulse.results import PulseReleaseRefused
from vp_registry.web.access import roles
from vp_registry.web.cases.common import needs_vault
from vp_registry.web.database import current_work
from vp_registry.web.pulse.forms import ConfirmForm
from vp_registry.web.pulse.views import blueprint, round_or_404
from vp_registry.web.speedups.gettext import gettext as _

__all__ = ["blueprint"]


@blueprint.route("/<int:round_id>/results", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
def results_page(round_id: int) -> Response | str:
    work = current_work()
    round_ = round_or_404(round_id)
    form = ConfirmForm()
    refusal: str | None = None
    if request.method == "POST":
        if not form.validate_on_submit() or request.form.get("step") != "release":
            return redirect(url_for("pulse.results_page", round_id=round_id))
        try:
            results.release_results(work, round_id)
        except PulseReleaseRefused as error:  # nothing was released
            refusal = describe(error)
        else:
            flash(_("The results have been released to management."), "success")
            return redirect(url_for("pulse.results_page", round_id=round_id))
    return render_template(
        "pulse/results.html", round=round_, state=rounds.state(round_),
        result=results.round_results(work.session, work.settings, round_id),
        released=results.released_results(work.session, round_id), form=form, refusal=refusal)


@blueprint.get("/<int:round_id>/comments")
@roles(Role.COUNSELLOR)
@needs_vault
def comments_page(round_id: int) -> Response | str:
    round_ = round_or_404(round_id)
    try:
        texts = comments.read_comments(current_work(), round_id)
    except comments.CommentsNotYet as error:  # not while the round runs (pulse-core)
        flash(describe(error), "error")
        return redirect(url_for("pulse.round_page", round_id=round_id))
    return render_template("pulse/comments.html", round=round_, comments=texts)
