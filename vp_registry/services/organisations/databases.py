"""A database per organisation (issue 17): engines and sessions, created lazily and cached.

The home organisation's database is the main database (the installation's ``DATABASE_URL``).
Every other organisation has one of its own:

* **PostgreSQL**: a schema ``org_<slug>`` (hyphens become underscores) in the installation's
  database. Its engine opens every connection with ``search_path`` set to that schema alone
  (a libpq start-up option, so ``RESET ALL`` or ``DISCARD ALL`` return to it), hence every
  statement - ORM, Core and plain ``text()`` SQL alike, and Alembic's ``alembic_version`` -
  names that schema's tables and no other organisation's.
* **SQLite**: the file ``<folder of the main database>/organisations/<slug>.sqlite``, 0600 in a
  0700 folder, with the same pragmas as the main database.

A new database is made by running the migrations from the first revision to head, as an
upgraded installation's database was made, so both have the same schema by construction
(tests/integration/test_practice_databases.py compares them); then the default categories,
as ``vp-registry init`` adds them.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Final

from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from vp_registry.core.private_files import SQLITE_COMPANIONS
from vp_registry.db import liveness, make_engine, make_session_factory
from vp_registry.services.infrastructure import schema, throttle

if TYPE_CHECKING:
    from vp_registry.services.organisations.registry import Organisation

SCHEMA_PREFIX: Final = "org_"
FOLDER: Final = "organisations"
# A client organisation's engine keeps one idle connection (PostgreSQL: dozens of
# organisations x workers must stay under max_connections) and opens more under load.
CLIENT_POOL: Final = {"pool_size": 1, "max_overflow": 9}


def schema_name(slug: str) -> str:
    """PostgreSQL schema of a client organisation (slugs have no underscore: one-to-one)."""
    return SCHEMA_PREFIX + slug.replace("-", "_")


class OrganisationDatabases:
    """Engine and session factory of every organisation of one installation (one worker)."""

    def __init__(self, main_engine: Engine,
                 main_sessions: sessionmaker[Session] | None = None) -> None:
        self.main_engine = main_engine
        self.main_sessions = main_sessions or make_session_factory(main_engine)
        self._lock = threading.Lock()
        self._engines: dict[str, tuple[Engine, sessionmaker[Session]]] = {}

    @property
    def is_postgresql(self) -> bool:
        return self.main_engine.dialect.name == "postgresql"

    def sqlite_path(self, organisation: Organisation) -> Path:
        """The SQLite file of a client organisation (beside the main database)."""
        database = make_url(str(self.main_engine.url)).database
        if not database or database == ":memory:" or database.startswith("file:"):
            raise RuntimeError("client organisations need a main database in a file")
        return Path(database).resolve().parent / FOLDER / f"{organisation.slug}.sqlite"

    def _new_engine(self, organisation: Organisation) -> Engine:
        if self.is_postgresql:  # pinged as the main engine is (db/liveness.py), not per checkout
            return liveness.install(create_engine(
                self.main_engine.url, **CLIENT_POOL,
                connect_args={"options": f"-c search_path={schema_name(organisation.slug)}"}))
        path = self.sqlite_path(organisation)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        return make_engine(f"sqlite:///{path}")

    def _entry(self, organisation: Organisation) -> tuple[Engine, sessionmaker[Session]]:
        entry = self._engines.get(organisation.slug)
        if entry is None:
            with self._lock:
                entry = self._engines.get(organisation.slug)
                if entry is None:
                    engine = self._new_engine(organisation)
                    # one budget of login failures per client address, whatever organisation
                    throttle.share_address_budget(engine, self.main_sessions)
                    entry = (engine, make_session_factory(engine))
                    self._engines[organisation.slug] = entry
        return entry

    def engine(self, organisation: Organisation) -> Engine:
        """The organisation's engine (the main engine for the home organisation)."""
        if organisation.is_home:
            return self.main_engine
        return self._entry(organisation)[0]

    def session_factory(self, organisation: Organisation) -> sessionmaker[Session]:
        if organisation.is_home:
            return self.main_sessions
        return self._entry(organisation)[1]

    def exists(self, organisation: Organisation) -> bool:
        if organisation.is_home:
            return True
        if self.is_postgresql:
            with self.main_engine.connect() as connection:
                found = connection.exec_driver_sql(
                    "SELECT 1 FROM information_schema.schemata WHERE schema_name = %(name)s",
                    {"name": schema_name(organisation.slug)}).first()
            return found is not None
        return self.sqlite_path(organisation).exists()

    def create_database(self, organisation: Organisation) -> None:
        """An empty database for a new client organisation at the schema's head, with the
        default categories. Refuses to touch one that exists already."""
        if organisation.is_home:
            raise ValueError("the home organisation's database is the main database")
        if self.exists(organisation):
            raise FileExistsError(f"a database for organisation {organisation.slug} exists")
        if self.is_postgresql:
            with self.main_engine.connect() as connection:
                connection.exec_driver_sql(f'CREATE SCHEMA "{schema_name(organisation.slug)}"')
                connection.commit()
        self.upgrade(organisation)
        from vp_registry.services.accounts.organisation import ensure_default_categories

        with self.session_factory(organisation)() as session:
            ensure_default_categories(session)
            session.commit()

    def upgrade(self, organisation: Organisation, revision: str = "head") -> None:
        """Run the migrations on one organisation's database."""
        engine = self.engine(organisation)
        if organisation.is_home:
            schema.upgrade(engine, revision)
            return
        config = schema.alembic_config(engine)
        config.attributes["client_database"] = True  # 0015: no home row here
        command.upgrade(config, revision)

    def upgrade_all(self, organisations: list[Organisation]) -> None:
        """The main database first (it holds the registry), then every client database."""
        schema.upgrade(self.main_engine)
        for organisation in organisations:
            if not organisation.is_home:
                self.upgrade(organisation)

    def has_engine(self, slug: str) -> bool:
        return slug in self._engines

    def dispose(self, organisation: Organisation) -> None:
        """Close the organisation's connections (before its database is dropped)."""
        self.dispose_slug(organisation.slug)

    def dispose_slug(self, slug: str) -> None:
        with self._lock:
            entry = self._engines.pop(slug, None)
        if entry is not None:
            entry[0].dispose()

    def dispose_all(self) -> None:
        with self._lock:
            entries, self._engines = list(self._engines.values()), {}
        for engine, _factory in entries:
            engine.dispose()

    def drop_database(self, organisation: Organisation) -> None:
        """Remove a client organisation's database entirely (orgs-life shreds its keys first):
        PostgreSQL ``DROP SCHEMA ... CASCADE``; SQLite the file and its companions."""
        if organisation.is_home:
            raise ValueError("the home organisation's database is never dropped")
        self.dispose(organisation)
        if self.is_postgresql:
            with self.main_engine.connect() as connection:
                connection.exec_driver_sql(
                    f'DROP SCHEMA IF EXISTS "{schema_name(organisation.slug)}" CASCADE')
                connection.commit()
            return
        path = self.sqlite_path(organisation)
        for file in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(file)
