"""Alembic environment: runs against the engine handed in by
vp_registry.services.infrastructure.schema, or against DATABASE_URL / the instance settings when
called as ``alembic`` directly."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Engine

from vp_registry.db import Base, make_engine
from vp_registry.db import models as _models  # noqa: F401 - registers every table

target_metadata = Base.metadata


def _engine() -> Engine:
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine  # type: ignore[no-any-return]
    from vp_registry.config import load_settings

    return make_engine(load_settings().effective_database_url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
