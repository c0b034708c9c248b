"""Fixtures of the service-level tests: the counsellor who does the work, with the keys and the
audit actor that every service call takes, and the unit of work that carries them (``work``). A
module that needs another counsellor (a display name, seeded data) overrides ``counsellor``;
``keys``, ``actor`` and ``work`` follow it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from tests.casework import unlock
from vp_registry.config import Settings
from vp_registry.db.accounts import User
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work


@pytest.fixture
def counsellor(counsellor_with_vault: Callable[..., User]) -> User:
    """A counsellor with access to the case files (services need no login)."""
    return counsellor_with_vault()


@pytest.fixture
def keys(db: Session, settings: Settings, counsellor: User) -> VaultKeys:
    """The counsellor's vault keys, unlocked with the password on the test's session."""
    return unlock(db, settings, counsellor)


@pytest.fixture
def actor(counsellor: User) -> Actor:
    """Who the services audit: the counsellor, in that role."""
    return Actor(counsellor.id, "counsellor")


@pytest.fixture
def work(db: Session, settings: Settings, actor: Actor, keys: VaultKeys) -> Work:
    """The counsellor's unit of work on the test's session (a service call needs no request)."""
    return Work(db, settings, actor, keys=keys)
