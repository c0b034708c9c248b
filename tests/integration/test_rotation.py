"""Key rotation (DESIGN I-2): new version, everything re-wrapped, resumable after a crash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.casework import case_input, department, unlock
from tests.support.sessions import db_session_for
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.crypto import DecryptionError
from vp_registry.db.accounts import User, WebSession
from vp_registry.db.audit import AuditEntry
from vp_registry.db.cases import CaseKey
from vp_registry.db.vault import Vault, VaultRotation
from vp_registry.services.cases import conversations, lifecycle, listing, queries
from vp_registry.services.cases.records import ContactInput
from vp_registry.services.errors import VaultLocked
from vp_registry.services.infrastructure import rotation
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import store, unlocking
from vp_registry.services.work import Work

TODAY = date(2026, 11, 25)
CASES = 23


class Crash(Exception):
    """Stands for the process dying (power cut, Ctrl-C) in the middle of a rotation."""


@pytest.fixture
def team(app: Flask, settings: Settings, counsellor_with_vault: Callable[..., User]
         ) -> dict[str, User]:
    first, second = counsellor_with_vault(), counsellor_with_vault()
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, first)
        dept = department(session, "Monteurs buitendienst", settings).id
        for number in range(CASES):
            work = Work(session, settings, Actor(first.id, "counsellor"), keys=keys)
            record = lifecycle.create_case(work, case_input(dept, narrative=f"casus {number}"),
                                           today=TODAY)
            conversations.add_contact(work, record.reference, ContactInput(
                held_on=TODAY, minutes=30 + number, channel="phone",
                notes=f"notitie {number}"), today=TODAY)
        session.add(WebSession(token_hash="c" * 64, user_id=first.id, vault_key_sealed=b"x"))
        session.commit()
    return {"first": first, "second": second}


def _all_narratives(session: Session, settings: Settings, user: User) -> list[str]:
    keys = unlock(session, settings, user)
    page = listing.list_cases(Work(session, settings, Actor(user.id, "counsellor"), keys=keys),
                              queries.CaseFilter(), page_size=1000)
    found = []
    for summary in page.items:
        work = Work(session, settings, Actor(user.id, "counsellor"), keys=keys)
        record = lifecycle.read_case(work, summary.reference)
        assert len(record.contacts) == 1
        found.append(record.narrative or "")
    return sorted(found)


def _run(app: Flask, settings: Settings, user: User, *, batch: int,
         crash_after: int | None = None) -> int:
    """What ``vp-registry keys rotate`` does: a transaction to start (or resume), one per
    batch, one to finish. Returns the rows left on the old version."""
    actor = Actor(user.id, "counsellor")
    with db_session_for(app) as session:
        work = Work(session, settings, actor, keys=unlock(session, settings, user))
        current = store.active_rotation(session)
        if current is None:
            current = rotation.start(work)
        session.commit()
        batches = 0
        while rotation.rewrap_batch(work, current, batch):
            session.commit()
            batches += 1
            if crash_after is not None and batches >= crash_after:
                raise Crash()
        left = rotation.finish(work, current)
        session.commit()
        return left


def test_rotation_interrupted_then_resumed(app: Flask, settings: Settings,
                                           team: dict[str, User]) -> None:
    first, second = team["first"], team["second"]
    with app.app_context():
        with db_session_for(app) as session:
            old_key = unlock(session, settings, first).current
            expected = _all_narratives(session, settings, first)
        with pytest.raises(Crash):
            _run(app, settings, first, batch=5, crash_after=2)

        with db_session_for(app) as session:
            # mid-way: half the data keys on each version, every case still readable by both
            versions = list(session.execute(select(CaseKey.vault_key_version)).scalars())
            assert versions.count(1) == CASES - 10 and versions.count(2) == 10
            assert _all_narratives(session, settings, second) == expected
            assert store.active_rotation(session) is not None
            # the old key no longer opens the vault: sessions must unlock again
            with pytest.raises(VaultLocked):
                unlocking.open_keys(session, settings, old_key)
            assert session.execute(select(WebSession.vault_key_sealed)).scalar_one() is None

        assert _run(app, settings, second, batch=5) == 0  # resumed by another counsellor

        with db_session_for(app) as session:
            assert rotation.rows_on_old_versions(session) == 0
            assert set(session.execute(select(CaseKey.vault_key_version)).scalars()) == {2}
            assert store.active_rotation(session) is None
            finished = session.execute(select(VaultRotation)).scalar_one()
            assert finished.previous_key_wrapped is None and finished.rows_rewrapped == CASES
            assert _all_narratives(session, settings, first) == expected
            assert _all_narratives(session, settings, second) == expected
            new_key = unlocking.unlock_with_recovery(session, first.recovery_key)  # type: ignore[attr-defined]
            assert new_key != old_key
            assert new_key == unlock(session, settings, first).current
            # the old vault key opens no data key any more
            for wrapped, version in session.execute(
                    select(CaseKey.wrapped_key, CaseKey.vault_key_version)):
                with pytest.raises(DecryptionError):
                    crypto.unwrap_key(old_key, wrapped, purpose="data-key", key_version=version)
            # the message key pair survived (same public key, private re-wrapped)
            row = session.get(Vault, 1)
            assert row is not None and row.box_key_version == 2
            keys = unlock(session, settings, first)
            blob = crypto.seal(row.box_public_key or b"", b"bericht")
            assert crypto.unseal(unlocking.unwrap_message_private_key(session, keys), blob) == \
                b"bericht"
            stages = [e.details for e in session.execute(
                select(AuditEntry).where(AuditEntry.action == "keys.rotate")).scalars()]
            assert len(stages) == 2 and '"stage":"start"' in stages[0]


def test_rotation_with_the_recovery_key_and_twice(app: Flask, settings: Settings,
                                                  team: dict[str, User]) -> None:
    first = team["first"]
    with app.app_context():
        for expected_version in (2, 3):
            with db_session_for(app) as session:
                key = unlocking.unlock_with_recovery(session, first.recovery_key)  # type: ignore[attr-defined]
                work = Work(session, settings, Actor.system(),
                            keys=unlocking.open_keys(session, settings, key))
                current = rotation.start(work)
                session.commit()
                while rotation.rewrap_batch(work, current, 100):
                    session.commit()
                assert rotation.finish(work, current) == 0
                session.commit()
                assert work.keys.version == expected_version
        with db_session_for(app) as session:
            assert len(_all_narratives(session, settings, first)) == CASES


def test_a_second_start_and_an_early_finish_are_refused(app: Flask, settings: Settings,
                                                        team: dict[str, User]) -> None:
    first = team["first"]
    with app.app_context(), db_session_for(app) as session:
        keys = unlock(session, settings, first)
        work = Work(session, settings, Actor.system(), keys=keys)
        current = rotation.start(work)
        with pytest.raises(rotation.RotationError):
            rotation.start(work)
        with pytest.raises(rotation.RotationError):
            rotation.finish(work, current)
        # a case written with keys from before the rotation started is refused, not orphaned
        with pytest.raises(VaultLocked):
            lifecycle.create_case(Work(session, settings, Actor(first.id, "counsellor"), keys=keys),
                                  case_input(department(session, "Engineering", settings).id),
                                  today=TODAY)
        work = Work(session, settings, Actor(first.id, "counsellor"), keys=work.keys)
        engineering = department(session, "Engineering", settings).id
        created = lifecycle.create_case(work, case_input(engineering), today=TODAY)
        assert session.get(CaseKey, created.id).vault_key_version == 2  # type: ignore[union-attr]
