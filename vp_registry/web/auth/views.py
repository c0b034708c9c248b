"""Login in stages: password, then TOTP (or enrolment), with a forced password change after
an admin reset. Only when every stage is done is the user logged in and the session renewed."""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from vp_registry.core.crypto import DecryptionError
from vp_registry.db.accounts import User
from vp_registry.messages import describe
from vp_registry.services.accounts import authentication, totp, users
from vp_registry.services.errors import DomainError, Throttled
from vp_registry.services.vault import key_pairs, unlocking
from vp_registry.web.access import authenticated, public
from vp_registry.web.auth.forms import ChangePasswordForm, CodeForm, LoginForm, NewPasswordForm
from vp_registry.web.auth.loading import orm_user
from vp_registry.web.database import current_work
from vp_registry.web.forms import show_error
from vp_registry.web.i18n import LOCALE_COOKIE, LOCALES
from vp_registry.web.redirects import safe_next
from vp_registry.web.sessions import (
    ServerSession,
    current_token_hash,
    end_session,
    regenerate,
    session_vault_key,
    token_key,
)

blueprint = Blueprint("auth", __name__)

PENDING_KEY = "pending_login"
PENDING_SECONDS = 600
TOTP_ENROLMENT_PURPOSE = "totp-enrolment"
STAGE_ENDPOINTS = {
    "totp": "auth.login_code",
    "change_password": "auth.login_new_password",  # nosec B105 # an endpoint name
    "enrol": "auth.login_enrol",
}


def client_address() -> str | None:
    return request.remote_addr


def _safe_next(target: str | None) -> str:
    return safe_next(target) or url_for("home.start")


def _pending() -> tuple[User, dict[str, Any]] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("started", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = current_work().session.get(User, pending.get("user_id"))
    if user is None or not user.active:
        session.pop(PENDING_KEY, None)
        return None
    return user, pending


def _next_step(user: User, pending: dict[str, Any]) -> Response:
    stages: list[str] = pending["stages"]
    if stages:
        session[PENDING_KEY] = pending
        return redirect(url_for(STAGE_ENDPOINTS[stages[0]]))
    session.pop(PENDING_KEY, None)
    # The key this login's password opened: the login form started a new row, so the pending
    # row holds no other. It passes to the new token explicitly; nothing else does.
    vault_key = session_vault_key(session)
    regenerate(session)
    if vault_key is not None and isinstance(session, ServerSession):
        session.store_vault_key(vault_key)
    login_user(user)
    return redirect(_safe_next(pending.get("next")))


def _finish_stage(user: User, pending: dict[str, Any], stage: str) -> Response:
    pending["stages"] = [s for s in pending["stages"] if s != stage]
    return _next_step(user, pending)


def _stage_guard(stage: str) -> tuple[User, dict[str, Any]] | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.start"))
    found = _pending()
    if found is None:
        flash(_("Your login has expired. Please log in again."), "warning")
        return redirect(url_for("auth.login"))
    user, pending = found
    if not pending["stages"] or pending["stages"][0] != stage:
        return _next_step(user, pending)
    return user, pending


def _unlock_vault(user: User, password: str) -> None:
    """A counsellor's password is at hand only now: open the vault with it and keep the key in
    the server-side session row only, sealed under the cookie's token (docs/design.md I-2). The
    session is logged in only after the remaining stages; without a grant nothing is stored.
    """
    work = current_work()
    key_pairs.ensure_counsellor_key(work, user, password)
    try:
        vault_key = unlocking.unlock_with_password(work, user, password)
    except DecryptionError:  # damaged key material: log in, the case pages explain
        vault_key = None
    if vault_key is not None:
        if not isinstance(session, ServerSession):
            raise TypeError("expected a server-side session")
        session.store_vault_key(vault_key)


def _refused(template: str, error: DomainError, **context: Any) -> tuple[str, int]:
    """A login step refused: its page again with the reason - 429 when throttled."""
    status = 429 if isinstance(error, Throttled) else 200
    return render_template(template, error=describe(error), **context), status


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("home.start"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authentication.check_password(current_work(), form.email.data,
                                                 form.password.data, client_address())
        except DomainError as error:
            return _refused("auth/login.html", error, form=form)
        stages = []
        if user.totp_enrolled:
            stages.append("totp")
        if user.must_change_password:
            stages.append("change_password")
        if not user.totp_enrolled:
            stages.append("enrol")
        if not user.must_change_password:
            _unlock_vault(user, form.password.data)
        regenerate(session)
        return _next_step(user, {"user_id": user.id, "stages": stages, "started": time.time(),
                                 "next": request.args.get("next")})
    return render_template("auth/login.html", form=form, error=None)


@blueprint.route("/login/code", methods=["GET", "POST"])
@public
def login_code() -> Response | str | tuple[str, int]:
    guard = _stage_guard("totp")
    if isinstance(guard, Response):
        return guard
    user, pending = guard
    form = CodeForm()
    if form.validate_on_submit():
        try:
            authentication.check_totp(current_work(), user, form.code.data, client_address())
        except DomainError as error:
            return _refused("auth/code.html", error, form=form)
        return _finish_stage(user, pending, "totp")
    return render_template("auth/code.html", form=form, error=None)


@blueprint.route("/login/new-password", methods=["GET", "POST"])
@public
def login_new_password() -> Response | str:
    guard = _stage_guard("change_password")
    if isinstance(guard, Response):
        return guard
    user, pending = guard
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            authentication.change_password(current_work(), user, None, form.password.data)
        except DomainError as error:
            show_error(form, error, "password")
        else:
            return _finish_stage(user, pending, "change_password")
    return render_template("auth/new_password.html", form=form)


def _pending_totp_secret(pending: dict[str, Any]) -> str:
    """The secret being enrolled. The session keeps only a random nonce; the secret follows
    from it and a key derived from the cookie's token, so it is neither in the session row
    nor in the database's files (issue 11, 5a). The token stays the same until the login ends.
    """
    nonce = pending.get("totp_nonce")
    if not isinstance(nonce, str):
        nonce = secrets.token_hex(16)
        pending["totp_nonce"] = nonce
        session[PENDING_KEY] = pending
    return totp.derived_secret(token_key(session, TOTP_ENROLMENT_PURPOSE), nonce)


@blueprint.route("/login/enrol", methods=["GET", "POST"])
@public
def login_enrol() -> Response | str | tuple[str, int]:
    guard = _stage_guard("enrol")
    if isinstance(guard, Response):
        return guard
    user, pending = guard
    secret = _pending_totp_secret(pending)
    enrolment = authentication.enrolment_for(current_work().settings, user, secret)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            authentication.complete_enrolment(current_work(), user, secret, form.code.data,
                                              client_address())
        except DomainError as error:
            return _refused("auth/enrol.html", error, form=form, enrolment=enrolment)
        pending.pop("totp_nonce", None)
        flash(_("Two-step verification is set up. From now on you log in with a code."),
              "success")
        return _finish_stage(user, pending, "enrol")
    return render_template("auth/enrol.html", form=form, enrolment=enrolment, error=None)


@blueprint.post("/logout")
@authenticated
def logout() -> Response:
    current_work().audit("logout")
    logout_user()
    end_session(session)  # the row goes, sealed vault key and all; the flash gets a new one
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@authenticated
def change_password() -> Response | str:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            authentication.change_password(current_work(), orm_user(), form.current.data,
                                           form.password.data,
                                           keep_session=current_token_hash(session))
        except DomainError as error:
            show_error(form, error, "password")
        else:
            flash(_("Your password has been changed. Other sessions were logged out."), "success")
            return redirect(url_for("home.start"))
    return render_template("auth/change_password.html", form=form)


@blueprint.post("/language")
@public
def set_language() -> Response:
    settings = current_work().settings
    chosen = request.form.get("language", "")
    if chosen not in LOCALES:
        chosen = settings.default_locale
    if current_user.is_authenticated:
        users.set_locale(current_work().session, orm_user(), chosen)
    response = make_response(redirect(_safe_next(request.form.get("next"))))
    response.set_cookie(LOCALE_COOKIE, chosen, max_age=365 * 24 * 3600, httponly=True,
                        samesite="Strict", secure=settings.session_cookie_secure)
    return response
