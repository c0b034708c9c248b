"""Who acts in the demo builders: they get the system's unit of work and write each part as
the user who would have written it (same transaction, that user's audit entries)."""

from __future__ import annotations

from vp_registry.db.accounts import User
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import grants, unlocking
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work


def as_user(work: Work, user: User, *, keys: VaultKeys | None = None) -> Work:
    """``work``'s transaction, acting as ``user``."""
    return Work(work.session, work.settings, Actor(user.id, user.role), keys=keys)


def as_anonymous(work: Work) -> Work:
    """``work``'s transaction, acting as an anonymous visitor (the contact page's sender)."""
    return Work(work.session, work.settings, Actor.anonymous())


def as_counsellor(work: Work, counsellor: User, password: str) -> Work:
    """``work``'s transaction acting as the demo counsellor, with the vault keys (access is
    granted first when the counsellor has none; the vault key is made if there is none)."""
    key = grants.bootstrap_for_demo(work, counsellor, password)
    return as_user(work, counsellor, keys=unlocking.open_keys(work.session, work.settings, key))
