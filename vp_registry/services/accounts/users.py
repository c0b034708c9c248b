"""Accounts: creation, lookup, and what the administrator does to them (reset, enable,
disable)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vp_registry.core.taxonomy import N_, Role
from vp_registry.db.accounts import User
from vp_registry.services.accounts import passwords
from vp_registry.services.accounts.web_sessions import end_sessions
from vp_registry.services.errors import NotFound, ValidationFailed
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import key_pairs
from vp_registry.services.work import Work

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.role)


def normalise_email(email: str) -> str:
    return email.strip().lower()


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


def _check_new_account(session: Session, email: str, display_name: str, role: str) -> None:
    if not EMAIL_PATTERN.match(email):
        raise ValidationFailed(N_("Enter a valid e-mail address."), field="email")
    if role not in {r.value for r in Role}:
        raise ValidationFailed(N_("Choose a role."))
    if not 1 <= len(display_name) <= 120:
        raise ValidationFailed(N_("Enter a name of at most 120 characters."), field="display_name")
    if find_by_email(session, email) is not None:
        raise ValidationFailed(
            N_("An account with this e-mail address already exists."), field="email"
        )


def create_user(
    work: Work,
    *,
    email: str,
    display_name: str,
    role: str,
    password: str,
    must_change_password: bool = True,
) -> User:
    email = normalise_email(email)
    display_name = display_name.strip()
    _check_new_account(work.session, email, display_name, role)
    passwords.check_password_policy(password, email=email)
    user = User(
        email=email,
        display_name=display_name,
        role=role,
        password_hash=passwords.hash_password(password, work.settings.password_kdf),
        must_change_password=must_change_password,
        active=True,
    )
    work.session.add(user)
    work.flush()
    work.audit("account.create", target_type="user", target_id=user.id, role=role)
    return user


def reset_password(work: Work, user: User, temporary_password: str) -> None:
    """Admin reset: new temporary password, new 2FA enrolment, sessions ended."""
    passwords.check_password_policy(temporary_password, email=user.email)
    user.password_hash = passwords.hash_password(temporary_password, work.settings.password_kdf)
    user.must_change_password = True
    user.totp_secret_encrypted = None
    user.totp_enrolled_at = None
    user.totp_last_step = 0
    end_sessions(work.session, user)
    key_pairs.remove_access(work, user)  # docs/design.md I-2: until granted again
    work.audit("account.password_reset", target_type="user", target_id=user.id)
    work.audit("totp.reset", target_type="user", target_id=user.id)


def set_active(work: Work, user: User, active: bool) -> None:
    """Enable or disable an account (disabling ends its sessions). The web and the CLI both
    come here, so both refuse the same things."""
    if work.actor.user_id == user.id and not active:
        raise ValidationFailed(N_("You cannot disable your own account."))
    if not active and user.role == Role.ADMIN and _active_admins(work.session) <= 1:
        raise ValidationFailed(N_("The last active administrator cannot be disabled."))
    user.active = active
    if not active:
        end_sessions(work.session, user)
    work.audit("account.enable" if active else "account.disable",
               target_type="user", target_id=user.id)


def _active_admins(session: Session) -> int:
    return int(session.execute(
        select(func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True))
    ).scalar_one())


def set_locale(session: Session, user: User, locale: str) -> None:
    if locale in {"nl", "en"}:
        user.locale = locale
