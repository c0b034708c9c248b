"""Deleting a client organisation (issue 17): crypto-shredded, then dropped - provably gone.

"Gone" is checked against what an attacker holds after the deletion: every remaining file of
the installation (SQLite: the main database, the other organisations' files, their write-ahead
logs) or a ``pg_dump`` of the whole PostgreSQL database (every schema). None of them holds a
marker, a key or a ciphertext of the deleted organisation - while before the deletion the same
search finds its keys and ciphertexts (so the search can fail). The other organisation keeps
working, and the deleted one's earlier export still opens with its own recovery key.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import LargeBinary, select

from tests.integration.test_case_secrecy import database_bytes
from tests.organisationwork import (
    PASSWORD,
    Client,
    ciphertexts,
    create_client,
    databases_of,
    key_material,
    main_work,
)
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.db import Base, utcnow
from vp_registry.db.accounts import User
from vp_registry.db.audit import AuditEntry
from vp_registry.db.practice import Organisation as OrganisationRow
from vp_registry.services.cases import lifecycle
from vp_registry.services.errors import DomainError
from vp_registry.services.infrastructure import audit
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import deletion, export, registry
from vp_registry.services.organisations import lifecycle as org_lifecycle
from vp_registry.services.organisations.registry import OrganisationError
from vp_registry.services.vault import unlocking
from vp_registry.services.work import Work


@pytest.fixture(autouse=True)
def _close_client_databases(app: Flask) -> Iterator[None]:
    yield
    databases_of(app).dispose_all()


def installation_bytes(settings: Settings) -> bytes:
    """SQLite: every file in the main database's folder and below (the organisations'
    files, every write-ahead log); PostgreSQL: pg_dump of the whole database."""
    url = sa.engine.make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        return database_bytes(settings)
    folder = Path(url.database or "").parent
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()
                    and "export" not in path.parts)


def _pieces(values: dict[str, list[bytes]]) -> dict[str, bytes]:
    """Searchable pieces of each value: its start and its end (SQLite stores a long value
    across overflow pages, so only shorter runs are contiguous in the file)."""
    pieces = {}
    for name, found in values.items():
        for index, value in enumerate(found):
            pieces[f"{name}[{index}]<"] = value[:48]
            pieces[f"{name}[{index}]>"] = value[-24:]
    return pieces


def _found(raw: bytes, pieces: dict[str, bytes]) -> list[str]:
    return sorted(name for name, piece in pieces.items() if piece in raw)


def _export(app: Flask, settings: Settings, client: Client, path: Path) -> None:
    with main_work(app, settings) as work:
        org_lifecycle.export_organisation(work, databases_of(app), client.slug, path)


def _delete(app: Flask, settings: Settings, slug: str, **options: object
            ) -> org_lifecycle.DeletionReport:
    with main_work(app, settings) as work:
        report = org_lifecycle.delete_organisation(work, databases_of(app), slug,
                                                   **options)  # type: ignore[arg-type]
    deletion.checkpoint(databases_of(app).main_engine)
    return report


def test_every_binary_column_is_a_key_or_ciphertext_under_one() -> None:
    """A new binary column must be classified: key material is shredded, ciphertext dies
    with its key. Fails for a column that is neither (a key that would survive)."""
    classified = {(table, column) for table, columns in
                  (*deletion.KEY_MATERIAL.items(), *deletion.CIPHERTEXT.items())
                  for column in columns}
    binary = {(table.name, column.name) for table in Base.metadata.sorted_tables
              for column in table.columns if isinstance(column.type, LargeBinary)}
    assert binary == classified
    assert not set(deletion.KEY_MATERIAL.items()) & set(deletion.CIPHERTEXT.items())


def test_shredding_leaves_no_key_that_opens_anything(
    app: Flask, settings: Settings
) -> None:
    acme = create_client(app, settings, "acme")
    engine = databases_of(app).engine(acme.organisation)
    keys = _pieces(key_material(acme))
    own_file = sa.engine.make_url(str(engine.url)).database if engine.dialect.name == \
        "sqlite" else None
    assert keys and _found(installation_bytes(settings), keys) == sorted(keys)

    report = deletion.shred_keys(engine)
    assert report.values_overwritten >= 10 and report.rows_deleted >= 4
    assert key_material(acme).keys() <= {"annual_reports.wrapped_key", "activities.wrapped_key",
                                         "contact_threads.key_sealed",
                                         "contact_threads.key_by_code",
                                         "contact_threads.kdf_salt",
                                         "users.totp_secret_encrypted"}
    if own_file:  # SQLite: overwritten in the file itself, the log checkpointed
        assert _found(Path(own_file).read_bytes(), keys) == []
        assert not Path(own_file + "-wal").exists() or \
            Path(own_file + "-wal").stat().st_size == 0
    with acme.factory() as session:
        with pytest.raises(DomainError):
            unlocking.unlock_with_recovery(session, acme.recovery_key)
        user = session.get(User, acme.counsellor_id)
        assert user is not None
        assert unlocking.unlock_with_password(Work(session, acme.settings, Actor.system()),
                                              user, PASSWORD) is None
    assert deletion.shred_keys(engine).rows_deleted == 0  # safe to run again


def test_delete_needs_a_recent_export_or_says_without_one(
    app: Flask, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    acme = create_client(app, settings, "acme", data=False)
    with pytest.raises(OrganisationError, match="no export"):
        _delete(app, settings, "acme")
    _export(app, settings, acme, tmp_path_factory.mktemp("export") / "a.vpexport")
    with pytest.raises(OrganisationError, match="no export"):
        _delete(app, settings, "acme", now=utcnow() + timedelta(days=8))
    assert databases_of(app).exists(acme.organisation)
    report = _delete(app, settings, "acme")
    assert report.exported_at is not None and report.shredded is not None
    bolt = create_client(app, settings, "bolt", data=False)
    assert _delete(app, settings, bolt.slug, without_export=True).exported_at is None
    with pytest.raises(OrganisationError), main_work(app, settings) as work:
        org_lifecycle.delete_organisation(work, databases_of(app), "home",
                                          without_export=True)


def test_a_deleted_organisation_is_provably_gone_and_the_other_still_works(
    app: Flask, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    acme = create_client(app, settings, "acme")
    bolt = create_client(app, settings, "bolt")
    exported = tmp_path_factory.mktemp("export") / "acme.vpexport"
    _export(app, settings, acme, exported)
    secrets_of_acme = {**_pieces(key_material(acme)), **_pieces(ciphertexts(acme))}
    bolt_keys = _pieces(key_material(bolt))
    markers = {name: marker.encode() for name, marker in acme.markers.items()}
    markers["name"] = b"Client acme"
    before = installation_bytes(settings)
    assert _found(before, secrets_of_acme) == sorted(secrets_of_acme)  # the search works

    _delete(app, settings, "acme")

    after = installation_bytes(settings)
    assert _found(after, secrets_of_acme) == []
    assert _found(after, markers) == []
    assert _found(after, bolt_keys) == sorted(bolt_keys)
    assert not databases_of(app).exists(acme.organisation)
    # bolt still works: its counsellor opens the vault and reads the case; chains verify
    with bolt.factory() as session:
        record = lifecycle.read_case(bolt.work(session), bolt.reference)
        assert record.narrative == bolt.markers["case"]
        session.commit()
        assert audit.verify(session, settings.audit_key).ok
    # the registry keeps the slug and the dates only; the main chain says what happened
    with main_work(app, settings) as work:
        row = work.session.execute(select(OrganisationRow).where(
            OrganisationRow.slug == "acme")).scalar_one()
        assert (row.name, row.host, row.settings) == ("", None, "{}") and row.deleted_at
        assert registry.find_organisation(work.session, "acme") is None
        actions = set(work.session.execute(select(AuditEntry.action)).scalars())
        assert {"organisation.deleted", "organisation.shredded"} <= actions
        assert audit.verify(work.session, settings.audit_key).ok
    # the export made before still opens with acme's recovery key - and with nothing of bolt
    assert export.read_export(exported, crypto.parse_recovery_key(acme.recovery_key))
    with pytest.raises(export.ExportError):
        export.read_export(exported, crypto.parse_recovery_key(bolt.recovery_key))
    with main_work(app, settings) as work:
        org_lifecycle.import_organisation(work, databases_of(app), exported,
                                          acme.recovery_key, slug="acme-archief")
    with main_work(app, settings) as work:
        archive = registry.find_organisation(work.session, "acme-archief")
    assert archive is not None
    with databases_of(app).session_factory(archive)() as session:
        keys = unlocking.open_keys(session, acme.settings,
                                   unlocking.unlock_with_recovery(session, acme.recovery_key))
        record = lifecycle.read_case(Work(session, acme.settings, Actor.system(), keys=keys),
                                     acme.reference)
        assert record.narrative == acme.markers["case"]
        with pytest.raises(DomainError):
            unlocking.unlock_with_recovery(session, bolt.recovery_key)


def test_a_stopped_deletion_can_be_run_again(
    app: Flask, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys shredded but the drop failed: the second run finishes the job."""
    acme = create_client(app, settings, "acme", data=False)
    databases = databases_of(app)

    def failing(_organisation: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(databases, "drop_database", failing)
    with pytest.raises(OSError), main_work(app, settings) as work:
        org_lifecycle.delete_organisation(work, databases, "acme", without_export=True)
    monkeypatch.undo()
    with acme.factory() as session, pytest.raises(DomainError):  # the keys are gone already
        unlocking.unlock_with_recovery(session, acme.recovery_key)
    _delete(app, settings, "acme", without_export=True)
    assert not databases.exists(acme.organisation)
