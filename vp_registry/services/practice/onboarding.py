"""A new client organisation's first account and vault, as ``vp-registry init`` makes them.

The practice admin registers the organisation (services/organisations/registry.py, the main
database); this module then works in the new organisation's own database: its first
administrator (a temporary password, changed at the first login, with two-step
verification) and its vault, whose recovery key is returned once to be shown once and never
stored. The practice admin's account is not an account of the organisation: its audit log
records these steps as the system's.
"""

from __future__ import annotations

from dataclasses import dataclass

from vp_registry.core.taxonomy import N_, Role
from vp_registry.services.accounts import passwords, users
from vp_registry.services.errors import ValidationFailed
from vp_registry.services.vault import store
from vp_registry.services.work import Work


@dataclass(frozen=True)
class FirstAdmin:
    email: str
    display_name: str
    password: str  # temporary: to be changed at the first login


def check_first_admin(admin: FirstAdmin) -> None:
    """What can be checked before the organisation exists (so a typo creates nothing)."""
    email = users.normalise_email(admin.email)
    if not users.EMAIL_PATTERN.match(email):
        raise ValidationFailed(N_("Enter a valid e-mail address."), field="admin_email")
    if not 1 <= len(admin.display_name.strip()) <= 120:
        raise ValidationFailed(N_("Enter a name of at most 120 characters."),
                               field="admin_name")
    try:
        passwords.check_password_policy(admin.password, email=email)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, field="admin_password",
                               **error.params) from error


def set_up(work: Work, admin: FirstAdmin) -> bytes:
    """In the new organisation's unit of work: the first admin and the vault. Returns the
    recovery key (raw private key) to show once."""
    users.create_user(work, email=admin.email, display_name=admin.display_name,
                      role=Role.ADMIN.value, password=admin.password, must_change_password=True)
    private = store.create_vault(work)
    if private is None:  # a new database has no vault: something else made this one
        raise RuntimeError("the new organisation's database already has a vault")
    return private
