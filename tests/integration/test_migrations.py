"""Migrations and models stay identical, and every migration can be undone and redone.

Runs on whatever ``database_url`` gives: a temporary SQLite file by default, a fresh PostgreSQL
database when VP_TEST_POSTGRES_URL is set (CI runs both). After SecureDrop's
``test_alembic_head_matches_db_models`` and the "stairway" test of alembic-utils users.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from vp_registry.db import Base, make_engine
from vp_registry.db import models as _models  # noqa: F401 - registers every table
from vp_registry.db.audit import AuditEntry
from vp_registry.services.infrastructure import audit, schema

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


def test_a_chain_from_before_lanes_verifies_as_lane_one(engine: Engine) -> None:
    """0018 (issue 15, session 11): the entries so far become lane 1, whose MACs leave the
    lane out - an existing log keeps verifying, and the next entries chain after it."""
    key = "k" * 48
    schema.upgrade(engine, "0017")
    previous = audit.GENESIS_MAC
    with engine.begin() as connection:
        for seq in (1, 2, 3):
            entry = AuditEntry(seq=seq, created_at=datetime(2026, 12, 1, 9, seq),
                               actor_id=seq, actor_role="counsellor", action="case.read",
                               target_type="case", target_id=f"VP-{seq}", details="{}",
                               prev_mac=previous, mac="")
            entry.mac = previous = audit.compute_mac(key, entry)
            connection.execute(sa.text(
                "INSERT INTO audit_entries (seq, created_at, actor_id, actor_role, action, "
                "target_type, target_id, details, prev_mac, mac) VALUES (:seq, :created_at, "
                ":actor_id, :actor_role, :action, :target_type, :target_id, :details, "
                ":prev_mac, :mac)"), {name: getattr(entry, name) for name in (
                    "seq", "created_at", "actor_id", "actor_role", "action", "target_type",
                    "target_id", "details", "prev_mac", "mac")})
        connection.execute(sa.text("INSERT INTO audit_head (id, last_seq, last_mac) "
                                   "VALUES (1, 3, :mac)"), {"mac": previous})
    schema.upgrade(engine)
    with Session(engine) as session:
        assert audit.verify(session, key) == audit.VerifyResult(True, 3)
        audit.record(session, key, audit.Actor(1, "counsellor"), "case.read")
        session.commit()
        assert audit.verify(session, key) == audit.VerifyResult(True, 4)
        lane = audit.lane_of(session.connection())  # 1 on SQLite; the process's on PostgreSQL
        assert set(session.execute(sa.select(AuditEntry.lane, AuditEntry.seq))) == {
            (1, 1), (1, 2), (1, 3), (lane, 4 if lane == 1 else 1)}


def test_a_log_with_other_lanes_is_not_downgraded_below_lanes(engine: Engine) -> None:
    """Their MACs cover their lane: without it they would no longer verify."""
    schema.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO audit_entries (lane, seq, created_at, action, details, prev_mac, mac) "
            "VALUES (3, 1, :at, 'case.read', '{}', :genesis, :mac)"),
            {"at": datetime(2026, 12, 5), "genesis": audit.GENESIS_MAC, "mac": "1" * 64})
    with pytest.raises(RuntimeError, match="lanes other than 1"):
        schema.downgrade(engine, "0017")
    assert current_revision(engine) == revisions_in_order()[-1]
