"""Canary per organisation (issue 17): the markers of organisation A - a case narrative and its
conversation notes, an anonymous message, a pulse comment - and A's keys open with A's keys
only. Every key of organisation B (its vault key, its recovery key, its counsellor's private
key, its message private key) is tried in every place where one of A's keys opens something:
each attempt fails, while A's own key in the same place opens it (so the test can fail).
SQLite by default, PostgreSQL when VP_TEST_POSTGRES_URL is set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.organisationwork import PASSWORD, Client, create_client, databases_of
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.db.contact import ContactThread
from vp_registry.db.vault import CounsellorKey, Vault, VaultGrant
from vp_registry.services.cases import lifecycle
from vp_registry.services.contact import sealing, threads
from vp_registry.services.errors import DomainError
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.pulse import comments, rounds
from vp_registry.services.vault import key_pairs, keyring, unlocking
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work


@pytest.fixture(autouse=True)
def _close_client_databases(app: Flask) -> Iterator[None]:
    yield
    databases_of(app).dispose_all()


@dataclass(frozen=True)
class Keys:
    """Every key of one organisation, raw."""

    vault: bytes
    recovery: bytes
    counsellor: bytes
    box: bytes

    def all(self) -> dict[str, bytes]:
        return {"vault key": self.vault, "recovery key": self.recovery,
                "counsellor key": self.counsellor, "message key": self.box}


def _keys(client: Client) -> Keys:
    with client.factory() as session:
        keys = client.keys(session)
        row = session.get(CounsellorKey, client.counsellor_id)
        assert row is not None
        return Keys(vault=keys.current,
                    recovery=crypto.parse_recovery_key(client.recovery_key),
                    counsellor=key_pairs.counsellor_private_key(row, PASSWORD),
                    box=unlocking.unwrap_message_private_key(session, keys))


def _as_vault(client: Client, session: Session, vault_key: bytes) -> Work:
    version = int(session.scalar(select(Vault.key_version)) or 0)
    return Work(session, client.settings, Actor.system(),
                keys=VaultKeys(version, {version: vault_key}, keyring.field_cipher(
                    client.settings)))


def _openers(client: Client) -> dict[str, tuple[str, Callable[[Session, bytes], str]]]:
    """Each place a key of ``client`` opens something: (which key, opener -> plaintext)."""

    def case(session: Session, key: bytes) -> str:
        return lifecycle.read_case(_as_vault(client, session, key), client.reference).narrative

    def notes(session: Session, key: bytes) -> str:
        record = lifecycle.read_case(_as_vault(client, session, key), client.reference)
        return record.contacts[0].notes or ""

    def message(session: Session, key: bytes) -> str:
        return threads.read_thread(_as_vault(client, session, key), client.thread_id).message

    def comment(session: Session, key: bytes) -> str:
        rounds.close_round(_as_vault(client, session, key), client.round_id)
        return comments.read_comments(_as_vault(client, session, key), client.round_id)[0].text

    def thread_key(session: Session, key: bytes) -> str:
        row = session.get(ContactThread, client.thread_id)
        assert row is not None
        return sealing.thread_key_for_vault(key, row).hex()

    def recovery(session: Session, key: bytes) -> str:
        return unlocking.unlock_with_recovery(session, crypto.format_recovery_key(key)).hex()

    def grant(session: Session, key: bytes) -> str:
        row = session.get(VaultGrant, client.counsellor_id)
        assert row is not None
        return keyring.unseal_key(key, row.sealed_key,
                                  keyring.grant_aad(row.user_id, row.key_version)).hex()

    return {"case narrative": ("vault", case), "conversation notes": ("vault", notes),
            "anonymous message": ("vault", message), "pulse comment": ("vault", comment),
            "message thread key": ("box", thread_key), "recovery copy": ("recovery", recovery),
            "counsellor's grant": ("counsellor", grant)}


def test_markers_of_one_organisation_open_with_no_key_of_another(
    app: Flask, settings: Settings
) -> None:
    acme = create_client(app, settings, "acme")
    bolt = create_client(app, settings, "bolt")
    acme_keys, bolt_keys = _keys(acme), _keys(bolt)
    assert not set(acme_keys.all().values()) & set(bolt_keys.all().values())
    expected = {"case narrative": acme.markers["case"], "conversation notes":
                acme.markers["notes"], "anonymous message": acme.markers["message"],
                "pulse comment": acme.markers["comment"], "recovery copy": acme_keys.vault.hex(),
                "counsellor's grant": acme_keys.vault.hex()}
    for place, (which, opener) in _openers(acme).items():
        with acme.factory() as session:  # the control: A's own key opens it
            opened = opener(session, getattr(acme_keys, which))
            session.rollback()
        assert opened == expected.get(place, opened) and opened, place
        for key in bolt_keys.all().values():
            with acme.factory() as session:
                with pytest.raises((crypto.DecryptionError, DomainError)):
                    opener(session, key)
                session.rollback()
