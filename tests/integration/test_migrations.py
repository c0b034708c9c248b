"""Migrations and models stay identical, and every migration can be undone and redone.

Runs on whatever ``database_url`` gives: a temporary SQLite file by default, a fresh PostgreSQL
database when VP_TEST_POSTGRES_URL is set (CI runs both). After SecureDrop's
``test_alembic_head_matches_db_models`` and the "stairway" test of alembic-utils users.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from vp_registry.db import Base, make_engine
from vp_registry.db import models as _models  # noqa: F401 - registers every table
from vp_registry.services.infrastructure import schema

VERSION_TABLE = "alembic_version"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def revisions_in_order() -> list[str]:
    """Every revision id from the first to head (a single line of history is required)."""
    script = ScriptDirectory.from_config(schema.alembic_config(make_engine("sqlite://")))
    heads = script.get_heads()
    assert len(heads) == 1, f"migrations have several heads {heads}: add a merge revision"
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return list(compare_metadata(context, Base.metadata))


def user_tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {VERSION_TABLE}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_head_on_empty_database_matches_the_models(engine: Engine) -> None:
    schema.upgrade(engine)
    found = differences(engine)
    assert not found, (
        "alembic upgrade head and Base.metadata differ; add or correct a migration "
        "(alembic revision --autogenerate) for:\n" + "\n".join(repr(item) for item in found)
    )
    assert user_tables(engine) == set(Base.metadata.tables)
    assert current_revision(engine) == revisions_in_order()[-1]


def test_upgrade_downgrade_upgrade(engine: Engine) -> None:
    schema.upgrade(engine)
    schema.downgrade(engine, "base")
    assert user_tables(engine) == set(), "downgrade to base left tables behind"
    assert current_revision(engine) is None
    schema.upgrade(engine)
    assert not differences(engine)


def test_each_revision_downgrades_and_upgrades_again(engine: Engine) -> None:
    """The stairway: up one revision, down one, up again - for every revision in turn."""
    previous = "base"
    for revision in revisions_in_order():
        schema.upgrade(engine, revision)
        schema.downgrade(engine, previous)
        assert current_revision(engine) == (None if previous == "base" else previous)
        schema.upgrade(engine, revision)
        assert current_revision(engine) == revision
        previous = revision
    assert not differences(engine)
