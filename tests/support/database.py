"""The test databases: a SQLite file per test by default, a PostgreSQL database per test when
``VP_TEST_POSTGRES_URL`` is set (CI runs the database tests both ways).

The schema is migrated once per run into a template (Alembic, then the default categories, as
the ``app`` fixture used to do for every test) and each test that uses the app gets a copy: a
file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. The migrations themselves
are tested in tests/integration/test_migrations.py, on an empty database of their own.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from vp_registry.core.private_files import PRIVATE_MODE
from vp_registry.db import make_engine, make_session_factory
from vp_registry.services.accounts import organisation
from vp_registry.services.infrastructure import schema

POSTGRES_URL = os.environ.get("VP_TEST_POSTGRES_URL", "")


def _admin_engine(url: str) -> sa.Engine:
    return sa.create_engine(sa.engine.make_url(url).set(database="postgres"),
                            isolation_level="AUTOCOMMIT")


def fresh_postgres_database(template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (empty, or a copy of the database ``template``) on the
    server of ``VP_TEST_POSTGRES_URL``; dropped when the generator is closed or exhausted."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = "vp_test_" + uuid.uuid4().hex[:12]
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
    url = sa.engine.make_url(POSTGRES_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def copy_sqlite_file(source: Path, target: Path) -> None:
    """Copy a closed SQLite database; the copy is created 0600 like every database file."""
    for suffix in ("-wal", "-shm"):
        assert not Path(str(source) + suffix).exists(), "dispose every engine first"
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    with open(descriptor, "wb") as out, source.open("rb") as data:
        shutil.copyfileobj(data, out)


def migrate(url: str) -> None:
    """What a new installation gets: the schema at head and the default categories."""
    engine = make_engine(url)
    try:
        schema.upgrade(engine)
        with make_session_factory(engine)() as session:
            organisation.ensure_default_categories(session)
            session.commit()
    finally:
        engine.dispose()


def sqlite_path(url: str) -> Path:
    return Path(str(sa.engine.make_url(url).database))


@contextmanager
def migrated_template(workdir: Path) -> Iterator[str]:
    """The template of a run: migrated once, copied per test (see ``copy_of``)."""
    if not POSTGRES_URL:
        url = f"sqlite:///{workdir / 'template.sqlite3'}"
        migrate(url)
        yield url
        return
    databases = fresh_postgres_database()
    url = next(databases)
    try:
        migrate(url)
        yield url
    finally:
        databases.close()


@contextmanager
def cloned(url: str, workdir: Path) -> Iterator[str]:
    """A copy of the database at ``url`` (nobody may be connected to it meanwhile)."""
    if sa.engine.make_url(url).get_backend_name() == "sqlite":
        target = workdir / f"clone-{uuid.uuid4().hex[:8]}.sqlite3"
        copy_sqlite_file(sqlite_path(url), target)
        yield f"sqlite:///{target}"
        return
    databases = fresh_postgres_database(template=str(sa.engine.make_url(url).database))
    try:
        yield next(databases)
    finally:
        databases.close()
