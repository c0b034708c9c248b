"""The public answering page of a pulse round: no login, reached by the round's public token.

Privacy as the anonymous contact channel (:mod:`vp_registry.web.contact.privacy`): no
address and no moment is kept (the request logs write no line for ``/survey``, see
:mod:`vp_registry.web.request_log`), no cookie but the server-side session that carries the
form's CSRF token, nothing of the answers or the code in any log. Wrong invitation codes are
counted per address in memory only (the contact channel's back-off, handed to the service)
and slow down guessing. After an answer the browser is sent to the thank-you page, so a
reload does not send it twice.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from vp_registry.messages import describe
from vp_registry.services.accounts import organisation
from vp_registry.services.errors import DomainError, NotFound, Throttled
from vp_registry.services.pulse import responding, rounds
from vp_registry.services.pulse.responding import PublicRound, RoundNotOpen
from vp_registry.services.vault import unlocking
from vp_registry.web.access import public
from vp_registry.web.contact import privacy
from vp_registry.web.database import current_work
from vp_registry.web.pulse.forms import (
    AnswerForm,
    answer_form,
    answers_of,
    form_field,
    statement_field_name,
)
from vp_registry.web.pulse.views import group_label, locale
from vp_registry.web.speedups.gettext import gettext as _

blueprint = Blueprint("survey", __name__, url_prefix="/survey")


def _public_round(token: str) -> PublicRound:
    try:
        return responding.public_round(current_work().session, token)
    except NotFound:
        abort(404)


def _form(round_: PublicRound) -> AnswerForm:
    language = locale()
    form = answer_form([(s.code, s.text(language)) for s in round_.questions],
                       with_codes=round_.with_codes,
                       free_text_prompt=round_.free_text_prompt(language))
    form.group.choices = [("", _("Choose your department")), *_group_choices(round_)]
    return form


def _group_choices(round_: PublicRound) -> list[tuple[str, str]]:
    """Each group as respondents recognise it: a merged group names the departments in it
    (public structure), so someone from a small department finds where it was merged."""
    db = current_work().session
    names = {d.id: d.name for d in organisation.list_departments(db)}
    choices = []
    for group in rounds.groups_of(db, round_.round_id):
        label = group_label(group)
        others = [names[i] for i in group.department_ids if i in names and names[i] != label]
        if others:
            label = _("%(group)s (with %(departments)s)", group=label,
                      departments=", ".join(sorted(others)))
        choices.append((group.key, label))
    return choices


def _free_text_box(round_: PublicRound) -> bool:
    """The round asks for free text and it can be sealed (the vault has its message key)."""
    return round_.free_text and unlocking.message_public_key(current_work().session) is not None


def _page(round_: PublicRound, form: AnswerForm, error: str | None = None,
          status: int = 200) -> tuple[str, int]:
    language = locale()
    anchors = [s.anchors(language) for s in round_.questions]
    return render_template("pulse/answer.html", round=round_, form=form, error=error,
                           anchors=anchors, free_text=_free_text_box(round_)), status


def _show(round_: PublicRound, form: AnswerForm, error: DomainError) -> None:
    """A refusal under its field; each statement it names (``AnswerInvalid.codes``) gets the
    message under its radio group."""
    codes = [s.code for s in round_.questions]
    named = getattr(error, "codes", ()) or (error.field,)
    for name in named:
        field = form_field(name)
        if field in codes:
            field = statement_field_name(codes.index(field))
        target = getattr(form, field or "", None) or form.group
        target.errors = [*target.errors, describe(error)]


def _not_open(round_: PublicRound) -> str:
    return render_template("pulse/not_open.html", round=round_)


@blueprint.route("/<token>", methods=["GET", "POST"])
@public
def answer(token: str) -> Any:
    round_ = _public_round(token)
    if round_.state != "open":
        return _not_open(round_)
    form = _form(round_)
    if request.method != "POST" or not form.validate_on_submit():
        return _page(round_, form)
    work = current_work()
    try:
        responding.submit_response(
            work.session, work.settings, token, group_key=form.group.data,
            answers=answers_of(form, [s.code for s in round_.questions]),
            free_text=form.free_text.data if _free_text_box(round_) else None,
            code=form.code.data if round_.with_codes else None,
            guard=privacy.throttles().codes, client=privacy.client_address())
    except Throttled as error:
        return _page(round_, form, describe(error), 429)
    except RoundNotOpen:
        return _not_open(round_)
    except DomainError as error:  # CodeInvalid, AnswerInvalid, a text refused
        _show(round_, form, error)
        return _page(round_, form)
    return redirect(url_for("survey.thanks", token=token))


@blueprint.get("/<token>/thanks")
@public
def thanks(token: str) -> str:
    return render_template("pulse/thanks.html", round=_public_round(token))
