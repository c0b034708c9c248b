"""The counsellor's side of the anonymous channel: messages, replies, delete, turn into a case;
and the counsellor's own entry on the public page.

Messages are sealed to the vault, so reading them needs the vault key in the session
(``@needs_vault``, the same explanation page as the case files). Editing the public profile
does not: it is public information.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from vp_registry.core.taxonomy import Role
from vp_registry.messages import describe
from vp_registry.services.accounts import organisation
from vp_registry.services.contact import channel, conversion, counsellors, erasure, threads
from vp_registry.services.contact.conversion import Conversion
from vp_registry.services.contact.counsellors import ProfileInput
from vp_registry.services.contact.threads import ThreadRecord
from vp_registry.services.errors import DomainError, NotFound
from vp_registry.web.access import roles
from vp_registry.web.cases.common import needs_vault
from vp_registry.web.database import current_work
from vp_registry.web.forms import show_error
from vp_registry.web.messages.forms import (
    ConfirmForm,
    ConvertForm,
    DeleteForm,
    PhotoForm,
    ProfileForm,
    ReplyForm,
)
from vp_registry.web.speedups.gettext import gettext as _
from vp_registry.web.templating import category_label

blueprint = Blueprint("messages", __name__)


def _lookups() -> dict[str, Any]:
    db = current_work().session
    return {
        "department_names": {d.id: d.name for d in organisation.list_departments(db)},
        "categories_by_code": {c.code: c for c in organisation.list_categories(db)},
        "kind_labels": channel.KIND_LABELS,
    }


def _author_name() -> str:
    profile = counsellors.get_profile(current_work().session, current_user.id)
    return profile.public_name if profile is not None else str(current_user.display_name)


# --------------------------------------------------------------------- list


@blueprint.get("/messages")
@roles(Role.COUNSELLOR)
@needs_vault
def index() -> str:
    summaries = threads.list_threads(current_work())
    return render_template("messages/index.html", threads=summaries, **_lookups())


def _thread_page(record: ThreadRecord, form: ReplyForm | None = None,
                 status: int = 200) -> tuple[str, int]:
    return render_template("messages/thread.html", thread=record, form=form or ReplyForm(),
                           **_lookups()), status


@blueprint.get("/messages/<int:thread_id>")
@roles(Role.COUNSELLOR)
@needs_vault
def thread(thread_id: int) -> tuple[str, int]:
    record = threads.read_thread(current_work(), thread_id)
    return _thread_page(record)


@blueprint.post("/messages/<int:thread_id>/reply")
@roles(Role.COUNSELLOR)
@needs_vault
def reply(thread_id: int) -> Response | tuple[str, int]:
    form = ReplyForm()
    work = current_work()
    if form.validate_on_submit():
        try:
            threads.reply(work, thread_id, form.message.data, author_name=_author_name())
        except NotFound:  # the 404 page, not a form message
            raise
        except DomainError as error:
            show_error(form, error, "message")
        else:
            flash(_("Your reply has been saved. The sender reads it with their receipt code."),
                  "success")
            return redirect(url_for("messages.thread", thread_id=thread_id))
    record = threads.read_thread(work, thread_id)
    return _thread_page(record, form)


@blueprint.route("/messages/<int:thread_id>/delete", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def delete(thread_id: int) -> Response | str:
    work = current_work()
    record = threads.read_thread(work, thread_id)
    form = DeleteForm()
    if form.validate_on_submit():
        erasure.delete_thread(work, thread_id)
        flash(_("The conversation has been deleted permanently."), "success")
        return redirect(url_for("messages.index"))
    return render_template("messages/delete.html", thread=record, form=form, **_lookups())


@blueprint.route("/messages/<int:thread_id>/case", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
@needs_vault
def convert(thread_id: int) -> Response | str:
    work = current_work()
    db = work.session
    record = threads.read_thread(work, thread_id)
    if record.case_reference is not None:
        flash(_("This message was already turned into case %(reference)s.",
                reference=record.case_reference), "warning")
        return redirect(url_for("messages.thread", thread_id=thread_id))
    form = ConvertForm()
    departments = organisation.list_departments(db, active_only=True)
    categories = organisation.list_categories(db, active_only=True)
    form.department_id.choices = [SelectChoice(0, _("(choose)"))] + [
        SelectChoice(d.id, d.name) for d in departments]
    form.categories.choices = [SelectChoice(c.code, category_label(c)) for c in categories]
    if not form.is_submitted():
        form.opened_on.data = record.received_on
        if record.department_id in {d.id for d in departments}:
            form.department_id.data = record.department_id
        if record.category in {c.code for c in categories}:
            form.categories.data = [record.category]
    if form.validate_on_submit():
        try:
            reference = conversion.convert_to_case(
                work, thread_id, Conversion(
                    opened_on=form.opened_on.data, department_id=form.department_id.data or 0,
                    categories=tuple(form.categories.data or ()), minutes=form.minutes.data,
                    channel=form.channel.data, keep_contact=bool(form.keep_contact.data),
                    sender_label=_("Anonymous sender"),
                ))
        except DomainError as error:
            show_error(form, error, "opened_on")
        else:
            flash(_("Case %(reference)s has been opened with this message as its first "
                    "conversation.", reference=reference), "success")
            return redirect(url_for("cases.view", reference=reference))
    return render_template("messages/convert.html", thread=record, form=form,
                           today=date.today(), **_lookups())


# ------------------------------------------------------------------ profile


def _profile_page(form: ProfileForm, photo_form: PhotoForm) -> str:
    profile = counsellors.get_profile(current_work().session, current_user.id)
    return render_template("messages/profile.html", form=form, photo_form=photo_form,
                           remove_form=ConfirmForm(), profile=profile)


@blueprint.route("/profile", methods=["GET", "POST"])
@roles(Role.COUNSELLOR)
def profile() -> Response | str:
    work = current_work()
    db = work.session
    current = counsellors.profile_or_default(db, current_user.id)
    form = ProfileForm(data=None if request.method == "POST" else current.__dict__)
    if form.validate_on_submit():
        try:
            counsellors.save_profile(work, current_user.id, ProfileInput(
                public_name=form.public_name.data, kind=form.kind.data, phone=form.phone.data,
                email=form.email.data, office_hours=form.office_hours.data,
                about=form.about.data, visible=bool(form.visible.data)))
        except DomainError as error:
            show_error(form, error, "public_name")
        else:
            flash(_("Your entry on the public page has been saved."), "success")
            return redirect(url_for("messages.profile"))
    return _profile_page(form, PhotoForm(formdata=None))


@blueprint.post("/profile/photo")
@roles(Role.COUNSELLOR)
def upload_photo() -> Response | str:
    work = current_work()
    db = work.session
    photo_form = PhotoForm()
    if photo_form.validate_on_submit():
        try:
            counsellors.set_photo(work, current_user.id,
                                  photo_form.photo.data.read(counsellors.MAX_PHOTO_BYTES + 1))
        except DomainError as error:
            show_error(photo_form, error, "photo")
        else:
            flash(_("Your photo has been saved."), "success")
            return redirect(url_for("messages.profile"))
    current = counsellors.profile_or_default(db, current_user.id)
    return _profile_page(ProfileForm(formdata=None, data=current.__dict__), photo_form)


@blueprint.post("/profile/photo/remove")
@roles(Role.COUNSELLOR)
def remove_photo() -> Response:
    if ConfirmForm().validate_on_submit():
        counsellors.remove_photo(current_work(), current_user.id)
        flash(_("Your photo has been removed."), "success")
    else:
        flash(describe(DomainError()), "error")
    return redirect(url_for("messages.profile"))
