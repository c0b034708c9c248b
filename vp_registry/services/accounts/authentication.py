"""Login in two steps (password, then a TOTP code), TOTP enrolment and password changes."""

from __future__ import annotations

from dataclasses import dataclass

from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.taxonomy import N_
from vp_registry.db import utcnow
from vp_registry.db.accounts import User
from vp_registry.services.accounts import passwords, totp
from vp_registry.services.accounts.users import actor_of, find_by_email
from vp_registry.services.accounts.web_sessions import end_sessions, purge_expired_sessions
from vp_registry.services.errors import AuthenticationFailed, ValidationFailed
from vp_registry.services.infrastructure import audit, throttle
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import key_pairs
from vp_registry.services.work import Work

TOTP_FAILED = N_("The code is not correct, or it was already used. Wait for a new code.")


def _totp_key(settings: Settings) -> bytes:
    return crypto.derive_subkey(settings.secret_key.encode(), "totp-secret")


def _totp_aad(user_id: int) -> bytes:
    return crypto.associated_data("users", "totp_secret", user_id, 1)


def check_password(work: Work, email: str, password: str, client_address: str | None) -> User:
    """First login step. Unknown user and wrong password are indistinguishable. The audit
    entries name the account tried, not the (anonymous) actor of the unit of work."""
    session, settings = work.session, work.settings
    keys = throttle.throttle_keys(email, client_address)
    throttle.ensure_not_locked(session, keys)
    user = find_by_email(session, email)
    ok = passwords.verify_password(
        user.password_hash if user else None, password,
        settings.password_kdf,
    )
    if not ok or user is None or not user.active:
        locked = throttle.register_failure(session, settings, keys)
        audit.record(session, settings.audit_key,
                     Actor(user.id if user else None, user.role if user else None),
                     "login.failed", stage="password")
        if locked:
            audit.record(session, settings.audit_key, Actor.system(), "login.lockout")
        raise AuthenticationFailed()
    if passwords.needs_rehash(user.password_hash, settings.password_kdf):
        user.password_hash = passwords.hash_password(password, settings.password_kdf)
    return user


def check_totp(work: Work, user: User, code: str, client_address: str | None) -> None:
    """Second login step: a fresh TOTP code (a used step is refused)."""
    session, settings = work.session, work.settings
    keys = throttle.throttle_keys(user.email, client_address)
    throttle.ensure_not_locked(session, keys)
    secret = totp_secret(settings, user)
    step = totp.accept(secret, code, user.totp_last_step) if secret else None
    if step is None:
        throttle.register_failure(session, settings, keys)
        audit.record(session, settings.audit_key, actor_of(user), "login.failed", stage="totp")
        raise AuthenticationFailed(TOTP_FAILED)
    user.totp_last_step = step
    throttle.clear(session, keys)
    purge_expired_sessions(work)
    audit.record(session, settings.audit_key, actor_of(user), "login.success")


def totp_secret(settings: Settings, user: User) -> str | None:
    if user.totp_secret_encrypted is None:
        return None
    plain = crypto.DEFAULT_CIPHER.decrypt(
        _totp_key(settings), user.totp_secret_encrypted, _totp_aad(user.id)
    )
    return plain.decode()


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def enrolment_for(settings: Settings, user: User, secret: str) -> Enrolment:
    uri = totp.provisioning_uri(secret, user.email, settings.totp_issuer)
    return Enrolment(secret=secret, uri=uri, qr_svg=totp.qr_svg(uri))


def complete_enrolment(
    work: Work, user: User, secret: str, code: str, client_address: str | None
) -> None:
    """Store the new TOTP secret once the user proves their app produces its codes."""
    session, settings = work.session, work.settings
    keys = throttle.throttle_keys(user.email, client_address)
    throttle.ensure_not_locked(session, keys)
    step = totp.accept(secret, code, 0)
    if step is None:
        throttle.register_failure(session, settings, keys)
        raise AuthenticationFailed(TOTP_FAILED)
    user.totp_secret_encrypted = crypto.DEFAULT_CIPHER.encrypt(
        _totp_key(settings), secret.encode(), _totp_aad(user.id)
    )
    user.totp_enrolled_at = utcnow()
    user.totp_last_step = step
    throttle.clear(session, keys)
    audit.record(session, settings.audit_key, actor_of(user), "totp.enrol")
    audit.record(session, settings.audit_key, actor_of(user), "login.success")


def change_password(
    work: Work, user: User, current: str | None, new: str, *, keep_session: str | None = None
) -> None:
    """Change a password; ``current`` is None only in the forced change after a reset. The
    audit entry names the user (in the forced change the unit of work's actor is anonymous)."""
    session, settings = work.session, work.settings
    if current is not None and not passwords.verify_password(
        user.password_hash, current, settings.password_kdf
    ):
        raise ValidationFailed(N_("The current password is not correct."), field="current")
    passwords.check_password_policy(new, email=user.email)
    if passwords.verify_password(user.password_hash, new, settings.password_kdf):
        raise ValidationFailed(
            N_("Choose a password that differs from the current one."), field="password"
        )
    user.password_hash = passwords.hash_password(new, settings.password_kdf)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    # A counsellor's private key (which opens their vault grant) is wrapped under the password:
    # re-wrap it; without the old password (after a reset) it can only be replaced.
    if current is None:
        key_pairs.replace_counsellor_key(work, user, new)
    else:
        key_pairs.change_password(work, user, current, new)
    end_sessions(session, user, except_token_hash=keep_session)
    audit.record(session, settings.audit_key, actor_of(user), "account.password_change",
                 target_type="user", target_id=user.id)
