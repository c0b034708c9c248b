"""Access to the case files: the explanation page, unlocking with the password, and granting
a colleague access (counsellors only; every grant is audited)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from vp_registry.core.crypto import DecryptionError
from vp_registry.core.taxonomy import Role
from vp_registry.messages import describe
from vp_registry.services.accounts import passwords
from vp_registry.services.errors import DomainError, Throttled
from vp_registry.services.infrastructure import throttle
from vp_registry.services.vault import grants, key_pairs, unlocking
from vp_registry.web.access import roles
from vp_registry.web.auth.loading import orm_user
from vp_registry.web.cases.common import current_keys, locked_page, needs_vault, vault_state
from vp_registry.web.cases.forms import GrantForm, UnlockForm
from vp_registry.web.database import current_work
from vp_registry.web.redirects import safe_next
from vp_registry.web.sessions import ServerSession

blueprint = Blueprint("vault", __name__, url_prefix="/vault")


def _safe_next(target: str | None) -> str:
    return safe_next(target) or url_for("home.start")


@blueprint.get("")
@roles(Role.COUNSELLOR)
def status() -> Response | tuple[str, int]:
    """The explanation page; with the vault open there is nothing to explain."""
    if current_keys() is not None:
        return redirect(url_for("cases.index"))
    return locked_page()


@blueprint.post("/unlock")
@roles(Role.COUNSELLOR)
def unlock() -> Response | tuple[str, int]:
    """Open the case files with the password (after a colleague granted access while this
    session was open, or after a key rotation). Throttled like a login."""
    form = UnlockForm()
    next_url = _safe_next(request.form.get("next"))
    if not form.validate_on_submit():
        return locked_page()
    work, user = current_work(), orm_user()
    db = work.session
    keys = throttle.throttle_keys(user.email, request.remote_addr)
    try:
        throttle.ensure_not_locked(db, keys)
    except Throttled as error:
        flash(describe(error), "error")
        return redirect(url_for("vault.status"))
    if not passwords.verify_password(user.password_hash, form.password.data,
                                     work.settings.password_kdf):
        throttle.register_failure(db, work.settings, keys)
        work.audit("vault.unlock_failed")
        form.password.errors.append(_("The password is not correct."))
        return render_template("cases/locked.html", state=vault_state(), form=form,
                               next_url=next_url), 200
    key_pairs.ensure_counsellor_key(work, user, form.password.data)
    try:
        vault_key = unlocking.unlock_with_password(work, user, form.password.data)
    except DecryptionError:
        vault_key = None
    if vault_key is None:
        flash(_("You do not have access to the case files yet."), "warning")
        return redirect(url_for("vault.status"))
    if not isinstance(session, ServerSession):
        raise TypeError("expected a server-side session")
    session.store_vault_key(vault_key)
    throttle.clear(db, keys)
    work.audit("vault.unlock")
    flash(_("The case files are open."), "success")
    return redirect(next_url)


@blueprint.get("/colleagues")
@roles(Role.COUNSELLOR)
@needs_vault
def colleagues() -> str:
    people = grants.access_overview(current_work().session)
    return render_template("cases/colleagues.html", people=people, form=GrantForm())


@blueprint.post("/colleagues/<int:user_id>/grant")
@roles(Role.COUNSELLOR)
@needs_vault
def grant(user_id: int) -> Response | str:
    form = GrantForm()
    grantee = grants.get_counsellor(current_work().session, user_id)
    if not form.validate_on_submit():
        flash(_("Confirm that you checked this with your colleague."), "error")
        return redirect(url_for("vault.colleagues"))
    try:
        grants.grant_access(current_work(), grantee)
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(_("%(name)s now has access to the case files.", name=grantee.display_name),
              "success")
    return redirect(url_for("vault.colleagues"))
