"""Exporting a client organisation and bringing it back (issue 17): the file opens with the
organisation's recovery key only, and an import under a new short name gives the same cases,
messages and comments, readable with that recovery key, with an audit chain that verifies.
SQLite by default, PostgreSQL when VP_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.organisationwork import (
    Client,
    create_client,
    databases_of,
    main_work,
)
from vp_registry.config import Settings
from vp_registry.core import crypto
from vp_registry.db.audit import AuditEntry
from vp_registry.db.practice import Organisation as OrganisationRow
from vp_registry.services.cases import lifecycle
from vp_registry.services.contact import threads
from vp_registry.services.errors import ValidationFailed
from vp_registry.services.infrastructure import audit, backup, schema
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import export, registry
from vp_registry.services.organisations import lifecycle as org_lifecycle
from vp_registry.services.organisations.registry import OrganisationError
from vp_registry.services.organisations.settings import settings_for
from vp_registry.services.pulse import comments, rounds
from vp_registry.services.vault import unlocking
from vp_registry.services.work import Work


@pytest.fixture(autouse=True)
def _close_client_databases(app: Flask) -> Iterator[None]:
    yield
    databases_of(app).dispose_all()


def _export(app: Flask, settings: Settings, client: Client, path: Path
            ) -> export.ExportSummary:
    with main_work(app, settings) as work:
        return org_lifecycle.export_organisation(work, databases_of(app), client.slug, path)


def _markers_read_back(app: Flask, settings: Settings, slug: str, recovery_key: str,
                       client: Client) -> dict[str, str]:
    """What the recovery key opens in organisation ``slug``: the case narrative, the notes,
    the anonymous message and the pulse comment."""
    databases = databases_of(app)
    with main_work(app, settings) as work:
        organisation = registry.find_organisation(work.session, slug)
    assert organisation is not None
    own = settings_for(settings, organisation)
    with databases.session_factory(organisation)() as session:
        keys = unlocking.open_keys(session, own,
                                   unlocking.unlock_with_recovery(session, recovery_key))
        work = Work(session, own, Actor.system(), keys=keys)
        case = lifecycle.read_case(work, client.reference)
        thread = threads.read_thread(work, client.thread_id)
        rounds.close_round(work, client.round_id)
        comment = comments.read_comments(work, client.round_id)
        session.rollback()
    return {"case": case.narrative, "notes": case.contacts[0].notes,
            "message": thread.message, "comment": comment[0].text}


def test_an_export_round_trips_into_a_new_organisation(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    client = create_client(app, settings, "acme")
    path = tmp_path / "acme.vpexport"
    summary = _export(app, settings, client, path)
    blob = path.read_bytes()
    assert blob.startswith(export.MAGIC) and path.stat().st_mode & 0o077 == 0
    for marker in client.markers.values():
        assert marker.encode() not in blob
    assert summary.organisation.slug == "acme" and summary.manifest.row_counts["cases"] == 1

    with main_work(app, settings) as work:
        report = org_lifecycle.import_organisation(work, databases_of(app), path,
                                                   client.recovery_key, slug="acme-terug")
    assert report.audit_ok and report.audit_entries > 5
    assert report.organisation.name == "Client acme"
    assert _markers_read_back(app, settings, "acme-terug", client.recovery_key, client) == \
        {kind: client.markers[kind] for kind in ("case", "notes", "message", "comment")}
    # the original is untouched and still its own organisation
    assert _markers_read_back(app, settings, "acme", client.recovery_key, client)["case"] == \
        client.markers["case"]


def test_the_export_is_audited_in_the_organisations_own_chain(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    client = create_client(app, settings, "acme", data=False)
    databases = databases_of(app)
    assert org_lifecycle.last_export(databases, client.organisation) is None
    summary = _export(app, settings, client, tmp_path / "a.vpexport")
    assert org_lifecycle.last_export(databases, client.organisation) is not None
    with client.factory() as session:
        entry = session.execute(select(AuditEntry).where(
            AuditEntry.action == org_lifecycle.EXPORT_ACTION)).scalar_one()
        assert summary.file_sha256 in entry.details
        assert audit.verify(session, settings.audit_key).ok


def test_only_the_organisations_recovery_key_opens_its_export(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    acme = create_client(app, settings, "acme", data=False)
    bolt = create_client(app, settings, "bolt", data=False)
    path = tmp_path / "acme.vpexport"
    _export(app, settings, acme, path)
    assert export.read_export(path, crypto.parse_recovery_key(acme.recovery_key))
    for wrong in (crypto.parse_recovery_key(bolt.recovery_key), crypto.random_key()):
        with pytest.raises(export.ExportError):
            export.read_export(path, wrong)
    with pytest.raises(backup.BackupError):  # not a backup: BACKUP_KEY opens nothing
        backup.read_backup(path, settings.backup_key)


@pytest.mark.parametrize("damage", ["flip-header", "flip-body", "truncate", "magic"])
def test_a_damaged_export_is_refused(
    app: Flask, settings: Settings, tmp_path: Path, damage: str
) -> None:
    acme = create_client(app, settings, "acme", data=False)
    path = tmp_path / "acme.vpexport"
    _export(app, settings, acme, path)
    data = bytearray(path.read_bytes())
    if damage == "flip-header":
        data[len(export.MAGIC) + 8] ^= 0x01
    elif damage == "flip-body":
        data[-40] ^= 0x01
    elif damage == "truncate":
        del data[-1:]
    else:
        data[:4] = b"XXXX"
    path.write_bytes(bytes(data))
    with pytest.raises(export.ExportError):
        export.read_export(path, crypto.parse_recovery_key(acme.recovery_key))


def test_the_export_holds_no_plaintext_outside_its_encryption(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    """Only the magic line and a header with the format and the sealed file key are plain:
    not the slug, not the name, not a table's name."""
    acme = create_client(app, settings, "acme", data=False)
    path = tmp_path / "acme.vpexport"
    _export(app, settings, acme, path)
    blob = path.read_bytes()
    for word in (b"acme", b"Client", b"cases", b"vault", b"users"):
        assert word not in blob
    with pytest.raises(OSError):
        gzip.decompress(blob)


def test_an_import_needs_a_free_short_name_and_leaves_nothing_when_refused(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    acme = create_client(app, settings, "acme", data=False)
    path = tmp_path / "acme.vpexport"
    _export(app, settings, acme, path)
    databases = databases_of(app)
    with pytest.raises(OrganisationError), main_work(app, settings) as work:
        org_lifecycle.import_organisation(work, databases, path, acme.recovery_key, slug="acme")
    with pytest.raises(ValidationFailed), main_work(app, settings) as work:
        org_lifecycle.import_organisation(work, databases, path, "not a key", slug="nieuw")
    with main_work(app, settings) as work:
        slugs = [organisation.slug for organisation in
                 registry.list_organisations(work.session)]
        assert slugs.count("acme") == 1 and "nieuw" not in slugs


def test_the_home_organisation_is_exported_with_a_backup_not_here(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(OrganisationError), main_work(app, settings) as work:
        org_lifecycle.export_organisation(work, databases_of(app), "home",
                                          tmp_path / "home.vpexport")
    assert not (tmp_path / "home.vpexport").exists()


@pytest.mark.usefixtures("one_audit_chain")
def test_an_export_of_an_older_schema_is_imported_and_upgraded(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    """An export made before migration 0015 (as by an older release): the import migrates
    the new database to the export's revision first, loads the rows there, then upgrades -
    and the client database gets no home row from 0015. (The dump reads the tables and
    columns the database has; the file is written as the export writes it - the entry it
    then appends to the organisation's chain is this release's, which 0014 has no lanes
    for.)"""
    acme = create_client(app, settings, "acme", data=False)
    databases = databases_of(app)
    engine = databases.engine(acme.organisation)
    schema.downgrade(engine, "0014")
    path = tmp_path / "acme.vpexport"
    export.export_database(engine, path, export.ExportedOrganisation(
        acme.organisation.slug, acme.organisation.name, dict(acme.organisation.settings)))
    opened = export.read_export(path, crypto.parse_recovery_key(acme.recovery_key))
    assert opened.manifest.revision == "0014"
    seen: list[str] = []
    with main_work(app, settings) as work:
        organisation = registry.create_organisation(work, databases, slug="kopie", name="K")
        org_lifecycle._empty_database(databases, organisation)

        def upgrade(engine: object, revision: str) -> None:
            seen.append(revision)
            databases.upgrade(organisation, revision)

        export.import_database(databases.engine(organisation), opened, upgrade=upgrade)
    assert seen == ["0014", "head"]
    with databases.session_factory(organisation)() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == \
            opened.manifest.row_counts["audit_entries"]
        assert session.scalar(select(func.count()).select_from(OrganisationRow)) == 0
        assert audit.verify(session, settings.audit_key).ok


def test_an_export_that_carries_a_practice_registry_is_refused(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    """Anyone can seal a file to a recovery PUBLIC key: an 'export' made by hand with rows
    of the practice registry (which no organisation's export holds) is not imported."""
    acme = create_client(app, settings, "acme", data=False)
    path = tmp_path / "acme.vpexport"
    _export(app, settings, acme, path)
    opened = export.read_export(path, crypto.parse_recovery_key(acme.recovery_key))
    tables = dict(opened.tables)
    tables["organisations"] = [{"id": 1, "slug": "home", "name": "", "host": None,
                                "is_home": True, "settings": "{}", "deleted_at": None,
                                "created_at": {"dt": "2026-01-01T00:00:00"}}]
    forged = backup.Manifest(backup.FORMAT_VERSION, opened.manifest.created_at,
                             opened.manifest.revision,
                             {name: len(rows) for name, rows in tables.items()},
                             backup._content_digest(tables))
    recipient = export._recovery_public_key(tables)
    payload = json.dumps({"manifest": forged.__dict__,
                          "organisation": opened.organisation.__dict__, "tables": tables})
    file_key = crypto.random_key()
    header = export._header(crypto.seal(recipient, file_key, export._SEAL_AAD))
    sealed = crypto.DEFAULT_CIPHER.encrypt(file_key, gzip.compress(payload.encode()),
                                           export.MAGIC + header)
    path.write_bytes(export.MAGIC + export._LENGTH.pack(len(header)) + header + sealed)
    with pytest.raises(export.ExportError):
        export.read_export(path, crypto.parse_recovery_key(acme.recovery_key))
