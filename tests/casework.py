"""Helpers for the vault and case tests: a vault with a counsellor who holds a grant, and
sample case input. Plain functions (not fixtures); the fixtures ``vault_setup`` and
``counsellor_with_vault`` in tests/support/fixtures.py are built on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.db.accounts import User
from vp_registry.db.organisation import Department
from vp_registry.services.accounts import organisation
from vp_registry.services.cases.records import CaseInput
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import grants, key_pairs, store, unlocking
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work


@dataclass
class VaultSetup:
    recovery_key: str  # formatted, as printed by init


def create_vault(app: Flask, settings: Settings) -> VaultSetup:
    with app.app_context(), db_session_for(app) as session:
        private = store.create_vault(Work(session, settings, Actor.system()))
        assert private is not None
        session.commit()
    return VaultSetup(crypto.format_recovery_key(private))


def grant(app: Flask, settings: Settings, user: User, recovery_key: str) -> None:
    """Give a counsellor a key pair (as at a login) and a grant via the recovery key."""
    with app.app_context(), db_session_for(app) as session:
        fresh = session.get(User, user.id)
        assert fresh is not None
        key_pairs.ensure_counsellor_key(Work(session, settings, Actor.system()),
                                        fresh, user.test_password)  # type: ignore[attr-defined]
        grants.recover_access(Work(session, settings, Actor.system()), recovery_key, fresh)
        session.commit()


def unlock(session: Session, settings: Settings, user: User) -> VaultKeys:
    fresh = session.get(User, user.id)
    assert fresh is not None
    key = unlocking.unlock_with_password(Work(session, settings, Actor.system()), fresh,
                                     user.test_password)  # type: ignore[attr-defined]
    return unlocking.open_keys(session, settings, key)


def department(session: Session, name: str, settings: Settings, headcount: int = 40,
               parent: str | None = None) -> Department:
    found = session.execute(select(Department).where(Department.name == name)).scalar_one_or_none()
    if found is not None:
        return found
    parent_id = None
    if parent is not None:
        parent_id = department(session, parent, settings).id
    return organisation.create_department(Work(session, settings, Actor.system()), name=name,
                                          headcount=headcount, parent_id=parent_id)


def case_input(department_id: int | None = None, **overrides: Any) -> CaseInput:
    values: dict[str, Any] = {
        "opened_on": date(2026, 3, 2),
        "department_id": department_id,
        "categories": ("pesten",),
        "relation": "colleague",
        "consent": True,
        "reporter_name": "Anna Visser",
        "reporter_contact": "06-12345678",
        "involved_person": "Kees de Vries",
        "narrative": "Wordt al weken buitengesloten in de werkplaats.",
        "next_steps": "Tweede gesprek over twee weken.",
        "gender": "woman",
        "employment_type": "permanent",
        "minutes_spent": 30,
    }
    values.update(overrides)
    return CaseInput(**values)
