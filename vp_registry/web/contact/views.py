"""The public pages: who the counsellors are, the anonymous message form, replies by code.

No login, no JavaScript, no third-party anything. The only cookie is the session cookie that
carries the CSRF token of a form (server-side session, no personal data). Client addresses
are used for in-memory throttling only and kept out of every log (:mod:`.privacy`). The
receipt code is shown once, in the response to the POST that created it: it is never
stored, never put in a URL, a cookie or the session.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from vp_registry.core.taxonomy import Role
from vp_registry.messages import describe
from vp_registry.services.accounts import organisation
from vp_registry.services.contact import channel, counsellors, public_text, receipts
from vp_registry.services.contact.channel import Submission
from vp_registry.services.contact.public_text import LOCALES, PageText
from vp_registry.services.contact.receipts import SenderView, WrongCode
from vp_registry.services.errors import DomainError, NotFound, Throttled
from vp_registry.web.access import public, roles
from vp_registry.web.contact import privacy
from vp_registry.web.contact.forms import (
    NOT_SAID,
    CodeForm,
    ContactForm,
    PublicTextForm,
    SenderReplyForm,
)
from vp_registry.web.database import current_work
from vp_registry.web.forms import show_error
from vp_registry.web.i18n import LOCALES as UI_LOCALES
from vp_registry.web.speedups.gettext import gettext as _
from vp_registry.web.templating import category_label

blueprint = Blueprint("contact", __name__)


def _locale() -> str:
    locale = str(get_locale() or "nl")
    return locale if locale in UI_LOCALES else "nl"


def _wait_minutes(seconds: int) -> Throttled:
    return Throttled(minutes=max(1, -(-seconds // 60)))


# ------------------------------------------------------------- counsellors page


@blueprint.get("/counsellors")
@public
def counsellors_page() -> str:
    db = current_work().session
    text = public_text.page_text(db, _locale())
    return render_template(
        "contact/counsellors.html", counsellors=counsellors.public_counsellors(db),
        text={name: public_text.blocks(getattr(text, name)) for name in
              ("intro", "does", "does_not", "confidentiality")},
        channel_open=channel.is_open(db), kind_labels=counsellors.KIND_LABELS,
    )


@blueprint.get("/counsellors/<int:user_id>/photo/<int:version>")
@public
def photo(user_id: int, version: int) -> Response:
    try:
        data = counsellors.public_photo(current_work().session, user_id)
    except NotFound:
        abort(404)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Content-Disposition"] = "inline"
    return response


# ------------------------------------------------------------------- sending


def _fill_choices(form: ContactForm) -> None:
    db = current_work().session
    form.department_id.choices = [SelectChoice(0, _("I'd rather not say"))] + [
        SelectChoice(d.id, d.name)
        for d in organisation.list_departments(db, active_only=True)]
    form.category.choices = [SelectChoice(NOT_SAID, _("I'd rather not say / I don't know"))] + [
        SelectChoice(c.code, category_label(c))
        for c in organisation.list_categories(db, active_only=True)]


@blueprint.route("/contact", methods=["GET", "POST"])
@public
def send() -> str | tuple[str, int]:
    form = ContactForm()
    _fill_choices(form)
    if request.method == "GET" and request.args.get("kind") in channel.KINDS:
        form.kind.data = request.args["kind"]
    db = current_work().session
    if not channel.is_open(db):
        return render_template("contact/closed.html")
    error = None
    if request.method == "POST":
        address = privacy.client_address()
        wait = privacy.throttles().sends.wait_seconds(address)
        if wait:
            error = describe(_wait_minutes(wait))
            return render_template("contact/send.html", form=form, error=error), 429
        if form.validate_on_submit():
            if form.website.data:
                form.website.errors.append(_("Leave this field empty."))
                return render_template("contact/send.html", form=form, error=None)
            try:
                code = channel.submit(current_work(), Submission(
                    kind=form.kind.data, message=form.message.data,
                    department_id=form.department_id.data or None,
                    category=form.category.data or None, contact=form.contact.data,
                ))
            except DomainError as failure:
                show_error(form, failure, "message")
            else:
                privacy.throttles().sends.record(address)
                return render_template("contact/receipt.html", code=code, kind=form.kind.data,
                                       words=code.split(" "))
    return render_template("contact/send.html", form=form, error=error)


# ----------------------------------------------------------------- replies


def _code_page(form: CodeForm, error: str | None, status: int = 200) -> tuple[str, int]:
    return render_template("contact/replies.html", form=form, error=error), status


def _thread_page(view: SenderView, code: str, form: SenderReplyForm | None = None,
                 sent: bool = False) -> str:
    if form is None:
        form = SenderReplyForm(formdata=None)
    form.code.data = code
    return render_template("contact/thread.html", view=view, form=form, sent=sent)


def _check_code_throttle(form: CodeForm) -> tuple[str, int] | None:
    wait = privacy.throttles().codes.wait_seconds(privacy.client_address())
    if wait:
        return _code_page(form, describe(_wait_minutes(wait)), 429)
    return None


def _wrong_code(form: CodeForm) -> tuple[str, int]:
    """Every wrong code: counted for the back-off, the same page (the refusal is audited)."""
    privacy.throttles().codes.failure(privacy.client_address())
    return _code_page(form, describe(WrongCode()))


@blueprint.route("/contact/replies", methods=["GET", "POST"])
@public
def replies() -> str | tuple[str, int]:
    form = CodeForm()
    if request.method == "POST":
        throttled = _check_code_throttle(form)
        if throttled:
            return throttled
        if form.validate_on_submit():
            try:
                view = receipts.read_as_sender(current_work(), form.code.data)
            except WrongCode:
                return _wrong_code(form)
            return _thread_page(view, form.code.data)
    return _code_page(form, None)


@blueprint.post("/contact/replies/answer")
@public
def answer() -> str | tuple[str, int]:
    reply_form = SenderReplyForm()
    code_form = CodeForm(formdata=None)
    throttled = _check_code_throttle(code_form)
    if throttled:
        return throttled
    if not reply_form.code.data:
        return _code_page(code_form, None)
    work = current_work()
    address = privacy.client_address()
    if not reply_form.validate_on_submit():
        # Show the conversation again with the form's errors (needs the code once more).
        try:
            view = receipts.read_as_sender(work, reply_form.code.data)
        except WrongCode:
            return _wrong_code(code_form)
        return _thread_page(view, reply_form.code.data, reply_form)
    wait = privacy.throttles().sends.wait_seconds(address)
    if wait:
        reply_form.message.errors.append(describe(_wait_minutes(wait)))
        try:
            view = receipts.read_as_sender(work, reply_form.code.data)
        except WrongCode:
            return _wrong_code(code_form)
        return _thread_page(view, reply_form.code.data, reply_form), 429
    try:
        view = receipts.reply_as_sender(work, reply_form.code.data, reply_form.message.data)
    except WrongCode:
        return _wrong_code(code_form)
    except DomainError as failure:
        show_error(reply_form, failure, "message")
        view = receipts.read_as_sender(work, reply_form.code.data)
        return _thread_page(view, reply_form.code.data, reply_form)
    privacy.throttles().sends.record(address)
    return _thread_page(view, reply_form.code.data, sent=True)


# ------------------------------------------------- the admin's general text


@blueprint.route("/admin/public-page/<locale>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_text(locale: str) -> BaseResponse | str:
    if locale not in LOCALES:
        abort(404)
    db = current_work().session
    current = public_text.page_text(db, locale)
    form = PublicTextForm(data=None if request.method == "POST" else current.__dict__)
    if form.validate_on_submit():
        try:
            public_text.save_page_text(current_work(), locale, PageText(
                intro=form.intro.data, does=form.does.data, does_not=form.does_not.data,
                confidentiality=form.confidentiality.data))
        except DomainError as failure:
            show_error(form, failure, "intro")
        else:
            flash(_("The text of the public page has been saved."), "success")
            return redirect(url_for("contact.edit_text", locale=locale))
    return render_template("contact/edit_text.html", form=form, locale=locale,
                           locales=LOCALES)
