"""Secrecy at rest (DESIGN I-1, I-2, I-4), tested against what an attacker would hold.

* Canary: every field of a case and its conversation holds a unique marker; the raw SQLite
  file and its write-ahead log (or a ``pg_dump`` of PostgreSQL) contain none of them, and the
  case rows add no occurrence of the department name or category code chosen.
* With the database and the settings alone nothing decrypts.
* A ciphertext moved to another row or column, or with one byte changed, fails.
* A crypto-shredded case leaves neither its wrapped key nor its ciphertext in the files.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import LargeBinary, select, update
from sqlalchemy.orm import Session

from tests.casework import case_input, department
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.core.crypto import DecryptionError
from vp_registry.db import Base
from vp_registry.db.cases import Case, CaseContact, CaseKey
from vp_registry.db.vault import VaultGrant
from vp_registry.services.accounts import organisation
from vp_registry.services.cases import conversations, lifecycle, queries, records
from vp_registry.services.cases import listing as case_listing
from vp_registry.services.cases.records import ContactInput
from vp_registry.services.errors import VaultLocked
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.vault import keyring, unlocking
from vp_registry.services.vault.keyring import VaultKeys
from vp_registry.services.work import Work

TODAY = date(2026, 11, 25)
POSTGRES = bool(os.environ.get("VP_TEST_POSTGRES_URL"))

# Plaintext columns allowed by I-1: ids, the random reference, dates, status, versions.
ALLOWED_PLAINTEXT = {
    "cases": {"id", "reference", "status", "opened_on", "closed_on", "version",
              "data_key_version", "created_at", "updated_at", "closed_recorded_at",
              "counted_opened_on", "counted_closed_on"},
    "case_keys": {"case_id", "vault_key_version"},
    "case_contacts": {"id", "case_id", "held_on", "version", "created_at", "updated_at"},
    # erased cases a final report counted open at a year's end: a count per year and day,
    # nothing of a case (issue 12, services/cases/erasures.py)
    "case_erasures": {"id", "open_at_end_of", "closed_on", "cases"},
}


def database_bytes(settings: Settings) -> bytes:
    """Everything an attacker with a copy of the database gets: the SQLite file and WAL, or a
    pg_dump of the PostgreSQL database."""
    url = sa.engine.make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        parts = [path, Path(f"{path}-wal"), Path(f"{path}-journal")]
        return b"".join(p.read_bytes() for p in parts if p.exists())
    pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    dump = subprocess.run([pg_dump, "--no-owner", plain], check=True, capture_output=True,
                          timeout=120).stdout
    # pg_dump writes bytea as hex text: decode it, so plaintext stored in a binary column is
    # found, and random ciphertext hex cannot look like a number such as 4321 by chance.
    hex_blob = re.compile(rb"\\\\x([0-9a-f]+)")
    decoded = b"".join(bytes.fromhex(match.decode()) for match in hex_blob.findall(dump))
    return hex_blob.sub(b"", dump) + b"\n" + decoded


def test_case_tables_hold_only_allowed_plaintext_columns() -> None:
    for table, allowed in ALLOWED_PLAINTEXT.items():
        columns = Base.metadata.tables[table].columns
        plaintext = {c.name for c in columns if not isinstance(c.type, LargeBinary)}
        assert plaintext == allowed, table


def test_canary_markers_never_reach_the_database_files(
    app: Flask, db: Session, settings: Settings, actor: Actor, keys: VaultKeys
) -> None:
    tag = secrets.token_hex(6).upper()
    markers = {name: f"CANARY{tag}{name.upper()}" for name in (
        "name", "contact", "involved", "narrative", "steps", "target", "notes", "dept", "cat")}
    dept = department(db, markers["dept"], settings)
    category = organisation.create_category(Work(db, settings, Actor.system()),
                                            code=f"cat{tag.lower()}",
                                            label_nl=markers["cat"], label_en=markers["cat"])
    db.commit()
    before = database_bytes(settings)
    counts_before = {word: before.count(word.encode()) for word in (
        dept.name, category.code, "pesten", "integriteit")}

    record = lifecycle.create_case(Work(db, settings, actor, keys=keys), case_input(
        dept.id, categories=(category.code, "pesten", "integriteit"),
        reporter_name=markers["name"], reporter_contact=markers["contact"],
        involved_person=markers["involved"], narrative=markers["narrative"],
        next_steps=markers["steps"], integrity_report=True, acknowledged_on=date(2026, 3, 4),
        relation="manager", gender="other", employment_type="agency", minutes_spent=4321,
    ), today=TODAY)
    conversations.add_contact(Work(db, settings, actor, keys=keys), record.reference, ContactInput(
        held_on=date(2026, 3, 5), minutes=77, channel="video", notes=markers["notes"]),
        today=TODAY)
    lifecycle.close_case(Work(db, settings, actor, keys=keys), record.reference, 1, records.Closing(
        closed_on=date(2026, 4, 1), outcome="referral", referral="police",
        referral_target=markers["target"]), today=TODAY)
    case_listing.list_cases(Work(db, settings, actor, keys=keys),
                            queries.CaseFilter(text=markers["notes"]))
    lifecycle.read_case(Work(db, settings, actor, keys=keys), record.reference)
    db.commit()

    raw = database_bytes(settings)
    for name, marker in markers.items():
        if name in {"dept", "cat"}:
            continue  # these name the department/category itself (admin data), counted below
        assert marker.encode() not in raw, name
        assert marker.lower().encode() not in raw.lower(), name
    for word, count in counts_before.items():
        assert raw.count(word.encode()) == count, f"{word!r} appears in case data"
    # (minutes_spent is checked by the column test: digits also occur in ids and timestamps)
    for enum_value in (b"police", b"referral", b"agency", b"video"):
        assert enum_value not in raw, enum_value
    # the case's plaintext columns hold nothing but ids, reference, dates, status, versions
    row = db.get(Case, record.id)
    assert row is not None and row.status == "closed" and row.reference == record.reference


def test_nothing_decrypts_with_the_database_and_settings_alone(
    app: Flask, db: Session, settings: Settings, actor: Actor, keys: VaultKeys
) -> None:
    dept = department(db, "Engineering", settings)
    record = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                   case_input(dept.id), today=TODAY)
    db.commit()
    # Everything the attacker has: every secret in the settings, every key-sized value and
    # every subkey derivable from them, and every blob in every table.
    secrets_in_settings = [settings.secret_key, settings.audit_key, settings.backup_key]
    candidates: list[bytes] = []
    for text in secrets_in_settings:
        raw = text.encode()
        for purpose in ("blind-index", "totp-secret", "vault", "data-key", "session-vault",
                        "vault-by-password", "vault-by-recovery", "x25519-private"):
            candidates.append(crypto.derive_subkey(raw, purpose))
        candidates.append(crypto.key_from_token(text, "session-vault"))
    blobs: list[bytes] = []
    for table in Base.metadata.sorted_tables:
        for db_row in db.execute(sa.select(table)).mappings():
            for value in db_row.values():
                if isinstance(value, bytes):
                    blobs.append(value)
                    if len(value) == crypto.KEY_BYTES:
                        candidates.append(value)
    key_row = db.get(CaseKey, record.id)
    case_row = db.get(Case, record.id)
    grant_row = db.execute(select(VaultGrant)).scalar_one()
    assert key_row is not None and case_row is not None
    for candidate in candidates:
        with pytest.raises(DecryptionError):
            crypto.unwrap_key(candidate, key_row.wrapped_key, purpose="data-key",
                              key_version=key_row.vault_key_version)
        with pytest.raises(DecryptionError):
            crypto.unseal(candidate, grant_row.sealed_key,
                          keyring.grant_aad(grant_row.user_id, grant_row.key_version))
        with pytest.raises(DecryptionError):
            crypto.RecordCrypter(candidate, 1).decrypt_json("cases", "details", record.id,
                                                            case_row.details)
    assert blobs
    with pytest.raises(VaultLocked):
        unlocking.open_keys(db, settings, None)


def test_moved_or_tampered_ciphertext_fails(
    db: Session, settings: Settings, actor: Actor, keys: VaultKeys
) -> None:
    dept = department(db, "Engineering", settings)
    first = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                  case_input(dept.id), today=TODAY)
    second = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                   case_input(dept.id, narrative="B"),
                               today=TODAY)
    db.commit()
    first_row, second_row = db.get(Case, first.id), db.get(Case, second.id)
    assert first_row is not None and second_row is not None

    def reads(reference: str) -> bool:
        try:
            lifecycle.read_case(Work(db, settings, actor, keys=keys), reference)
        except DecryptionError:
            return False
        return True

    original = bytes(second_row.details)
    # another column of the same row: same key, other associated data
    db.execute(update(Case).where(Case.id == second.id).values(details=second_row.listing))
    db.expire_all()
    assert not reads(second.reference)
    # the same column of another row whose data key is made the same: row id differs
    db.execute(update(Case).where(Case.id == second.id).values(details=original))
    first_key = db.get(CaseKey, first.id)
    assert first_key is not None
    db.execute(update(CaseKey).where(CaseKey.case_id == second.id)
               .values(wrapped_key=first_key.wrapped_key))
    db.execute(update(Case).where(Case.id == second.id).values(details=first_row.details,
                                                               listing=first_row.listing))
    db.expire_all()
    assert not reads(second.reference)
    db.rollback()
    assert reads(second.reference)
    # one flipped byte anywhere in the ciphertext
    for position in (0, 5, 20, len(original) - 1):
        tampered = bytearray(original)
        tampered[position] ^= 0x01
        db.execute(update(Case).where(Case.id == second.id).values(details=bytes(tampered)))
        db.expire_all()
        assert not reads(second.reference), position
    db.rollback()
    # a wrapped data key moved to the wrong version, or a flipped byte in it
    db.execute(update(CaseKey).where(CaseKey.case_id == second.id).values(vault_key_version=2))
    db.expire_all()
    with pytest.raises(VaultLocked):
        lifecycle.read_case(Work(db, settings, actor, keys=keys), second.reference)
    db.rollback()


@pytest.fixture
def sqlite_only(settings: Settings) -> Iterator[None]:
    if POSTGRES:
        pytest.skip("file-level check of SQLite's secure_delete and WAL checkpoint")
    yield


def test_shredded_case_leaves_no_key_or_ciphertext(
    app: Flask, db: Session, settings: Settings, actor: Actor, keys: VaultKeys,
    sqlite_only: None,
) -> None:
    dept = department(db, "Engineering", settings)
    record = lifecycle.create_case(Work(db, settings, actor, keys=keys),
                                   case_input(dept.id), today=TODAY)
    conversations.add_contact(Work(db, settings, actor, keys=keys), record.reference, ContactInput(
        held_on=date(2026, 3, 3), minutes=30, channel="phone", notes="Gesprek"), today=TODAY)
    db.commit()
    key_row = db.get(CaseKey, record.id)
    case_row = db.get(Case, record.id)
    contact_row = db.execute(select(CaseContact)).scalar_one()
    assert key_row is not None and case_row is not None
    remnants = [bytes(key_row.wrapped_key), bytes(case_row.listing), bytes(case_row.details),
                bytes(contact_row.content)]
    lifecycle.erase_case(Work(db, settings, actor), record.reference, case_row.version)
    db.commit()
    raw = database_bytes(settings)
    for remnant in remnants:
        assert remnant[1:].hex().encode() not in raw and remnant[13:45] not in raw
    assert record.reference.encode() in raw  # only in the audit log (no content)
    assert db.execute(select(Case).where(Case.id == record.id)).first() is None
