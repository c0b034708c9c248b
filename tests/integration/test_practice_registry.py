"""The practice registry and a database per organisation (issue 17, orgs-core).

Runs on whatever ``database_url`` gives: a SQLite file by default, a fresh PostgreSQL database
when VP_TEST_POSTGRES_URL is set (a client organisation is then a schema in it).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from vp_registry.config import Settings
from vp_registry.core.crypto import FAST_KDF_FOR_TESTS
from vp_registry.db import Base, make_engine, make_session_factory
from vp_registry.db import models as _models  # noqa: F401 - registers every table
from vp_registry.db.organisation import Category
from vp_registry.services.infrastructure import schema
from vp_registry.services.infrastructure.audit import Actor
from vp_registry.services.organisations import registry
from vp_registry.services.organisations.databases import OrganisationDatabases, schema_name
from vp_registry.services.organisations.registry import Organisation, OrganisationError
from vp_registry.services.organisations.settings import InvalidOverrides, settings_for
from vp_registry.services.work import Work


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def installation_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(environment="development", secret_key=secrets.token_urlsafe(48),
                    audit_key=secrets.token_urlsafe(48), database_url=database_url,
                    instance_path=str(tmp_path / "instance"), password_kdf=FAST_KDF_FOR_TESTS,
                    testing=True)


@pytest.fixture
def databases(engine: Engine) -> Iterator[OrganisationDatabases]:
    schema.upgrade(engine)
    found = OrganisationDatabases(engine)
    yield found
    found.dispose_all()


def _work(session: Session, settings: Settings) -> Work:
    return Work(session, settings, Actor.system())


def _create(databases: OrganisationDatabases, settings: Settings, slug: str,
            **fields: object) -> Organisation:
    with databases.main_sessions() as session:
        organisation = registry.create_organisation(
            _work(session, settings), databases, slug=slug,
            name=str(fields.pop("name", f"Klant {slug}")), **fields)  # type: ignore[arg-type]
        session.commit()
    return organisation


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True})
        return list(compare_metadata(context, Base.metadata))


def test_migration_0015_keeps_the_data_and_adds_the_home_row(engine: Engine) -> None:
    """An existing single-organisation database upgrades in place: the home organisation is
    its data; downgrading removes only the registry."""
    schema.upgrade(engine, "0014")
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO categories (code, label_nl, label_en, active, position, created_at) "
            "VALUES ('pesten', 'Pesten', 'Bullying', true, 1, CURRENT_TIMESTAMP)"))
    schema.upgrade(engine, "0015")
    with make_session_factory(engine)() as session:
        assert [(o.slug, o.is_home) for o in registry.list_organisations(session)] == [
            ("home", True)]
        assert session.scalar(sa.select(sa.func.count()).select_from(Category)) == 1
    schema.downgrade(engine, "0014")
    assert "organisations" not in sa.inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM categories")).scalar() == 1
    schema.upgrade(engine)
    with make_session_factory(engine)() as session:
        assert registry.home_organisation(session).slug == "home"


def test_a_second_home_row_is_refused_by_the_database(databases: OrganisationDatabases
                                                      ) -> None:
    with databases.main_engine.connect() as connection, pytest.raises(sa.exc.IntegrityError):
        connection.execute(sa.text(
            "INSERT INTO organisations (slug, name, is_home, settings, created_at) "
            "VALUES ('other', '', true, '{}', CURRENT_TIMESTAMP)"))


def test_a_client_database_has_the_schema_of_an_upgraded_one(
        databases: OrganisationDatabases, installation_settings: Settings) -> None:
    client = _create(databases, installation_settings, "acme-1", name="Acme B.V.")
    engine = databases.engine(client)
    assert not _differences(engine)
    tables = set(sa.inspect(engine).get_table_names())
    assert tables == set(sa.inspect(databases.main_engine).get_table_names())
    assert "alembic_version" in tables
    with engine.connect() as connection:
        # the client's registry table is empty (no home row there), categories are made
        assert connection.execute(sa.text("SELECT count(*) FROM organisations")).scalar() == 0
        assert connection.execute(sa.text("SELECT count(*) FROM categories")).scalar() == 7
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version")
                                     ).scalar()
    with databases.main_engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")
                                  ).scalar() == version


def test_plain_sql_stays_in_the_organisations_database(databases: OrganisationDatabases,
                                                       installation_settings: Settings) -> None:
    """text() SQL of organisation A names A's tables only: a row written there is in no
    other database, and the main database's rows are not visible from A."""
    first = _create(databases, installation_settings, "eerste")
    second = _create(databases, installation_settings, "tweede")
    with databases.engine(first).begin() as connection:
        connection.execute(sa.text("DELETE FROM categories WHERE code <> 'pesten'"))
    counts = {}
    for name, engine in (("first", databases.engine(first)),
                         ("second", databases.engine(second)),
                         ("main", databases.main_engine)):
        with engine.connect() as connection:
            counts[name] = (
                connection.execute(sa.text("SELECT count(*) FROM categories")).scalar(),
                connection.execute(sa.text("SELECT count(*) FROM organisations")).scalar())
    assert counts == {"first": (1, 0), "second": (7, 0), "main": (0, 3)}


@pytest.mark.postgres
def test_postgresql_schema_and_search_path(databases: OrganisationDatabases,
                                           installation_settings: Settings) -> None:
    if not databases.is_postgresql:
        pytest.skip("PostgreSQL only (VP_TEST_POSTGRES_URL)")
    client = _create(databases, installation_settings, "acme-2")
    with databases.engine(client).connect() as connection:
        assert connection.exec_driver_sql("SHOW search_path").scalar() == "org_acme_2"
        connection.exec_driver_sql("RESET ALL")  # a pool's reset keeps the schema
        assert connection.exec_driver_sql("SHOW search_path").scalar() == "org_acme_2"
    with databases.main_engine.connect() as connection:
        where = connection.exec_driver_sql(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'alembic_version' ORDER BY 1").scalars().all()
    assert where == ["org_acme_2", "public"]
    databases.drop_database(client)
    assert not databases.exists(client)
    with databases.main_engine.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %(n)s",
            {"n": schema_name("acme-2")}).scalar() == 0


def test_drop_database_removes_it_and_create_refuses_an_existing_one(
        databases: OrganisationDatabases, installation_settings: Settings) -> None:
    client = _create(databases, installation_settings, "weg")
    with pytest.raises(FileExistsError):
        databases.create_database(client)
    if not databases.is_postgresql:
        path = databases.sqlite_path(client)
        assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600"
        assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    databases.drop_database(client)
    assert not databases.exists(client)
    if not databases.is_postgresql:
        assert not list(databases.sqlite_path(client).parent.iterdir())


@pytest.mark.parametrize(("slug", "name", "host", "field"), [
    ("a", "Naam", None, "slug"), ("Acme", "Naam", None, "slug"), ("-acme", "Naam", None, "slug"),
    ("acme_1", "Naam", None, "slug"), ("home", "Naam", None, "slug"), ("x" * 41, "N", None, "slug"),
    ("acme", "", None, "name"), ("acme", "N" * 121, None, "name"),
    ("acme", "Naam", "not a host", "host"), ("acme", "Naam", "a..b", "host"),
])
def test_invalid_organisations_are_refused(databases: OrganisationDatabases,
                                           installation_settings: Settings, slug: str,
                                           name: str, host: str | None, field: str) -> None:
    with databases.main_sessions() as session, pytest.raises(OrganisationError) as raised:
        registry.create_organisation(_work(session, installation_settings), databases,
                                     slug=slug, name=name, host=host)
    assert raised.value.field == field
    if not databases.is_postgresql:
        folder = databases.sqlite_path(Organisation(0, "x", "", None, False)).parent
        assert not folder.exists() or not list(folder.iterdir())


def test_a_slug_and_a_host_are_never_given_out_twice(databases: OrganisationDatabases,
                                                     installation_settings: Settings) -> None:
    first = _create(databases, installation_settings, "acme", host="Acme.Example.org:443")
    assert first.host == "acme.example.org"
    for slug, host, field in (("acme", None, "slug"), ("acme-b", "acme.example.org.", "host")):
        with databases.main_sessions() as session, pytest.raises(OrganisationError) as raised:
            registry.create_organisation(_work(session, installation_settings), databases,
                                         slug=slug, name="Tweede", host=host)
        assert raised.value.field == field
    databases.drop_database(first)
    with databases.main_sessions() as session:
        registry.mark_deleted(_work(session, installation_settings), first)
        session.commit()
        assert registry.find_organisation(session, "acme") is None
        assert registry.by_host(session, "acme.example.org") is None
        row = session.scalars(sa.text("SELECT name, host, settings FROM organisations "
                                      "WHERE slug = 'acme'")).first()
    with databases.main_engine.connect() as connection:
        row = connection.execute(sa.text("SELECT name, host, settings, deleted_at FROM "
                                         "organisations WHERE slug = 'acme'")).one()
    assert (row.name, row.host, row.settings) == ("", None, "{}") and row.deleted_at
    with databases.main_sessions() as session, pytest.raises(OrganisationError):
        registry.create_organisation(_work(session, installation_settings), databases,
                                     slug="acme", name="Nieuw")


def test_lookups(databases: OrganisationDatabases, installation_settings: Settings) -> None:
    client = _create(databases, installation_settings, "acme", host="acme.example.org")
    with databases.main_sessions() as session:
        assert registry.find_organisation(session, "acme") == client
        assert registry.find_organisation(session, "ACME") is None
        assert registry.find_organisation(session, "nope") is None
        assert registry.by_host(session, "ACME.example.org:8443") == client
        assert registry.by_host(session, "[::1]:80") is None
        assert registry.has_hosts(session)
        assert [o.slug for o in registry.list_organisations(session)] == ["home", "acme"]


def test_settings_overrides_are_validated_and_applied(installation_settings: Settings) -> None:
    def org(**overrides: object) -> Organisation:
        return Organisation(2, "acme", "Acme B.V.", None, False, dict(overrides))

    applied = settings_for(installation_settings, org(DISCLOSURE_K=5, RETENTION_MONTHS="24"))
    assert (applied.disclosure_k, applied.band_edges, applied.retention_months) == (5, (5, 10), 24)
    assert applied.organisation_name == "Acme B.V."
    assert applied.totp_issuer == installation_settings.totp_issuer + " acme"
    assert applied.secret_key == installation_settings.secret_key
    home = Organisation(1, "home", "", None, True, {})
    assert settings_for(installation_settings, home) is installation_settings
    for bad in ({"DISCLOSURE_K": 2}, {"SECRET_KEY": "x" * 50}, {"DATABASE_URL": "sqlite://"},
                {"DISCLOSURE_K": "drie"}, {"DISCLOSURE_K": 3.5}, {"REGISTRY_START": "gisteren"},
                {"MIN_DEPARTMENT_SIZE": True}, {"BAND_EDGES": [3, "x"]}):
        with pytest.raises(InvalidOverrides) as raised:
            settings_for(installation_settings, org(**bad))
        assert "x" * 50 not in str(raised.value)


@pytest.mark.usefixtures("one_audit_chain")
def test_upgrade_all_upgrades_every_client_database(databases: OrganisationDatabases,
                                                    installation_settings: Settings) -> None:
    client = _create(databases, installation_settings, "acme")
    schema.downgrade(databases.engine(client), "0014")
    assert "organisations" not in sa.inspect(databases.engine(client)).get_table_names()
    with databases.main_sessions() as session:
        databases.upgrade_all(registry.list_organisations(session))
    databases.dispose(client)
    assert not _differences(databases.engine(client))


def test_a_create_interrupted_before_its_commit_can_be_run_again(
        databases: OrganisationDatabases, installation_settings: Settings) -> None:
    """Killed after the database was made but before the registry row was committed (the
    crash-safety test of the demo found it): the re-run replaces the unreachable leftover."""
    with databases.main_sessions() as session:
        registry.create_organisation(_work(session, installation_settings), databases,
                                     slug="half", name="Half")
        session.rollback()  # the process died before the commit
    again = _create(databases, installation_settings, "half")
    with databases.engine(again).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM categories")).scalar() == 7
