"""Accounts: creation, login (password, then TOTP), password changes, admin actions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.taxonomy import N_, Role
from vp_registry.db import utcnow
from vp_registry.db.accounts import User, WebSession
from vp_registry.services import audit, cases, passwords, throttle, totp, vault
from vp_registry.services.audit import Actor
from vp_registry.services.errors import (
    AuthenticationFailed,
    NotFound,
    ValidationFailed,
)

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
TOTP_FAILED = N_("The code is not correct, or it was already used. Wait for a new code.")


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.role)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _totp_key(settings: Settings) -> bytes:
    return crypto.derive_subkey(settings.secret_key.encode(), "totp-secret")


def _totp_aad(user_id: int) -> bytes:
    return crypto.associated_data("users", "totp_secret", user_id, 1)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def find_by_email(session: Session, email: str) -> User | None:
    return session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.role, User.email)).scalars())


def count_users(session: Session) -> int:
    return int(session.execute(select(func.count(User.id))).scalar_one())


def create_user(
    session: Session,
    settings: Settings,
    actor: Actor,
    *,
    email: str,
    display_name: str,
    role: str,
    password: str,
    must_change_password: bool = True,
) -> User:
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email):
        raise ValidationFailed(N_("Enter a valid e-mail address."), field="email")
    if role not in {r.value for r in Role}:
        raise ValidationFailed(N_("Choose a role."))
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 120:
        raise ValidationFailed(N_("Enter a name of at most 120 characters."), field="display_name")
    if find_by_email(session, email) is not None:
        raise ValidationFailed(
            N_("An account with this e-mail address already exists."), field="email"
        )
    passwords.check_password_policy(password, email=email)
    user = User(
        email=email,
        display_name=display_name,
        role=role,
        password_hash=passwords.hash_password(password, settings.password_kdf),
        must_change_password=must_change_password,
        active=True,
    )
    session.add(user)
    session.flush()
    audit.record(session, settings.audit_key, actor, "account.create",
                 target_type="user", target_id=user.id, role=role)
    return user


def check_password(
    session: Session, settings: Settings, email: str, password: str, client_address: str | None
) -> User:
    """First login step. Unknown user and wrong password are indistinguishable."""
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


def check_totp(
    session: Session, settings: Settings, user: User, code: str, client_address: str | None
) -> None:
    """Second login step: a fresh TOTP code (a used step is refused)."""
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
    purge_expired_sessions(session, settings)
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
    session: Session, settings: Settings, user: User, secret: str, code: str,
    client_address: str | None,
) -> None:
    """Store the new TOTP secret once the user proves their app produces its codes."""
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
    session: Session, settings: Settings, user: User, current: str | None, new: str,
    *, keep_session: str | None = None,
) -> None:
    """Change a password; ``current`` is None only in the forced change after a reset."""
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
        vault.replace_counsellor_key(session, settings, user, new)
    else:
        vault.change_password(session, settings, user, current, new)
    end_sessions(session, user, except_token_hash=keep_session)
    audit.record(session, settings.audit_key, actor_of(user), "account.password_change",
                 target_type="user", target_id=user.id)


def purge_expired_sessions(session: Session, settings: Settings) -> int:
    """Delete session rows past their idle or absolute lifetime (also anonymous ones)."""
    now = utcnow()
    idle_limit = now - timedelta(minutes=settings.session_idle_minutes)
    absolute_limit = now - timedelta(hours=settings.session_absolute_hours)
    result = session.execute(delete(WebSession).where(
        (WebSession.last_seen_at < idle_limit) | (WebSession.created_at < absolute_limit)))
    purged = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if purged:
        cases.checkpoint_after_commit(session)  # no sealed vault key of theirs stays in the WAL
    return purged


def end_sessions(session: Session, user: User, *, except_token_hash: str | None = None) -> None:
    """Delete the user's sessions (sealed vault keys with them) and, once committed, checkpoint
    SQLite's write-ahead log so that no copy of those keys stays in it (issue 11)."""
    query = delete(WebSession).where(WebSession.user_id == user.id)
    if except_token_hash is not None:
        query = query.where(WebSession.token_hash != except_token_hash)
    session.execute(query)
    cases.checkpoint_after_commit(session)


def reset_password(
    session: Session, settings: Settings, actor: Actor, user: User, temporary_password: str
) -> None:
    """Admin reset: new temporary password, new 2FA enrolment, sessions ended."""
    passwords.check_password_policy(temporary_password, email=user.email)
    user.password_hash = passwords.hash_password(temporary_password, settings.password_kdf)
    user.must_change_password = True
    user.totp_secret_encrypted = None
    user.totp_enrolled_at = None
    user.totp_last_step = 0
    end_sessions(session, user)
    vault.remove_access(session, settings, actor, user)  # docs/design.md I-2: until granted again
    audit.record(session, settings.audit_key, actor, "account.password_reset",
                 target_type="user", target_id=user.id)
    audit.record(session, settings.audit_key, actor, "totp.reset",
                 target_type="user", target_id=user.id)


def set_active(
    session: Session, settings: Settings, actor: Actor, user: User, active: bool
) -> None:
    if actor.user_id == user.id and not active:
        raise ValidationFailed(N_("You cannot disable your own account."))
    if not active and user.role == Role.ADMIN and _active_admins(session) <= 1:
        raise ValidationFailed(N_("The last active administrator cannot be disabled."))
    user.active = active
    if not active:
        end_sessions(session, user)
    audit.record(session, settings.audit_key, actor,
                 "account.enable" if active else "account.disable",
                 target_type="user", target_id=user.id)


def _active_admins(session: Session) -> int:
    return int(session.execute(
        select(func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True))
    ).scalar_one())


def set_locale(session: Session, user: User, locale: str) -> None:
    if locale in {"nl", "en"}:
        user.locale = locale
