"""Key rotation, retention and backups per organisation (issue 17): each acts on one
organisation's database and leaves every other organisation's keys and cases as they were.
SQLite by default, PostgreSQL when VP_TEST_POSTGRES_URL is set."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.casework import case_input, department
from tests.organisationwork import (
    TODAY,
    Client,
    create_client,
    databases_of,
    key_material,
)
from vp_registry.config import Settings
from vp_registry.core.report import ReportTexts
from vp_registry.db.accounts import User
from vp_registry.db.cases import Case, CaseKey
from vp_registry.db.practice import Organisation as OrganisationRow
from vp_registry.db.vault import Vault
from vp_registry.services.cases import lifecycle
from vp_registry.services.cases.records import Closing
from vp_registry.services.infrastructure import audit, backup, retention, rotation
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import lifecycle as org_lifecycle
from vp_registry.services.reports import drafts, finalising
from vp_registry.services.work import Work


@pytest.fixture(autouse=True)
def _close_client_databases(app: Flask) -> Iterator[None]:
    yield
    databases_of(app).dispose_all()


def _rotate(client: Client) -> None:
    """``vp-registry keys rotate`` on the client's database: start, every batch, finish."""
    with client.factory() as session:
        work = client.work(session)
        current = rotation.start(work)
        session.commit()
        while rotation.rewrap_batch(work, current, 2):
            session.commit()
        rotation.finish(work, current)
        session.commit()


def test_rotating_one_organisation_leaves_the_others_keys_untouched(
    app: Flask, settings: Settings
) -> None:
    acme = create_client(app, settings, "acme")
    bolt = create_client(app, settings, "bolt")
    acme_before, bolt_before = key_material(acme), key_material(bolt)

    _rotate(acme)

    assert key_material(bolt) == bolt_before
    acme_after = key_material(acme)
    for column in ("vault.recovery_sealed_key", "vault.box_private_wrapped",
                   "vault_grants.sealed_key", "case_keys.wrapped_key"):
        assert not set(acme_after[column]) & set(acme_before[column]), column
    for client, version in ((acme, 2), (bolt, 1)):
        with client.factory() as session:
            assert session.scalar(select(Vault.key_version)) == version
            assert set(session.scalars(select(CaseKey.vault_key_version))) == {version}
            assert rotation.rows_on_old_versions(session) == 0
            record = lifecycle.read_case(client.work(session), client.reference)
            assert record.narrative == client.markers["case"]


def _due_case(client: Client) -> str:
    """A case closed early in 2025, with the 2025 annual report final: due for erasure."""
    with client.factory() as session:
        work = client.work(session)
        dept = department(session, "Werkplaats", client.settings)
        record = lifecycle.create_case(work, case_input(dept.id, opened_on=date(2025, 1, 6)),
                                       today=TODAY)
        lifecycle.close_case(work, record.reference, 1,
                             Closing(closed_on=date(2025, 2, 10), outcome="advice"),
                             today=TODAY)
        version = drafts.save_texts(work, 2025, 0, ReportTexts(), "nl", today=TODAY)
        finalising.finalise(work, 2025, version.revision, today=TODAY)
        session.commit()
    return record.reference


def _references(client: Client) -> set[str]:
    with client.factory() as session:
        return set(session.scalars(select(Case.reference)))


def test_purging_one_organisation_leaves_the_others_cases(
    app: Flask, settings: Settings
) -> None:
    acme = create_client(app, settings, "acme", data=False)
    bolt = create_client(app, settings, "bolt", data=False)
    acme_due, bolt_due = _due_case(acme), _due_case(bolt)
    bolt_before = _references(bolt)
    with acme.factory() as session:  # as 'retention purge' runs: the system, no key
        result = retention.purge(Work(session, acme.settings, Actor.system()), today=TODAY)
        session.commit()
    assert result.references == [acme_due]
    assert acme_due not in _references(acme)
    assert _references(bolt) == bolt_before and bolt_due in bolt_before
    with bolt.factory() as session:
        assert retention.due_cases(Work(session, bolt.settings, Actor.system()),
                                   today=TODAY)[0].reference == bolt_due


def test_a_backup_of_one_organisation_holds_its_rows_only(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    acme = create_client(app, settings, "acme")
    bolt = create_client(app, settings, "bolt")
    path = tmp_path / "acme.vpbackup"
    manifest = backup.create_backup(databases_of(app).engine(acme.organisation),
                                    settings.backup_key, path)
    _, tables = backup.read_backup(path, settings.backup_key)
    assert [row["email"] for row in tables["users"]] == ["vp@acme.example.org"]
    assert manifest.row_counts["cases"] == 1 and tables["organisations"] == []
    dumped = repr(tables)
    for values in key_material(bolt).values():
        for value in values:
            assert backup._encode(value)["b64"] not in dumped
    with bolt.factory() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_a_backup_of_one_organisation_restores_into_its_lost_database_only(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    """The database of acme is lost (file gone, schema dropped): its backup restores into
    it with acme's own migrations - no home row appears there - and bolt is untouched."""
    acme = create_client(app, settings, "acme")
    bolt = create_client(app, settings, "bolt")
    databases = databases_of(app)
    path = tmp_path / "acme.vpbackup"
    made = backup.create_backup(databases.engine(acme.organisation), settings.backup_key, path)
    bolt_before = key_material(bolt)
    databases.drop_database(acme.organisation)

    restored = org_lifecycle.restore_backup(databases, acme.organisation, settings.backup_key,
                                            path)

    assert restored.row_counts == made.row_counts
    acme.factory = databases.session_factory(acme.organisation)  # the old engine was disposed
    with acme.factory() as session:
        assert session.scalar(select(func.count()).select_from(OrganisationRow)) == 0
        record = lifecycle.read_case(acme.work(session), acme.reference)
        assert record.narrative == acme.markers["case"]
        assert audit.verify(session, settings.audit_key).ok
    assert key_material(bolt) == bolt_before
    with pytest.raises(backup.BackupError, match="not empty"):  # never over live data
        org_lifecycle.restore_backup(databases, bolt.organisation, settings.backup_key, path)
